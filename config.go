package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/janitor"
	"github.com/docodego/sessions/live"
	"github.com/docodego/sessions/notify"
)

// config is everything the binary reads from its environment. This file is the only place
// that reads it; the parts are handed to constructors as typed settings.
type config struct {
	Addr           string
	MetricsAddr    string // Prometheus /metrics listener; empty turns it off
	BaseURL        string
	AppName        string
	TrustedProxies []string
	// TLSCertFile and TLSKeyFile (PEM) make the app serve https on Addr itself.
	TLSCertFile, TLSKeyFile string
	DBSC                    bool      // device-bound sessions when served over https; DBSC=off turns them off
	DatabaseURL             string    // empty starts a local PostgreSQL in DataDir
	Database                db.Config // DatabaseURL parsed: every connection opens from it
	DataDir                 string
	DBMaxConns              int    // 0 keeps db.Open's default
	MemoryLimit             int64  // Go's soft memory limit in bytes; 0 leaves it to GOMEMLIMIT
	GCPercent               int    // Go's GOGC; 0 leaves it to GOGC
	GeoIPDir                string // folder of the DB-IP files; "off" turns locations off
	Auth                    auth.Config
	Mail                    notify.Options
	Janitor                 janitor.Options
	Streams                 live.Limits // open live streams this instance holds, per user and in all
}

// defaultMemoryLimit is the Go runtime's soft memory limit unless GOMEMLIMIT says
// otherwise, and defaultGCPercent its GOGC unless GOGC does. The app keeps ~20-30 MB live
// under load (parser, catalogs, requests in flight). With Go's default GOGC of 100 and a
// 40 MB limit the collector ran every ~30 MB allocated: a tenth of the list's CPU was
// marking, and under an open loop past the server's rate, with hundreds of requests in
// flight whose stacks each cycle scans, most of it (BENCHMARKS.md, "Open loop"). So the
// heap may grow to five times the live data, up to the limit, which still bounds it.
const (
	defaultMemoryLimit = 192 << 20
	defaultGCPercent   = 400
)

// defaultConfig holds every default, defined here or by the package that owns the setting.
func defaultConfig() config {
	return config{
		Addr:        "127.0.0.1:8080",
		BaseURL:     "http://127.0.0.1:8080",
		AppName:     "DoCodeGo",
		DataDir:     ".data",
		MemoryLimit: defaultMemoryLimit,
		GCPercent:   defaultGCPercent,
		DBSC:        true,
		Auth:        auth.DefaultConfig(),
		Mail:        notify.DefaultOptions(),
		Janitor:     janitor.DefaultOptions(),
		Streams:     live.DefaultLimits(),
	}
}

