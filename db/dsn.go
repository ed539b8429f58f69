package db

import (
	"fmt"
	"net/url"
	"strings"
)

// KeyValueDSN turns a PostgreSQL connection URI into the key=value form lib/pq reads, and
// returns any other DSN as it is. People copy multi-host URIs from PostgreSQL's docs,
// postgres://user:pass@db1:5432,db2:5433/app?target_session_attrs=read-write, and lib/pq
// (v1.12) parses URIs with net/url, which takes "db1:5432,db2" for one host name ("lookup
// db1:5432: no such host"). Its key=value form takes the same lists (host=db1,db2
// port=5432,5433), so this follows libpq's URI grammar: percent-encoded user, password,
// host (a socket dir), database and parameters; [IPv6] hosts; a port per host.
func KeyValueDSN(dsn string) (string, error) {
	rest, ok := strings.CutPrefix(dsn, "postgresql://")
	if !ok {
		if rest, ok = strings.CutPrefix(dsn, "postgres://"); !ok {
			return dsn, nil
		}
	}
	rest, query, _ := strings.Cut(rest, "?")
	authority, path, _ := strings.Cut(rest, "/")
	params := strings.Split(query, "&")
	kv := &keyValues{}
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		user, password, hasPassword := strings.Cut(authority[:at], ":")
		kv.addEscaped("user", user)
		if hasPassword {
			kv.addEscaped("password", password)
		}
		authority = authority[at+1:]
	}
	if !hasParam(params, "host") { // ?host=/run/postgresql names a socket dir instead
		if err := kv.addHosts(authority, !hasParam(params, "port")); err != nil {
			return "", fmt.Errorf("database URL: %w", err)
		}
	}
	kv.addEscaped("dbname", path)
	for _, param := range params {
		if param == "" {
			continue
		}
		k, v, _ := strings.Cut(param, "=")
		key, err := url.PathUnescape(k)
		if err != nil {
			return "", fmt.Errorf("database URL: parameter %q: %w", k, err)
		}
		kv.addEscaped(key, v)
	}
	if kv.err != nil {
		return "", fmt.Errorf("database URL: %w", kv.err)
	}
	return strings.Join(kv.pairs, " "), nil
}

func hasParam(params []string, key string) bool {
	for _, p := range params {
		if k, _, _ := strings.Cut(p, "="); k == key {
			return true
		}
	}
	return false
}

// keyValues collects key='value' pairs, keeping the first decoding error.
type keyValues struct {
	pairs []string
	err   error
}

// addEscaped adds a percent-encoded value; an empty one is left out, as libpq does.
func (kv *keyValues) addEscaped(key, escaped string) {
	v, err := url.PathUnescape(escaped) // not QueryUnescape: libpq keeps '+' as it is
	if err != nil && kv.err == nil {
		kv.err = fmt.Errorf("%s: %w", key, err)
	}
	kv.add(key, v)
}

func (kv *keyValues) add(key, v string) {
	if v != "" {
		kv.pairs = append(kv.pairs, key+"="+quoteDSNValue(v))
	}
}

// addHosts adds host= and (withPorts) port= lists from "h1:p1,[::1]:p2,h3". A host
// without a port gets 5432 when another has one: lib/pq wants a port per host or one.
func (kv *keyValues) addHosts(hostspec string, withPorts bool) error {
	if hostspec == "" {
		return nil
	}
	var hosts, ports []string
	anyPort := false
	for _, spec := range strings.Split(hostspec, ",") {
		host, port := spec, ""
		if strings.HasPrefix(spec, "[") {
			end := strings.IndexByte(spec, ']')
			if end < 0 {
				return fmt.Errorf("host %q: missing ]", spec)
			}
			host, port = spec[1:end], strings.TrimPrefix(spec[end+1:], ":")
		} else if i := strings.IndexByte(spec, ':'); i >= 0 {
			host, port = spec[:i], spec[i+1:]
		}
		decoded, err := url.PathUnescape(host)
		if err != nil {
			return fmt.Errorf("host %q: %w", host, err)
		}
		hosts, ports = append(hosts, decoded), append(ports, port)
		anyPort = anyPort || port != ""
	}
	kv.add("host", strings.Join(hosts, ","))
	if anyPort && withPorts {
		for i, p := range ports {
			if p == "" {
				ports[i] = "5432"
			}
		}
		kv.add("port", strings.Join(ports, ","))
	}
	return nil
}

// quoteDSNValue single-quotes a key=value DSN value, escaping ' and \ as lib/pq reads them.
func quoteDSNValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
