package db_test

import (
	"context"
	"net/netip"
	"net/url"
	"reflect"
	"strconv"
	"testing"

	"github.com/lib/pq"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
)

// PostgreSQL's multi-host URIs, which lib/pq refuses ("lookup db1:5432: no such host"),
// become the key=value form lib/pq reads, with every part percent-decoded.
func TestKeyValueDSN(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		hosts          []string
		ports          []uint16
	}{
		{"multi-host from the PostgreSQL docs",
			"postgres://user:pass@db1:5432,db2:5433/app?target_session_attrs=read-write",
			`user='user' password='pass' host='db1,db2' port='5432,5433' dbname='app' target_session_attrs='read-write'`,
			[]string{"db1", "db2"}, []uint16{5432, 5433}},
		{"a port on some hosts only",
			"postgresql://app@db1,db2:6432,db3/app",
			`user='app' host='db1,db2,db3' port='5432,6432,5432' dbname='app'`,
			[]string{"db1", "db2", "db3"}, []uint16{5432, 6432, 5432}},
		{"percent-encoded user and password",
			"postgres://us%40er:p%40ss%3Aw%2Fo%27rd%5C@db/app%20one",
			`user='us@er' password='p@ss:w/o\'rd\\' host='db' dbname='app one'`,
			[]string{"db"}, []uint16{5432}},
		{"plus stays a plus, as in libpq",
			"postgres://u:a+b@db/app?application_name=x+y",
			`user='u' password='a+b' host='db' dbname='app' application_name='x+y'`,
			[]string{"db"}, []uint16{5432}},
		{"IPv6 hosts",
			"postgres://u@[2001:db8::1]:5433,[::1]/app?sslmode=disable",
			`user='u' host='2001:db8::1,::1' port='5433,5432' dbname='app' sslmode='disable'`,
			[]string{"2001:db8::1", "::1"}, []uint16{5433, 5432}},
		{"a socket dir in the host",
			"postgres://%2Frun%2Fpostgresql/app",
			`host='/run/postgresql' dbname='app'`,
			[]string{"/run/postgresql"}, []uint16{5432}},
		{"a socket dir as a parameter",
			"postgres:///app?host=%2Frun%2Fpostgresql&port=5433",
			`dbname='app' host='/run/postgresql' port='5433'`,
			[]string{"/run/postgresql"}, []uint16{5433}},
		{"key=value stays as it is",
			"host=db1,db2 port=5432,5433 dbname=app",
			"host=db1,db2 port=5432,5433 dbname=app",
			[]string{"db1", "db2"}, []uint16{5432, 5433}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.KeyValueDSN(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("KeyValueDSN(%q)\n got %s (%v)\nwant %s", tc.in, got, err, tc.want)
			}
			cfg, err := pq.NewConfig(got)
			if err != nil {
				t.Fatalf("lib/pq refuses %s: %v", got, err)
			}
			hosts, ports := []string{cfg.Host}, []uint16{cfg.Port}
			for _, m := range cfg.Multi {
				hosts, ports = append(hosts, m.Host), append(ports, m.Port)
			}
			if !reflect.DeepEqual(hosts, tc.hosts) || !reflect.DeepEqual(ports, tc.ports) {
				t.Errorf("lib/pq reads hosts %v ports %v, want %v %v", hosts, ports, tc.hosts, tc.ports)
			}
		})
	}
	for _, bad := range []string{"postgres://u%zz@db/app", "postgres://[::1:5432/app", "postgres://db/app?a%zz=1"} {
		if got, err := db.KeyValueDSN(bad); err == nil {
			t.Errorf("KeyValueDSN(%q) = %q, want an error", bad, got)
		}
	}
}

// db.Open takes a multi-host URI: the first host is down, lib/pq moves on to the second,
// which takes writes (target_session_attrs=read-write).
func TestOpenMultiHostURI(t *testing.T) {
	cfg, err := pq.NewConfig(dbtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	host := url.PathEscape(cfg.Host) // a socket dir: its slashes are percent-encoded
	if _, err := netip.ParseAddr(cfg.Host); err == nil {
		host = "[" + cfg.Host + "]"
	}
	user := url.User(cfg.User)
	if cfg.Password != "" {
		user = url.UserPassword(cfg.User, cfg.Password)
	}
	uri := "postgres://" + user.String() + "@%2Fnonexistent-socket-dir:5432," + host + ":" +
		strconv.Itoa(int(cfg.Port)) + "/" + url.PathEscape(cfg.Database) + "?sslmode=disable&target_session_attrs=read-write"
	if _, err := pq.NewConnector(uri); err == nil {
		t.Logf("lib/pq itself now accepts %s", uri)
	}
	cfg2, err := db.ParseConfig(uri)
	if err != nil {
		t.Fatalf("parse %s: %v", uri, err)
	}
	store, err := db.Open(context.Background(), cfg2, db.PoolOptions{MaxOpen: 1})
	if err != nil {
		t.Fatalf("open %s: %v", uri, err)
	}
	defer store.Close()
	var name string
	if err := store.DB().Get(&name, `SELECT current_database()`); err != nil || name != cfg.Database {
		t.Errorf("current_database() = %q, %v; want %q", name, err, cfg.Database)
	}
}
