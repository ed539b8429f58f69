package handlers_test

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawExchange writes a request byte for byte to a real listener and reads one answer: the
// Go client would refuse to send the malformed framing these tests need.
func rawExchange(t *testing.T, base, request string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte(request)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to %q: %v", request, err)
	}
	resp.Body.Close()
	return resp
}

// Two Content-Length headers make the body's end ambiguous (a proxy may frame by one, the
// app by the other: request smuggling). RFC 9112 6.3: answer 400 and close the connection.
func TestDuplicateContentLengthRefused(t *testing.T) {
	base := newEnv(t).serve()
	const body = `{"email":"a@example.com","password":"x"}`
	n := strconv.Itoa(len(body))
	for _, lengths := range [][2]string{{"2", n}, {n, "2"}, {n, n}} {
		req := "POST /api/auth/sign-in/email HTTP/1.1\r\nHost: example.test\r\nContent-Type: application/json\r\n" +
			"Content-Length: " + lengths[0] + "\r\nContent-Length: " + lengths[1] + "\r\n\r\n" + body
		resp := rawExchange(t, base, req)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("Content-Length %s and %s: status %d, want 400", lengths[0], lengths[1], resp.StatusCode)
		}
		if !resp.Close {
			t.Errorf("Content-Length %s and %s: connection kept open after a framing error", lengths[0], lengths[1])
		}
	}
	// One Content-Length still works.
	one := "POST /api/auth/sign-in/email HTTP/1.1\r\nHost: example.test\r\nContent-Type: application/json\r\n" +
		"Content-Length: " + n + "\r\n\r\n" + body
	if resp := rawExchange(t, base, one); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("one Content-Length: status %d, want 401 (wrong password)", resp.StatusCode)
	}
}
