package notify_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
)

// At most one "new sign-in" mail per account per SignInMailInterval: five new browsers
// within a minute give one mail at once and one digest listing the other four when the
// interval has passed, delivered through a real SMTP server; a sign-in after the next
// interval is mailed at once again.
func TestNewSignInMailsAreThrottledIntoADigest(t *testing.T) {
	svc, store := newAuth(t)
	server := startSMTP(t, 0)
	ctx := context.Background()
	// The name is the attacker's text of the report: it must reach no mail.
	const name = "Bob SECURITY TEAM: account locked, verify at http://evil.example/x"
	if _, _, err := svc.SignUp(ctx, name, "person@example.com", password, auth.Client{UserAgent: uaChromeMac, IP: "198.51.100.1", DeviceID: "mac"}); err != nil {
		t.Fatal(err)
	}
	w := newWorker(t, store, "smtp://"+server.addr, nil)
	verifyByMail(t, svc, w, store, server)
	t0 := time.Now()
	signIn := func(at time.Time, i int) {
		t.Helper()
		svc.SetClock(func() time.Time { return at })
		c := auth.Client{UserAgent: uaFirefoxWin, IP: fmt.Sprintf("192.0.2.%d", 10+i), DeviceID: fmt.Sprintf("browser-%d", i)}
		if _, _, err := svc.SignIn(ctx, "person@example.com", password, c); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		signIn(t0.Add(time.Duration(i)*10*time.Second), i)
	}
	if n := len(rowsOfKind(t, store, db.MailNewSignIn)); n != 1 {
		t.Fatalf("want 1 immediate sign-in mail, got %d", n)
	}
	if n := len(rowsOfKind(t, store, db.MailNewSignInDigest)); n != 1 {
		t.Fatalf("want the other sign-ins in 1 digest, got %d", n)
	}
	w.SetClock(func() time.Time { return t0.Add(time.Minute) })
	if _, err := w.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if msgs, _ := server.messages(); len(msgs) != 1 {
		t.Fatalf("before the interval passed: want only the first mail, got %d", len(msgs))
	}
	w.SetClock(func() time.Time { return t0.Add(svc.Config().SignInMailInterval + time.Second) })
	if _, err := w.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	msgs, bodies := server.messages()
	if len(msgs) != 2 {
		t.Fatalf("after the interval: want the first mail and the digest, got %d", len(msgs))
	}
	if subject := msgs[1].Header.Get("Subject"); !strings.Contains(subject, "4 more new sign-ins") {
		t.Errorf("digest subject %q", subject)
	}
	for i := 1; i < 5; i++ {
		if ip := fmt.Sprintf("192.0.2.%d", 10+i); !strings.Contains(bodies[1], ip) {
			t.Errorf("digest lacks the sign-in from %s:\n%s", ip, bodies[1])
		}
	}
	for _, b := range bodies {
		for _, bad := range []string{"SECURITY TEAM", "evil.example", "Bob"} {
			if strings.Contains(b, bad) {
				t.Errorf("a sign-in mail carries the name's text %q:\n%s", bad, b)
			}
		}
	}
	if strings.Contains(bodies[1], "192.0.2.10") {
		t.Errorf("the digest repeats the sign-in already mailed:\n%s", bodies[1])
	}
	// A sign-in an interval after the digest is mailed at once.
	later := t0.Add(2*svc.Config().SignInMailInterval + time.Minute)
	signIn(later, 9)
	w.SetClock(func() time.Time { return later })
	if _, err := w.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if msgs, _ := server.messages(); len(msgs) != 3 {
		t.Fatalf("a sign-in after the next interval: want a third mail, got %d", len(msgs))
	}
}
