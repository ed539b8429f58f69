package testserver

import (
	"net"
	"testing"
)

// FreeAddr asks the kernel for a free port on 127.0.0.1 and gives it as host:port, for a
// process the test starts with that address.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// FreePort is FreeAddr's port, for a tool that takes a port number.
func FreePort(t testing.TB) int {
	t.Helper()
	_, port, _ := net.SplitHostPort(FreeAddr(t))
	n, _ := net.LookupPort("tcp", port)
	return n
}
