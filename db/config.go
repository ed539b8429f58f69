package db

import (
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Config is one parsed PostgreSQL connection configuration. Every connection the app makes
// (the pool, the live LISTEN connection, the admin connection that creates the database)
// opens from it, so each DSN form the README lists works for all of them: before, the pool
// read a URI as key=value and the listener handed the raw URI to lib/pq, which cannot read
// multi-host URIs, and the app stopped at start.
type Config struct {
	keyValue string    // the key=value form, which lib/pq's Listener takes as a string
	pq       pq.Config // the same settings parsed, which the pool's connector takes
}

// ParseConfig reads a DSN in any form libpq documents: key=value, a URI, a multi-host URI
// with a port per host, a Unix-socket host=, percent-encoded parts, sslmode and the rest.
// It reads the PG* environment variables lib/pq reads, once, here.
func ParseConfig(dsn string) (Config, error) {
	kv, err := KeyValueDSN(strings.TrimSpace(dsn))
	if err != nil {
		return Config{}, err
	}
	parsed, err := pq.NewConfig(kv)
	if err != nil {
		return Config{}, fmt.Errorf("database URL: %w", redactPassword(err, parsed.Password))
	}
	return Config{keyValue: kv, pq: parsed}, nil
}

// Database is the database name the configuration connects to.
func (c Config) Database() string { return c.pq.Database }

// Hosts is the configuration's host list (socket dirs or names), for log lines: never the
// password.
func (c Config) Hosts() string {
	hosts := make([]string, 0, 1+len(c.pq.Multi))
	hosts = append(hosts, hostPort(c.pq.Host, c.pq.Port))
	for _, m := range c.pq.Multi {
		hosts = append(hosts, hostPort(m.Host, m.Port))
	}
	return strings.Join(hosts, ",")
}

func hostPort(host string, port uint16) string {
	if port == 0 {
		return host
	}
	return fmt.Sprintf("%s:%d", host, port)
}

// WithDatabase is the same configuration connecting to another database on the same
// servers (the admin connection that creates the app's database).
func (c Config) WithDatabase(name string) Config {
	clone := c.pq.Clone()
	clone.Database = name
	return Config{keyValue: c.keyValue + " dbname=" + quoteDSNValue(name), pq: clone}
}

// connector is a lib/pq connector on the configuration with extra run-time parameters
// that the DSN did not set itself.
func (c Config) connector(defaults map[string]string) (*pq.Connector, error) {
	cfg := c.pq.Clone()
	if cfg.Runtime == nil {
		cfg.Runtime = map[string]string{}
	}
	for k, v := range defaults {
		if _, set := cfg.Runtime[k]; !set {
			cfg.Runtime[k] = v
		}
	}
	return pq.NewConnectorConfig(cfg)
}

// NewListener opens lib/pq's LISTEN connection on the configuration's hosts: it walks the
// host list and honours target_session_attrs like the pool, and reconnects by itself.
// Without a connect_timeout in the DSN it gets the pool's default: lib/pq's listener
// connects with no deadline, and a reconnect to a frozen host (the TCP handshake done by
// the kernel, no startup answer) would wait for good, the live updates with it.
func (c Config) NewListener(minReconnect, maxReconnect time.Duration, events pq.EventCallbackType) *pq.Listener {
	dsn := c.keyValue
	if c.pq.ConnectTimeout == 0 {
		dsn += fmt.Sprintf(" connect_timeout=%d", int(defaultConnectTimeout.Seconds()))
	}
	return pq.NewListener(dsn, minReconnect, maxReconnect, events)
}

// redactPassword keeps a password out of an error that quotes the DSN back.
func redactPassword(err error, password string) error {
	if password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), password, "…"))
}
