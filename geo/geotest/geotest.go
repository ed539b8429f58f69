// Package geotest builds small DB-IP-shaped .mmdb files for tests, with mmdbwriter.
package geotest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/docodego/sessions/geo"
)

// Dir builds the two files in a temporary folder with mmdbwriter, with records shaped like
// DB-IP's (country_code, state1, city, and coordinates the app must not read):
//
//	85.214.0.0/16, 2a01:238::/32  Berlin, Berlin, DE
//	41.58.0.0/16, 2c0f:f000::/32  Lagos, Lagos, NG
//	1.1.1.0/24                    Sydney, New South Wales, AU
//	5.5.0.0/16                    FR, no city
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
	city := func(cc, state, city string) mmdbtype.Map {
		m := mmdbtype.Map{"country_code": mmdbtype.String(cc), "state1": mmdbtype.String(state),
			"latitude": mmdbtype.Float32(52.5), "longitude": mmdbtype.Float32(13.4)}
		if city != "" {
			m["city"] = mmdbtype.String(city)
		}
		return m
	}
	write(geo.IPv4File, 4, map[string]mmdbtype.Map{
		"85.214.0.0/16": city("DE", "Berlin", "Berlin"),
		"41.58.0.0/16":  city("NG", "Lagos", "Lagos"),
		"1.1.1.0/24":    city("AU", "New South Wales", "Sydney"),
		"5.5.0.0/16":    city("FR", "", ""), // a record without a city
	})
	write(geo.IPv6File, 6, map[string]mmdbtype.Map{
		"2a01:238::/32":  city("DE", "Berlin", "Berlin"),
		"2c0f:f000::/32": city("NG", "Lagos", "Lagos"),
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
