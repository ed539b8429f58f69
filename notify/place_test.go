package notify_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db/dbtest"
	"github.com/docodego/sessions/geo/geotest"
)

// The mail says where the sign-in came from, and a sign-in from a country the account
// never signed in from is called out as such, even on a device the account knows.
func TestNewSignInMailSaysWhereAndWhatIsNew(t *testing.T) {
	newAuth(t) // loads the shared parser
	store := dbtest.NewStore(t)
	cfg := auth.DefaultConfig()
	cfg.Password = auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1}
	cfg.Places = geotest.Open(t)
	svc, err := auth.NewService(store, parser.p, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	server := startSMTP(t, 0)
	ctx := context.Background()
	macBerlin := auth.Client{UserAgent: uaChromeMac, IP: "85.214.132.117", DeviceID: "mac-device-id"}
	macLagos := auth.Client{UserAgent: uaChromeMac, IP: "41.58.1.2", DeviceID: "mac-device-id"}
	winBerlin := auth.Client{UserAgent: uaFirefoxWin, IP: "::ffff:85.214.1.1", DeviceID: "windows-device-id"}
	if _, _, err := svc.SignUp(ctx, "Person", "person@example.com", password, macBerlin); err != nil {
		t.Fatal(err)
	}
	w := newWorker(t, store, "smtp://"+server.addr, nil)
	verifyByMail(t, svc, w, store, server) // security mail goes only to verified addresses
	if _, _, err := svc.SignIn(ctx, "person@example.com", password, macLagos); err != nil {
		t.Fatal(err)
	}
	// Past the interval that holds further sign-in mails for a digest.
	later := time.Now().Add(cfg.SignInMailInterval + time.Second)
	svc.SetClock(func() time.Time { return later })
	w.SetClock(func() time.Time { return later })
	if _, _, err := svc.SignIn(ctx, "person@example.com", password, winBerlin); err != nil {
		t.Fatal(err)
	}
	drainUntil(t, w, store, 3) // the verification mail, then these two
	_, bodies := server.messages()
	if len(bodies) != 2 {
		t.Fatalf("want 2 mails (new country, new device), got %d", len(bodies))
	}
	for i, want := range [][]string{
		{"from Lagos, Nigeria: the first sign-in from Nigeria", "Lagos, Nigeria", "41.58.1.2"},
		{"a device we have not seen before", "Berlin, Germany", "Firefox on Windows"},
	} {
		for _, s := range want {
			if !strings.Contains(bodies[i], s) {
				t.Errorf("mail %d lacks %q:\n%s", i, s, bodies[i])
			}
		}
	}
	if strings.Contains(bodies[1], "first sign-in from") {
		t.Errorf("a known country called new:\n%s", bodies[1])
	}
}
