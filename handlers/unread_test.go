package handlers_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/internal/testserver"
)

// Aborted TLS handshakes and malformed HTTP against the app's own TLS listener (and its
// plain one) are the client's doing: no ERROR line, each logged at INFO with its reason
// and counted (the outside test's finding 6, #26: twenty aborted handshakes gave twenty
// level=ERROR status=502 lines). The server goes on answering.
func TestUnreadRequestsAreNotOurErrors(t *testing.T) {
	cert := testserver.NewCert(t)
	srv := testserver.Start(t, testserver.Options{TLS: cert})
	plain := testserver.Start(t, testserver.Options{})
	host := strings.TrimPrefix(srv.URL, "https://")
	trusted := x509.NewCertPool()
	trusted.AddCert(cert.TLS.Leaf)

	for i := range 20 {
		switch i % 4 {
		case 0: // a client that does not trust the certificate aborts with an alert
			if conn, err := tls.Dial("tcp", host, &tls.Config{ServerName: "127.0.0.1"}); err == nil {
				conn.Close()
				t.Fatal("an untrusted certificate was accepted")
			}
		case 1: // plain HTTP to the TLS port
			rawSend(t, host, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		case 2: // the start of a ClientHello, then gone
			rawSend(t, host, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
		case 3: // a handshake the client gives up on: no TLS version in common
			if conn, err := tls.Dial("tcp", host, &tls.Config{RootCAs: trusted, MaxVersion: tls.VersionTLS11}); err == nil {
				conn.Close()
				t.Fatal("TLS 1.1 was accepted")
			}
		}
	}
	malformed := []string{
		"BLAH\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
		"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-Big: "+strings.Repeat("a", 1000)+"\r\n", 40) + "\r\n",
	}
	for _, req := range malformed {
		conn, err := tls.Dial("tcp", host, &tls.Config{RootCAs: trusted})
		if err != nil {
			t.Fatal(err)
		}
		exchange(t, conn, req)
		conn2, err := net.Dial("tcp", strings.TrimPrefix(plain.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		exchange(t, conn2, req)
	}

	notRead := regexp.MustCompile(`(?m)^.*msg="request (failed|not read)".*$`)
	logs := func() string { return srv.Logs() + plain.Logs() }
	for deadline := time.Now().Add(10 * time.Second); len(notRead.FindAllString(logs(), -1)) < 20; {
		if time.Now().After(deadline) {
			t.Fatalf("the server logged %d unread requests; want at least 20:\n%s", len(notRead.FindAllString(logs(), -1)), logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(logs(), "level=ERROR") {
		t.Fatalf("a client's fault was logged as an error:\n%s", logs())
	}
	for _, line := range notRead.FindAllString(logs(), -1) {
		if !strings.Contains(line, "level=INFO") || !regexp.MustCompile(`reason=[a-z_]+`).MatchString(line) ||
			strings.Contains(line, "status=5") {
			t.Errorf("not INFO with a reason and a 4xx: %s", line)
		}
	}
	for _, reason := range []string{"tls_handshake", "malformed", "headers_too_large"} {
		if !strings.Contains(metrics(t, srv), `sessions_http_unread_requests_total{reason="`+reason+`"}`) {
			t.Errorf("no unread request counted as %s:\n%s", reason, metrics(t, srv))
		}
	}
	if r, err := cert.Client().Get(srv.URL + "/healthz"); err != nil || r.StatusCode != 200 {
		t.Fatalf("the server after the abuse: %v %v", r, err)
	}
}

// rawSend writes bytes to a fresh TCP connection and hangs up.
func rawSend(t *testing.T, addr, data string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = conn.Write([]byte(data))
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _ = io.Copy(io.Discard, conn) // until the server hangs up, or the deadline
	conn.Close()
}

// exchange sends a request on conn and reads the answer until the server closes it (it
// may hang up before it has read all of it: headers past the limit, say).
func exchange(t *testing.T, conn net.Conn, req string) {
	t.Helper()
	defer conn.Close()
	_, _ = conn.Write([]byte(req))
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.Copy(io.Discard, conn)
}

// metrics is the server's Prometheus text.
func metrics(t *testing.T, srv *testserver.Server) string {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.Handler.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}
