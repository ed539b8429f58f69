package geo_test

import (
	"math"
	"testing"

	"github.com/docodego/sessions/geo/geotest"
)

// TestRealDataCountries checks well-known public addresses at country level in the real
// DB-IP files. CI installs them (.ci/run), so there their absence fails the test; a
// developer machine without npm has no files and nothing to check.
func TestRealDataCountries(t *testing.T) {
	d := geotest.OpenReal(t)
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

// TestRealDataDistances looks well-known addresses up in the real DB-IP files and checks
// the distances the "far from your usual places" rule (auth.FarFromUsualKm, 1,000 km)
// turns on: the points must be the cities', not a country's middle or 0°N 0°E.
func TestRealDataDistances(t *testing.T) {
	d := geotest.OpenReal(t)
	for _, c := range []struct {
		from, to string
		km       float64 // the distance between the two cities' centres
	}{
		{"85.214.132.117", "193.0.6.139", 577},          // Berlin (Strato) to Amsterdam (RIPE NCC)
		{"8.8.8.8", "128.32.0.1", 55},                   // Mountain View (Google) to Berkeley (UC)
		{"8.8.8.8", "18.7.22.69", 4300},                 // Mountain View to Cambridge, MA (MIT)
		{"1.1.1.1", "130.194.0.1", 720},                 // Sydney to Clayton, Melbourne (Monash)
		{"85.214.132.117", "1.1.1.1", 16090},            // Berlin to Sydney
		{"2001:67c:2e8:22::c100:68b", "193.0.6.139", 0}, // RIPE NCC over IPv6 and IPv4
	} {
		a, errA := d.Lookup(c.from)
		b, errB := d.Lookup(c.to)
		if errA != nil || errB != nil || !a.Point.Known || !b.Point.Known {
			t.Errorf("%s, %s: %+v %v, %+v %v: want both points", c.from, c.to, a, errA, b, errB)
			continue
		}
		// 5% or 15 km: the data moves a city's point a little between releases.
		if got := a.Point.KmTo(b.Point); math.Abs(got-c.km) > max(c.km*0.05, 15) {
			t.Errorf("%s (%s) to %s (%s): %.0f km, want about %.0f", c.from, a.City, c.to, b.City, got, c.km)
		}
	}
}
