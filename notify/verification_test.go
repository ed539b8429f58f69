package notify_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/notify"
)

var verifyLink = regexp.MustCompile(regexp.QuoteMeta(baseURL+notify.VerifyPath) + `\?callbackURL=[^&\s]+&token=([A-Za-z0-9_-]{43})`)

// verifyByMail delivers the pending verification mail, follows its link and forgets the
// messages received so far; it returns the mail's body.
func verifyByMail(t *testing.T, svc *auth.Service, w *notify.Worker, store *db.Store, server *smtpServer) string {
	t.Helper()
	if _, err := w.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, bodies := server.messages()
	if len(bodies) == 0 {
		t.Fatal("no verification mail delivered")
	}
	body := bodies[len(bodies)-1]
	m := verifyLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no verification link in:\n%s", body)
	}
	if err := svc.VerifyEmail(context.Background(), m[1]); err != nil {
		t.Fatalf("verify: %v", err)
	}
	server.reset()
	return body
}

func rowsOfKind(t *testing.T, store *db.Store, kind string) []db.OutboxRow {
	t.Helper()
	rows, err := store.OutboxRows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []db.OutboxRow
	for _, r := range rows {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// Sign-up mails a single-use link; the database keeps only the token's hash (the outbox
// drops the token once sent); following the link verifies the address once, and of many
// concurrent uses of one link exactly one succeeds.
func TestVerificationLinkWorksOnce(t *testing.T) {
	svc, store := newAuth(t)
	server := startSMTP(t, 0)
	ctx := context.Background()
	mac := auth.Client{UserAgent: uaChromeMac, IP: "198.51.100.1", DeviceID: "mac-device-id"}
	cur, _, err := svc.SignUp(ctx, "Bob SECURITY TEAM: account locked, verify at http://evil.example/x", "Person@Example.COM", password, mac)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Email != "Person@example.com" {
		t.Errorf("email kept as %q, want the domain lower-cased", cur.Email)
	}
	w := newWorker(t, store, "smtp://"+server.addr, nil)
	body := verifyByMail(t, svc, w, store, server)
	for _, bad := range []string{"SECURITY TEAM", "evil.example", "Bob"} {
		if strings.Contains(body, bad) {
			t.Errorf("the verification mail carries the name's text %q:\n%s", bad, body)
		}
	}
	var leftTokens int
	if err := store.DB().GetContext(ctx, &leftTokens, `SELECT count(*) FROM outbox WHERE payload ? 'token'`); err != nil || leftTokens != 0 {
		t.Errorf("a sent verification mail keeps its token in the outbox: %d (%v)", leftTokens, err)
	}
	if a, err := svc.Account(ctx, cur); err != nil || !a.EmailVerified {
		t.Fatalf("not verified after following the link: %+v %v", a, err)
	}
	token := verifyLink.FindStringSubmatch(body)[1]
	if err := svc.VerifyEmail(ctx, token); !errors.Is(err, auth.ErrVerificationInvalid) {
		t.Errorf("a used link worked again: %v", err)
	}
	if err := svc.ResendVerification(ctx, cur, "en"); !errors.Is(err, auth.ErrAlreadyVerified) {
		t.Errorf("resend to a verified address: %v", err)
	}
}

// Many requests with one fresh link at once: exactly one verifies.
func TestVerificationLinkIsSingleUseUnderConcurrency(t *testing.T) {
	for round := range 5 {
		svc, store := newAuth(t)
		server := startSMTP(t, 0)
		ctx := context.Background()
		if _, _, err := svc.SignUp(ctx, "Person", "person@example.com", password, auth.Client{IP: "198.51.100.1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := newWorker(t, store, "smtp://"+server.addr, nil).Drain(ctx); err != nil {
			t.Fatal(err)
		}
		_, bodies := server.messages()
		token := verifyLink.FindStringSubmatch(bodies[0])[1]
		const n = 8
		start := make(chan struct{})
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				<-start
				errs <- svc.VerifyEmail(ctx, token)
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		ok := 0
		for err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, auth.ErrVerificationInvalid):
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d of %d concurrent uses of one link succeeded, want 1", round, ok, n)
		}
	}
}

// A link stops working after VerificationTTL.
func TestVerificationLinkExpires(t *testing.T) {
	svc, store := newAuth(t)
	server := startSMTP(t, 0)
	ctx := context.Background()
	cur, _, err := svc.SignUp(ctx, "Person", "person@example.com", password, auth.Client{IP: "198.51.100.1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newWorker(t, store, "smtp://"+server.addr, nil).Drain(ctx); err != nil {
		t.Fatal(err)
	}
	_, bodies := server.messages()
	token := verifyLink.FindStringSubmatch(bodies[0])[1]
	later := time.Now().Add(svc.Config().VerificationTTL + time.Second)
	svc.SetClock(func() time.Time { return later })
	if err := svc.VerifyEmail(ctx, token); !errors.Is(err, auth.ErrVerificationExpired) {
		t.Fatalf("an expired link: %v", err)
	}
	if a, _ := svc.Account(ctx, cur); a.EmailVerified {
		t.Fatal("an expired link verified the address")
	}
}

// Security mail goes only to verified addresses: someone who signs up with another
// person's address and signs in from new browsers queues no "new sign-in" mail to them.
func TestNoSignInMailToAnUnverifiedAddress(t *testing.T) {
	svc, store := newAuth(t)
	ctx := context.Background()
	if _, _, err := svc.SignUp(ctx, "Person", "victim@example.com", password, auth.Client{IP: "198.51.100.1", DeviceID: "a"}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		c := auth.Client{UserAgent: uaFirefoxWin, IP: "192.0.2.7", DeviceID: "new-browser-" + string(rune('a'+i))}
		if _, _, err := svc.SignIn(ctx, "victim@example.com", password, c); err != nil {
			t.Fatal(err)
		}
	}
	if rows := rowsOfKind(t, store, db.MailNewSignIn); len(rows) != 0 {
		t.Fatalf("%d sign-in mails queued to an unverified address", len(rows))
	}
}
