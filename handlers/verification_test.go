package handlers_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

// pendingToken reads the token of the newest verification mail still in the outbox, as
// the mail would carry it.
func (e *env) pendingToken() string {
	e.t.Helper()
	var token string
	err := e.store.DB().GetContext(context.Background(), &token,
		`SELECT payload->>'token' FROM outbox WHERE kind = 'verify_email' ORDER BY id DESC LIMIT 1`)
	if err != nil {
		e.t.Fatalf("no verification mail queued: %v", err)
	}
	return token
}

// verifyEmail follows the link of the newest verification mail.
func (e *env) verifyEmail() {
	e.t.Helper()
	if r := e.client(uaChromeMac).get("/api/auth/verify-email?token=" + e.pendingToken()); r.status != 200 {
		e.t.Fatalf("verify email: %d %s", r.status, r.body)
	}
}

// better-auth's routes in its shapes: emailVerified is false after sign-up;
// send-verification-email answers {"status":true} (its 400s for another address; 429 past
// the limit); verify-email answers {"status":true,"user":null} once, then 401
// INVALID_TOKEN; emailVerified is then true and a resend is refused.
func TestBetterAuthEmailVerification(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaChromeMac)
	c.signUp("ada@example.com")
	if r := c.get("/api/auth/get-session"); !strings.Contains(r.body, `"emailVerified":false`) {
		t.Fatalf("after sign-up: %s", r.body)
	}
	first := e.pendingToken()
	send := func(body string) response {
		return c.json("POST", "/api/auth/send-verification-email", body)
	}
	if r := send(`{"email":"ada@example.com","callbackURL":"/app/settings/security"}`); r.status != 200 || r.body != `{"status":true}` {
		t.Fatalf("send: %d %s", r.status, r.body)
	}
	if r := send(`{"email":"someone@example.com"}`); r.status != 400 ||
		!strings.Contains(r.body, `"code":"YOU_CAN_ONLY_SEND_A_VERIFICATION_EMAIL_TO_YOUR_OWN_EMAIL"`) {
		t.Errorf("another address: %d %s", r.status, r.body)
	}
	if r := send(`{"email":"ada@example.com","callbackURL":"https://evil.example/"}`); r.status != 400 {
		t.Errorf("a foreign callbackURL: %d %s", r.status, r.body)
	}
	for range 2 { // the limit is 3 resends per hour
		send(`{"email":"ada@example.com"}`)
	}
	checkRetryAfter(t, send(`{"email":"ada@example.com"}`), 429)
	// Signed out, the answer is the same whether or not the account exists.
	anon := e.client(uaFirefoxWin)
	for _, email := range []string{"ada@example.com", "nobody@example.com"} {
		if r := anon.json("POST", "/api/auth/send-verification-email", `{"email":"`+email+`"}`); r.status != 200 || r.body != `{"status":true}` {
			t.Errorf("signed out, %s: %d %s", email, r.status, r.body)
		}
	}

	if r := anon.get("/api/auth/verify-email?token=nonsense"); r.status != 401 || !strings.Contains(r.body, `"code":"INVALID_TOKEN"`) {
		t.Errorf("bad token: %d %s", r.status, r.body)
	}
	if r := anon.get("/api/auth/verify-email?token=x&callbackURL=//evil.example/"); r.status != 403 {
		t.Errorf("foreign callbackURL: %d %s", r.status, r.body)
	}
	if r := anon.get("/api/auth/verify-email?token=" + first); r.status != 200 || r.body != `{"status":true,"user":null}` {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	r := anon.get("/api/auth/verify-email?token=" + first + "&callbackURL=" + url.QueryEscape("/app/settings/security?done=verified"))
	if r.status != 302 || r.header.Get("Location") != "/app/settings/security?done=verified&error=invalid_token" {
		t.Errorf("a used link: %d %q", r.status, r.header.Get("Location"))
	}
	if r := c.get("/api/auth/get-session"); !strings.Contains(r.body, `"emailVerified":true`) {
		t.Errorf("after verifying: %s", r.body)
	}
	if r := send(`{"email":"ada@example.com"}`); r.status != 400 ||
		!strings.Contains(r.body, `"code":"YOU_CAN_ONLY_SEND_A_VERIFICATION_EMAIL_TO_AN_UNVERIFIED_EMAIL"`) {
		t.Errorf("resend when verified: %d %s", r.status, r.body)
	}
}

