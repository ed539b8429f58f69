package main

import (
	"testing"
	"time"
)

// The idle timeout and absolute lifetime default to 7 and 30 days and are configurable
// (ASVS 3.3.1, 3.3.2); TRUSTED_PROXIES is a comma-separated list.
func TestSessionLifetimesFromEnvironment(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	cfg, err := loadConfig(getenv)
	if err != nil || cfg.Auth.IdleTimeout != 7*24*time.Hour || cfg.Auth.AbsoluteLifetime != 30*24*time.Hour || cfg.TrustedProxies != nil {
		t.Fatalf("defaults: %+v %v", cfg.Auth, err)
	}
	env = map[string]string{"SESSION_IDLE_TIMEOUT": "2h", "SESSION_MAX_LIFETIME": "12h", "TRUSTED_PROXIES": "10.0.0.1, 10.1.0.0/16"}
	cfg, err = loadConfig(getenv)
	if err != nil || cfg.Auth.IdleTimeout != 2*time.Hour || cfg.Auth.AbsoluteLifetime != 12*time.Hour ||
		len(cfg.TrustedProxies) != 2 || cfg.TrustedProxies[1] != "10.1.0.0/16" {
		t.Fatalf("configured: %+v %v %v", cfg.Auth, cfg.TrustedProxies, err)
	}
	for _, bad := range []string{"0s", "-1h", "a week"} {
		env = map[string]string{"SESSION_IDLE_TIMEOUT": bad}
		if _, err := loadConfig(getenv); err == nil {
			t.Errorf("SESSION_IDLE_TIMEOUT=%q accepted", bad)
		}
	}
}

// Account protection settings (issue 16): REAUTH_WINDOW 10m and SESSION_LIMIT 100 by
// default, "0" turns each off; SESSION_SHORT_LIFETIME 12h.
func TestAccountProtectionFromEnvironment(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	cfg, err := loadConfig(getenv)
	if err != nil || cfg.Auth.ReauthWindow != 10*time.Minute || cfg.Auth.SessionLimit != 100 || cfg.Auth.ShortLifetime != 12*time.Hour {
		t.Fatalf("defaults: %+v %v", cfg.Auth, err)
	}
	env = map[string]string{"REAUTH_WINDOW": "0", "SESSION_LIMIT": "0", "SESSION_SHORT_LIFETIME": "2h"}
	cfg, err = loadConfig(getenv)
	if err != nil || cfg.Auth.ReauthWindow != 0 || cfg.Auth.SessionLimit != 0 || cfg.Auth.ShortLifetime != 2*time.Hour {
		t.Fatalf("configured: %+v %v", cfg.Auth, err)
	}
	for name, bad := range map[string]string{"REAUTH_WINDOW": "-1m", "SESSION_LIMIT": "-3", "SESSION_SHORT_LIFETIME": "0"} {
		env = map[string]string{name: bad}
		if _, err := loadConfig(getenv); err == nil {
			t.Errorf("%s=%q accepted", name, bad)
		}
	}
}
