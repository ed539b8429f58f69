package handlers

import (
	"net"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// clientIP is the address a request came from. Only when the socket peer is a trusted
// proxy (Fiber's IsProxyTrusted over TRUSTED_PROXIES) is X-Forwarded-For read, and then
// from the right: the right-most entry that is not itself a trusted proxy is the client.
// Entries further left were sent by the client and could say anything; Fiber's c.IP()
// would take the left-most one, which a client can spoof through an appending proxy.
// Several X-Forwarded-For lines are one list, in order (RFC 9110 5.3): a proxy that adds
// its own line (HAProxy's option forwardfor) puts the hop it saw last.
func clientIP(c *fiber.Ctx) string {
	peer := c.Context().RemoteIP().String()
	if len(c.App().Config().TrustedProxies) == 0 || !c.IsProxyTrusted() {
		return peer
	}
	var hops []string
	for _, line := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		hops = append(hops, strings.Split(string(line), ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		ip, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // garbage: believe nothing to its left
		}
		ip = ip.Unmap()
		if !trustedProxy(c.App().Config().TrustedProxies, ip) {
			return ip.String()
		}
	}
	return peer
}

// trustedProxy reports whether ip is one of the configured proxies (addresses or CIDRs).
func trustedProxy(proxies []string, ip netip.Addr) bool {
	for _, p := range proxies {
		if strings.Contains(p, "/") {
			if _, n, err := net.ParseCIDR(p); err == nil && n.Contains(ip.AsSlice()) {
				return true
			}
		} else if a, err := netip.ParseAddr(p); err == nil && a.Unmap() == ip {
			return true
		}
	}
	return false
}