// loadConfig reads the environment over the defaults; every malformed value is reported.
func loadConfig(getenv func(string) string) (config, error) {
	cfg := defaultConfig()
	env := &envReader{get: getenv}

	// HTTP
	env.str("ADDR", &cfg.Addr)
	env.str("METRICS_ADDR", &cfg.MetricsAddr)
	env.str("BASE_URL", &cfg.BaseURL)
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	env.str("APP_NAME", &cfg.AppName)
	env.list("TRUSTED_PROXIES", &cfg.TrustedProxies)
	env.str("TLS_CERT_FILE", &cfg.TLSCertFile)
	env.str("TLS_KEY_FILE", &cfg.TLSKeyFile)
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		env.errs = append(env.errs, errors.New("TLS_CERT_FILE and TLS_KEY_FILE: set both or neither"))
	}
	switch v := getenv("DBSC"); v {
	case "", "on":
	case "off":
		cfg.DBSC = false
	default:
		env.errs = append(env.errs, fmt.Errorf("DBSC=%q: want on or off", v))
	}

	// Database
	env.str("DATABASE_URL", &cfg.DatabaseURL)
	if cfg.DatabaseURL != "" {
		parsed, err := db.ParseConfig(cfg.DatabaseURL)
		if err != nil {
			env.errs = append(env.errs, fmt.Errorf("DATABASE_URL: %w", err))
		}
		cfg.Database = parsed
	}
	env.str("DATA_DIR", &cfg.DataDir)
	env.positiveInt("DB_MAX_CONNS", &cfg.DBMaxConns)

	// Locations: the DB-IP files live with the local data unless told otherwise
	env.str("GEOIP_DIR", &cfg.GeoIPDir)
	if cfg.GeoIPDir == "" {
		cfg.GeoIPDir = filepath.Join(cfg.DataDir, "geoip")
	}

	// Sessions
	env.duration("SESSION_IDLE_TIMEOUT", &cfg.Auth.IdleTimeout)
	env.duration("SESSION_MAX_LIFETIME", &cfg.Auth.AbsoluteLifetime)
	env.duration("DBSC_COOKIE_TTL", &cfg.Auth.BoundCookieTTL)
	env.duration("SESSION_SHORT_LIFETIME", &cfg.Auth.ShortLifetime)

	// Account protection: "0" turns each of these off
	env.durationOrOff("REAUTH_WINDOW", &cfg.Auth.ReauthWindow)
	env.intOrOff("SESSION_LIMIT", &cfg.Auth.SessionLimit)

	// Abuse by strangers: sign-up, password checks, hashing, verification and sign-in mail
	env.positiveInt("SIGNUP_LIMIT", &cfg.Auth.SignUpLimit)
	env.duration("SIGNUP_WINDOW", &cfg.Auth.SignUpWindow)
	env.positiveInt("PASSWORD_CHECK_LIMIT", &cfg.Auth.PasswordCheckLimit)
	env.positiveInt("HASH_CONCURRENCY", &cfg.Auth.HashConcurrency)
	env.duration("HASH_WAIT", &cfg.Auth.HashWait)
	env.duration("EMAIL_VERIFICATION_TTL", &cfg.Auth.VerificationTTL)
	env.positiveInt("VERIFY_MAIL_LIMIT", &cfg.Auth.VerifyMailLimit)
	env.duration("VERIFY_MAIL_WINDOW", &cfg.Auth.VerifyMailWindow)
	env.positiveInt("VERIFY_REQUEST_LIMIT", &cfg.Auth.VerifyRequestLimit)
	env.duration("SIGN_IN_MAIL_INTERVAL", &cfg.Auth.SignInMailInterval)

	// Mail
	env.str("SMTP_URL", &cfg.Mail.SMTPURL)
	env.str("MAIL_FROM", &cfg.Mail.From)
	cfg.Mail.BaseURL, cfg.Mail.AppName = cfg.BaseURL, cfg.AppName

	// Retention
	env.duration("SESSION_RETENTION", &cfg.Janitor.SessionRetention)
	env.duration("AUDIT_RETENTION", &cfg.Janitor.AuditRetention)
	env.duration("JANITOR_INTERVAL", &cfg.Janitor.Interval)
	cfg.Janitor.IdleTimeout = cfg.Auth.IdleTimeout

	// Live streams
	env.positiveInt("STREAM_LIMIT_PER_USER", &cfg.Streams.PerUser)
	env.positiveInt("STREAM_LIMIT", &cfg.Streams.Total)

	// Go runtime: the runtime reads GOMEMLIMIT itself; ours applies only without it. It
	// leaves room for the password hashes that may run at once (argon2id takes its whole
	// memory cost per hash): at 40 MiB flat, a burst of sign-ups kept the collector running
	// nonstop and hashing ~6x slower (bench/signup.go: 3 of 50 sign-ups done in 3 s, 24 with
	// the room).
	cfg.MemoryLimit += int64(cfg.Auth.HashConcurrency) * int64(cfg.Auth.Password.Memory) << 10
	if getenv("GOMEMLIMIT") != "" {
		cfg.MemoryLimit = 0
	}
	if getenv("GOGC") != "" {
		cfg.GCPercent = 0
	}

	if err := errors.Join(env.errs...); err != nil {
		return config{}, err
	}
	return cfg, nil
}

// envReader overwrites a default with the variable's value when it is set, and collects
// the errors of malformed values.
type envReader struct {
	get  func(string) string
	errs []error
}

func (e *envReader) str(name string, into *string) {
	if v := e.get(name); v != "" {
		*into = v
	}
}

// list reads a comma-separated list, dropping empty items.
func (e *envReader) list(name string, into *[]string) {
	for _, item := range strings.Split(e.get(name), ",") {
		if item = strings.TrimSpace(item); item != "" {
			*into = append(*into, item)
		}
	}
}

func (e *envReader) positiveInt(name string, into *int) {
	v := e.get(name)
	if v == "" {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want a positive number", name, v))
		return
	}
	*into = n
}

// intOrOff reads a number where 0 turns the rule off.
func (e *envReader) intOrOff(name string, into *int) {
	v := e.get(name)
	if v == "" {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want a number, 0 for no limit", name, v))
		return
	}
	*into = n
}

// durationOrOff reads a Go duration where "0" turns the rule off.
func (e *envReader) durationOrOff(name string, into *time.Duration) {
	v := e.get(name)
	if v == "" {
		return
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want a duration such as 10m, 0 to turn it off", name, v))
		return
	}
	*into = d
}

// duration reads a Go duration ("168h").
func (e *envReader) duration(name string, into *time.Duration) {
	v := e.get(name)
	if v == "" {
		return
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want a positive duration such as 168h", name, v))
		return
	}
	*into = d
}
