package geo_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docodego/sessions/geo"
	"github.com/docodego/sessions/geo/geotest"
)

func TestLookup(t *testing.T) {
	d, err := geo.Open(geotest.Dir(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// The files hold float32 coordinates, as DB-IP's do.
	at := func(lat, lon float32) geo.Point { return geo.Point{Lat: float64(lat), Lon: float64(lon), Known: true} }
	berlin := geo.Place{City: "Berlin", Region: "Berlin", CountryCode: "DE", Point: at(52.52, 13.40)}
	lagos := geo.Place{City: "Lagos", Region: "Lagos", CountryCode: "NG", Point: at(6.45, 3.39)}
	for _, tc := range []struct {
		ip   string
		want geo.Place
	}{
		{"85.214.132.117", berlin},
		{"41.58.1.2", lagos},
		{"2a01:238:4200::1", berlin},                                      // IPv6
		{"::ffff:85.214.132.117", berlin},                                 // IPv4-mapped: looked up as IPv4
		{"::ffff:41.58.1.2", lagos},                                       // (the v6 file has no IPv4 data)
		{"5.5.5.5", geo.Place{CountryCode: "FR", Point: at(46.23, 2.21)}}, // no city
		{"8.8.8.8", geo.Place{}},                                          // not in the data
		{"2001:db9::1", geo.Place{}},                                      // not in the data
		{"10.1.2.3", geo.Place{}}, {"192.168.0.1", geo.Place{}}, {"127.0.0.1", geo.Place{}},
		{"100.64.1.1", geo.Place{}}, {"169.254.1.1", geo.Place{}}, {"fd00::1", geo.Place{}}, {"fe80::1", geo.Place{}},
		{"::1", geo.Place{}}, {"not an ip", geo.Place{}}, {"", geo.Place{}},
	} {
		got, err := d.Lookup(tc.ip)
		if err != nil || got != tc.want {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v", tc.ip, got, err, tc.want)
		}
	}
}

func TestIsLocal(t *testing.T) {
	for ip, want := range map[string]bool{
		"10.0.0.1": true, "172.16.5.4": true, "192.168.1.1": true, "127.0.0.1": true, "::1": true,
		"169.254.0.1": true, "fe80::1": true, "100.64.0.1": true, "100.127.255.254": true,
		"fd12:3456::1": true, "fc00::1": true, "::ffff:192.168.1.1": true, "0.0.0.0": true,
		"100.128.0.1": false, "8.8.8.8": false, "2001:4860::1": false, "::ffff:8.8.8.8": false, "junk": false,
	} {
		if got := geo.IsLocalIP(ip); got != want {
			t.Errorf("geo.IsLocalIP(%q) = %v, want %v", ip, got, want)
		}
	}
}

func TestNilDBHasNoData(t *testing.T) {
	var d *geo.DB
	if d.Loaded() {
		t.Fatal("nil DB says it is loaded")
	}
	if p, err := d.Lookup("85.214.132.117"); p.Known() || err != nil {
		t.Fatalf("nil DB looked up %+v, %v", p, err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenMissingAndOff(t *testing.T) {
	if _, err := geo.Open(t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("empty folder: %v, want fs.ErrNotExist", err)
	}
	if _, err := geo.Open(geo.Off); !errors.Is(err, geo.ErrOff) {
		t.Fatalf("off: %v, want geo.ErrOff", err)
	}
}

// TestOpenCorrupt: a truncated file (metadata gone) and one whose search tree is garbage
// (metadata intact) are both refused at Open, with the file's name in the error.
func TestOpenCorrupt(t *testing.T) {
	for name, damage := range map[string]func([]byte) []byte{
		"truncated": func(b []byte) []byte { return b[:len(b)/2] },
		"garbage tree": func(b []byte) []byte {
			for i := 0; i < len(b)/2; i++ {
				b[i] = 0xff
			}
			return b
		},
		"empty": func([]byte) []byte { return nil },
	} {
		t.Run(name, func(t *testing.T) {
			dir := geotest.Dir(t)
			path := filepath.Join(dir, geo.IPv4File)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, damage(b), 0o644); err != nil {
				t.Fatal(err)
			}
			d, err := geo.Open(dir)
			if err == nil {
				d.Close()
				t.Fatal("opened a damaged file")
			}
			if errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), geo.IPv4File) {
				t.Fatalf("error %q does not name the damaged file", err)
			}
		})
	}
}

// BenchmarkLookup is one lookup in the test files (bench/geo.go measures the real data).
func BenchmarkLookup(b *testing.B) {
	d, err := geo.Open(geotest.Dir(b))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ips := []string{"85.214.132.117", "41.58.1.2", "2a01:238:4200::1", "8.8.8.8", "5.5.5.5"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := d.Lookup(ips[i%len(ips)]); err != nil {
			b.Fatal(err)
		}
	}
}

// KmTo is the great-circle distance, whichever way round and across the antimeridian.
func TestKmTo(t *testing.T) {
	berlin, sydney := geo.Point{Lat: 52.52, Lon: 13.40, Known: true}, geo.Point{Lat: -33.87, Lon: 151.21, Known: true}
	for _, c := range []struct {
		a, b geo.Point
		km   float64
	}{
		{berlin, berlin, 0},
		{berlin, sydney, 16090},
		{sydney, berlin, 16090},
		{geo.Point{Lat: 0, Lon: 179.5}, geo.Point{Lat: 0, Lon: -179.5}, 111}, // one degree, over the antimeridian
		{geo.Point{Lat: 90}, geo.Point{Lat: -90}, 20015},                     // pole to pole: half the circumference
	} {
		if got := c.a.KmTo(c.b); got < c.km*0.99-1 || got > c.km*1.01+1 {
			t.Errorf("%+v to %+v: %.1f km, want %.0f", c.a, c.b, got, c.km)
		}
	}
}
