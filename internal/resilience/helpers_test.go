package resilience_test

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/db/dbtest"
	"github.com/docodego/sessions/internal/testserver"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

const password = "correct horse battery"

// httpClient has a short timeout: no test here should ever wait long for an answer.
var httpClient = &http.Client{Timeout: 10 * time.Second}

// answer is a response's status and body.
type answer struct {
	status int
	body   string
}

// call sends one request with the session cookie token (may be empty).
func call(t *testing.T, method, url, token, body string) (answer, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: "session", Value: token})
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(data)}, nil
}

// mustCall is call that fails the test on a transport error.
func mustCall(t *testing.T, method, url, token, body string) answer {
	t.Helper()
	a, err := call(t, method, url, token, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return a
}

// signIn signs up (first time) or in through the JSON API and returns the session token.
func signIn(t *testing.T, srv *testserver.Server, email string, signUp bool) string {
	t.Helper()
	path, body := "/api/auth/sign-in/email", `{"email":"`+email+`","password":"`+password+`"}`
	if signUp {
		path, body = "/api/auth/sign-up/email", `{"name":"Test","email":"`+email+`","password":"`+password+`"}`
	}
	req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "session" && c.Value != "" {
			return c.Value
		}
	}
	data, _ := io.ReadAll(resp.Body)
	t.Fatalf("%s: no session cookie (%d %s)", path, resp.StatusCode, data)
	return ""
}

// currentSessionID is the id of the session behind token.
func currentSessionID(t *testing.T, srv *testserver.Server, token string) string {
	t.Helper()
	a := mustCall(t, "GET", srv.URL+"/api/users/me/current-session/", token, "")
	i := strings.Index(a.body, `"id":"`)
	if a.status != 200 || i < 0 {
		t.Fatalf("current session: %d %s", a.status, a.body)
	}
	return a.body[i+6 : i+6+36]
}
