package main

import (
	"strings"
	"testing"
	"time"
)

// Every setting the binary reads comes through loadConfig: the background workers and the
// memory limit included.
func TestConfigBackgroundAndRuntime(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	cfg, err := loadConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Janitor.SessionRetention != 30*24*time.Hour || cfg.Janitor.AuditRetention != 365*24*time.Hour ||
		cfg.Janitor.Interval != time.Hour || cfg.Janitor.IdleTimeout != cfg.Auth.IdleTimeout {
		t.Errorf("janitor defaults: %+v", cfg.Janitor)
	}
	if cfg.Mail.SMTPURL != "" || cfg.Mail.From == "" || cfg.Mail.AppName != "DoCodeGo" || cfg.Mail.BaseURL != "http://127.0.0.1:8080" {
		t.Errorf("mail defaults: %+v", cfg.Mail)
	}
	// Room for the password hashes that may run at once (HASH_CONCURRENCY × argon2id's memory).
	hashes := int64(cfg.Auth.HashConcurrency) * int64(cfg.Auth.Password.Memory) << 10
	if cfg.MemoryLimit != defaultMemoryLimit+hashes {
		t.Errorf("MemoryLimit = %d, want %d", cfg.MemoryLimit, defaultMemoryLimit+hashes)
	}
	if cfg.GCPercent != defaultGCPercent {
		t.Errorf("GCPercent = %d, want %d", cfg.GCPercent, defaultGCPercent)
	}

	env = map[string]string{"SESSION_RETENTION": "48h", "AUDIT_RETENTION": "720h", "JANITOR_INTERVAL": "5m",
		"SESSION_IDLE_TIMEOUT": "2h", "SMTP_URL": "smtp://mail:25", "MAIL_FROM": "Ops <ops@example.com>",
		"BASE_URL": "https://sessions.example/", "APP_NAME": "Acme", "GOMEMLIMIT": "100MiB", "GOGC": "50"}
	cfg, err = loadConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Janitor.SessionRetention != 48*time.Hour || cfg.Janitor.AuditRetention != 720*time.Hour ||
		cfg.Janitor.Interval != 5*time.Minute || cfg.Janitor.IdleTimeout != 2*time.Hour {
		t.Errorf("janitor configured: %+v", cfg.Janitor)
	}
	if cfg.Mail.SMTPURL != "smtp://mail:25" || cfg.Mail.From != "Ops <ops@example.com>" ||
		cfg.Mail.AppName != "Acme" || cfg.Mail.BaseURL != "https://sessions.example" {
		t.Errorf("mail configured: %+v", cfg.Mail)
	}
	if cfg.MemoryLimit != 0 {
		t.Errorf("MemoryLimit = %d with GOMEMLIMIT set, want 0 (the runtime applies GOMEMLIMIT)", cfg.MemoryLimit)
	}
	if cfg.GCPercent != 0 {
		t.Errorf("GCPercent = %d with GOGC set, want 0 (the runtime applies GOGC)", cfg.GCPercent)
	}

	env = map[string]string{"AUDIT_RETENTION": "a year", "DB_MAX_CONNS": "-1"}
	_, err = loadConfig(getenv)
	if err == nil || !strings.Contains(err.Error(), "AUDIT_RETENTION") || !strings.Contains(err.Error(), "DB_MAX_CONNS") {
		t.Errorf("err = %v, want both malformed values named", err)
	}
}

// HTTPS and device-bound sessions: both TLS files or neither, DBSC on unless "off", the
// bound cookie's life from DBSC_COOKIE_TTL.
func TestConfigTLSAndDBSC(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	cfg, err := loadConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.DBSC || cfg.TLSCertFile != "" || cfg.Auth.BoundCookieTTL != 10*time.Minute {
		t.Errorf("defaults: DBSC %v, cert %q, ttl %v", cfg.DBSC, cfg.TLSCertFile, cfg.Auth.BoundCookieTTL)
	}
	env = map[string]string{"TLS_CERT_FILE": "c.pem", "TLS_KEY_FILE": "k.pem", "DBSC": "off", "DBSC_COOKIE_TTL": "3m"}
	if cfg, err = loadConfig(getenv); err != nil {
		t.Fatal(err)
	}
	if cfg.DBSC || cfg.TLSCertFile != "c.pem" || cfg.TLSKeyFile != "k.pem" || cfg.Auth.BoundCookieTTL != 3*time.Minute {
		t.Errorf("configured: DBSC %v, %q %q, ttl %v", cfg.DBSC, cfg.TLSCertFile, cfg.TLSKeyFile, cfg.Auth.BoundCookieTTL)
	}
	env = map[string]string{"TLS_CERT_FILE": "c.pem", "DBSC": "maybe", "DBSC_COOKIE_TTL": "0s"}
	_, err = loadConfig(getenv)
	for _, name := range []string{"TLS_KEY_FILE", "DBSC=", "DBSC_COOKIE_TTL"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("err = %v, want %s named", err, name)
		}
	}
}