// checkRetryAfter wants the status with a Retry-After of at least a second.
func checkRetryAfter(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status || r.header.Get("Retry-After") == "" || r.header.Get("Retry-After") == "0" {
		t.Fatalf("want %d with Retry-After, got %d %q %s", status, r.status, r.header.Get("Retry-After"), r.body)
	}
}

// The security page shows "Verify your email" with a resend form that works without
// JavaScript (and as htmx), until the link in the mail is followed; the link lands on
// the page with plain words.
func TestSecurityPageAsksToVerifyUntilVerified(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaChromeMac)
	c.signUp("ada@example.com")
	page := c.get("/app/settings/security")
	if !strings.Contains(page.body, `<h2 id="verify-heading">Verify your email</h2>`) ||
		!strings.Contains(page.body, `action="/app/settings/security/verify-email"`) {
		t.Fatalf("no verify card: %s", page.body)
	}
	r := c.form("/app/settings/security/verify-email", url.Values{})
	if r.status != 303 || r.header.Get("Location") != "/app/settings/security?done=verification_sent" {
		t.Fatalf("no-JS resend: %d %q", r.status, r.header.Get("Location"))
	}
	if r := c.get("/app/settings/security?done=verification_sent"); !strings.Contains(r.body, "We sent a new verification link to ada@example.com.") {
		t.Errorf("after resend: %s", r.body)
	}
	frag := c.htmx("POST", "/app/settings/security/verify-email")
	if frag.status != 200 || !strings.Contains(frag.body, `id="verify-email"`) || strings.Contains(frag.body, "<html") {
		t.Errorf("htmx resend: %d %s", frag.status, frag.body)
	}
	c.htmx("POST", "/app/settings/security/verify-email")
	limited := c.htmx("POST", "/app/settings/security/verify-email") // the 4th mail within the hour
	if !strings.Contains(limited.body, "Too many attempts.") {
		t.Errorf("htmx resend past the limit: %d %s", limited.status, limited.body)
	}
	noJS := c.form("/app/settings/security/verify-email", url.Values{})
	checkRetryAfter(t, noJS, 429)
	if !strings.Contains(noJS.body, `<h2 id="verify-heading">`) || !strings.Contains(noJS.body, "Too many attempts.") {
		t.Errorf("no-JS resend past the limit: %s", noJS.body)
	}
	link := "/api/auth/verify-email?" + url.Values{"token": {e.pendingToken()}, "callbackURL": {"/app/settings/security?done=verified"}}.Encode()
	r = c.get(link)
	if r.status != 302 || r.header.Get("Location") != "/app/settings/security?done=verified" {
		t.Fatalf("link: %d %q", r.status, r.header.Get("Location"))
	}
	page = c.get(r.header.Get("Location"))
	if !strings.Contains(page.body, "Your email address is verified.") || strings.Contains(page.body, `id="verify-email"`) {
		t.Errorf("after verifying: %s", page.body)
	}
	if page := c.get("/app/settings/security"); strings.Contains(page.body, "Verify your email") {
		t.Error("the card is still shown once verified")
	}
}

// Sign-up refuses addresses that are not plain and mailable (an IP literal, a bare host,
// control characters) and lower-cases the domain.
func TestSignUpChecksTheAddress(t *testing.T) {
	e := newEnv(t)
	for _, bad := range []string{`x@[10.0.0.5]`, `x@10.0.0.5`, `x@localhost`, `x\u0007@example.com`} {
		r := e.client(uaChromeMac).json("POST", "/api/auth/sign-up/email", `{"name":"N","email":"`+bad+`","password":"`+testPassword+`"}`)
		if r.status != 400 || !strings.Contains(r.body, `"code":"INVALID_EMAIL"`) {
			t.Errorf("%s: %d %s", bad, r.status, r.body)
		}
	}
	r := e.client(uaChromeMac).json("POST", "/api/auth/sign-up/email", `{"name":"N","email":"Ada@Example.COM","password":"`+testPassword+`"}`)
	if r.status != 200 || !strings.Contains(r.body, `"email":"Ada@example.com"`) {
		t.Errorf("domain not lower-cased: %d %s", r.status, r.body)
	}
}
