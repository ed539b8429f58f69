// Package geotest builds small DB-IP-shaped .mmdb files for tests, with mmdbwriter.
package geotest

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/docodego/sessions/geo"
)

// Dir builds the two files in a temporary folder with mmdbwriter, with records shaped like
// DB-IP's (country_code, state1, city, and each place's own coordinates as float32):
//
//	85.214.0.0/16, 2a01:238::/32  Berlin, Berlin, DE           52.52, 13.40
//	41.58.0.0/16, 2c0f:f000::/32  Lagos, Lagos, NG             6.45, 3.39
//	1.1.1.0/24                    Sydney, New South Wales, AU  -33.87, 151.21
//	5.5.0.0/16                    FR, no city                  46.23, 2.21 (the country's middle)
//	3.3.0.0/16                    Mountain View, California, US  37.42, -122.08
//	3.4.0.0/16                    Berkeley, California, US       37.87, -122.27 (58 km from Mountain View)
//	4.4.0.0/16                    Cambridge, Massachusetts, US   42.36, -71.09 (4,300 km from both)
func Dir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, version int, nets map[string]mmdbtype.Map) {
		tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "DBIP-City-Lite", IPVersion: version, RecordSize: 24})
		if err != nil {
			t.Fatal(err)
		}
		for cidr, rec := range nets {
			_, n, err := net.ParseCIDR(cidr)
			if err != nil {
				t.Fatal(err)
			}
			if err := tree.Insert(n, rec); err != nil {
				t.Fatalf("insert %s: %v", cidr, err)
			}
		}
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := tree.WriteTo(f); err != nil {
			t.Fatal(err)
		}
	}
	city := func(cc, state, city string, lat, lon float32) mmdbtype.Map {
		m := mmdbtype.Map{"country_code": mmdbtype.String(cc), "state1": mmdbtype.String(state),
			"latitude": mmdbtype.Float32(lat), "longitude": mmdbtype.Float32(lon)}
		if city != "" {
			m["city"] = mmdbtype.String(city)
		}
		return m
	}
	write(geo.IPv4File, 4, map[string]mmdbtype.Map{
		"85.214.0.0/16": city("DE", "Berlin", "Berlin", 52.52, 13.40),
		"41.58.0.0/16":  city("NG", "Lagos", "Lagos", 6.45, 3.39),
		"1.1.1.0/24":    city("AU", "New South Wales", "Sydney", -33.87, 151.21),
		"5.5.0.0/16":    city("FR", "", "", 46.23, 2.21), // a record without a city
		"3.3.0.0/16":    city("US", "California", "Mountain View", 37.42, -122.08),
		"3.4.0.0/16":    city("US", "California", "Berkeley", 37.87, -122.27),
		"4.4.0.0/16":    city("US", "Massachusetts", "Cambridge", 42.36, -71.09),
	})
	write(geo.IPv6File, 6, map[string]mmdbtype.Map{
		"2a01:238::/32":  city("DE", "Berlin", "Berlin", 52.52, 13.40),
		"2c0f:f000::/32": city("NG", "Lagos", "Lagos", 6.45, 3.39),
	})
	return dir
}

// Open is the geo.DB of Dir's files, closed when the test ends.
func Open(t testing.TB) *geo.DB {
	t.Helper()
	d, err := geo.Open(Dir(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// OpenReal is the real DB-IP data that `make run` and .ci/run fetch (.data/geoip in the
// repository, or GEOIP_DIR), closed when the test ends. Without the files the test is
// skipped on a developer machine (no npm, nothing to check) but fails in CI (CI set),
// where .ci/run installs them.
func OpenReal(t testing.TB) *geo.DB {
	t.Helper()
	dir := os.Getenv("GEOIP_DIR")
	if dir == "" || dir == geo.Off {
		_, here, _, _ := runtime.Caller(0) // geo/geotest/geotest.go
		dir = filepath.Join(filepath.Dir(here), "..", "..", ".data", "geoip")
	}
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
	t.Cleanup(func() { d.Close() })
	return d
}
