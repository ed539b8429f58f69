package auth

import "testing"

func TestAddressKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"203.0.113.5", "203.0.113.5"},
		{"::ffff:203.0.113.5", "203.0.113.5"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"not an address", "not an address"},
		{"", ""},
	} {
		if got := addressKey(tc.in); got != tc.want {
			t.Errorf("addressKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
