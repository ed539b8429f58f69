package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docodego/sessions/auth"
)

// config is everything the binary reads from its environment.
type config struct {
	Addr           string
	MetricsAddr    string // Prometheus /metrics listener; empty turns it off
	DBMaxConns     int
	DatabaseURL    string
	DataDir        string
	BaseURL        string
	AppName        string
	TrustedProxies []string
	Auth           auth.Config
}

// loadConfig reads the environment, with the defaults a fresh machine needs.
func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{
		Addr:        or(getenv("ADDR"), "127.0.0.1:8080"),
		MetricsAddr: getenv("METRICS_ADDR"),
		DatabaseURL: getenv("DATABASE_URL"),
		DataDir:     or(getenv("DATA_DIR"), ".data"),
		BaseURL:     strings.TrimRight(or(getenv("BASE_URL"), "http://127.0.0.1:8080"), "/"),
		AppName:     or(getenv("APP_NAME"), "DoCodeGo"),
		Auth:        auth.DefaultConfig(),
	}
	for _, p := range strings.Split(getenv("TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			cfg.TrustedProxies = append(cfg.TrustedProxies, p)
		}
	}
	var err error
	if v := getenv("DB_MAX_CONNS"); v != "" {
		if cfg.DBMaxConns, err = strconv.Atoi(v); err != nil || cfg.DBMaxConns <= 0 {
			return config{}, fmt.Errorf("DB_MAX_CONNS=%q: want a positive number", v)
		}
	}
	if cfg.Auth.IdleTimeout, err = duration(getenv, "SESSION_IDLE_TIMEOUT", cfg.Auth.IdleTimeout); err != nil {
		return config{}, err
	}
	if cfg.Auth.AbsoluteLifetime, err = duration(getenv, "SESSION_MAX_LIFETIME", cfg.Auth.AbsoluteLifetime); err != nil {
		return config{}, err
	}
	return cfg, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// duration parses a Go duration ("168h") from the environment.
func duration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive duration such as 168h", name, v)
	}
	return d, nil
}
