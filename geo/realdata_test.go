package geo_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/docodego/sessions/geo"
)

// realDataDir is where `make run` and .ci/run put the DB-IP files (GEOIP_DIR overrides).
func realDataDir() string {
	if d := os.Getenv("GEOIP_DIR"); d != "" && d != geo.Off {
		return d
	}
	return filepath.Join("..", ".data", "geoip")
}

// TestRealDataCountries checks well-known public addresses at country level in the real
// DB-IP files. CI installs them (.ci/run), so there their absence fails the test; a
// developer machine without npm has no files and nothing to check.
func TestRealDataCountries(t *testing.T) {
	dir := realDataDir()
	if _, err := os.Stat(filepath.Join(dir, geo.IPv4File)); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI=%s but the DB-IP files are missing (%v): .ci/run installs them", os.Getenv("CI"), err)
		}
		t.Skipf("no DB-IP files in %s (make run or .ci/run fetches them)", dir)
	}
	d, err := geo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for ip, want := range map[string]string{
		"85.214.132.117":            "DE", // Strato, Berlin
		"1.1.1.1":                   "AU", // APNIC/Cloudflare, registered in Australia
		"193.0.6.139":               "NL", // RIPE NCC, Amsterdam
		"::ffff:85.214.132.117":     "DE",
		"2001:67c:2e8:22::c100:68b": "NL", // RIPE NCC over IPv6
	} {
		p, err := d.Lookup(ip)
		if err != nil || p.CountryCode != want {
			t.Errorf("Lookup(%s) = %+v, %v; want country %s", ip, p, err, want)
		}
	}
}
