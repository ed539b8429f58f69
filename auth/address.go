package auth

import "net/netip"

// addressKey is what every per-address limit counts under: an IPv4 address as it is, an
// IPv6 address as its /64, and an IPv4-mapped IPv6 address as the IPv4 address it carries.
// One IPv6 host (or one customer's network) holds a whole /64 and takes new addresses from
// it at will (RFC 4941, RFC 6177): counted per address, it would never reach a limit.
// Anything that does not parse is counted as it is.
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
