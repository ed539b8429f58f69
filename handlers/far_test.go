package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/geo"
	"github.com/docodego/sessions/geo/geotest"
)

// farBadge is the badge of a sign-in far from the usual places, as the row writes it.
const farBadge = `<strong class="risk">Far from your usual places</strong>`

// signInStep is one sign-in of a far-from-the-usual-places walk, and whether its row
// must say so.
type signInStep struct {
	ip, where string
	far       bool
}

// walkSignIns signs up from the first address, then in from each step with a browser of
// its own, and checks each row's "far" badge on the account's page.
func walkSignIns(t *testing.T, places *geo.DB, email, signUpIP string, steps []signInStep) {
	t.Helper()
	e := newEnvWith(t, envOptions{proxies: []string{"0.0.0.0"}, auth: func(c *auth.Config) { c.Places = places }})
	home := e.client(uaChromeMac)
	mustOK(t, home.signUpFrom(signUpIP, email))
	ids := make([]string, len(steps))
	for i, s := range steps {
		c := e.client(uaFirefoxWin)
		mustOK(t, c.signInFrom(s.ip, email, testPassword))
		ids[i] = c.currentID()
	}
	page := home.get("/app/settings/security").body
	for i, s := range steps {
		if row := rowOf(t, page, ids[i]); strings.Contains(row, farBadge) != s.far {
			t.Errorf("sign-in %d from %s (%s): far = %v, want %v:\n%s", i+1, s.ip, s.where, !s.far, s.far, row)
		}
	}
}

// "Far from your usual places" is a distance: a sign-in more than auth.FarFromUsualKm from
// every place the account signed in from before, in a country it knows (a first sign-in
// from a country says so already), on the small test data.
func TestFarFromTheUsualPlaces(t *testing.T) {
	walkSignIns(t, geotest.Open(t), "far@example.com", "3.3.0.1", []signInStep{ // Mountain View
		{"3.4.0.1", "Berkeley, 58 km away", false},
		{"4.4.0.1", "Cambridge, MA, 4,300 km from both", true},
		{"4.4.0.2", "Cambridge again: a usual place now", false},
		{"41.58.1.2", "Lagos: a new country, which its badge says", false},
		{"192.0.2.7", "an address without a place", false},
	})
}

// The same rule on the real DB-IP data, with well-known addresses, as geo's real-data
// tests look them up (skipped without the files, except in CI).
func TestFarFromTheUsualPlacesWithRealAddresses(t *testing.T) {
	walkSignIns(t, geotest.OpenReal(t), "far-real@example.com", "8.8.8.8", []signInStep{ // Google, Mountain View
		{"128.32.0.1", "UC Berkeley, 55 km away", false},
		{"18.7.22.69", "MIT, Cambridge MA, 4,300 km away", true},
		{"1.1.1.1", "Cloudflare, Sydney: a new country", false},
		{"130.194.0.1", "Monash, Melbourne: 720 km from Sydney", false},
		{"193.0.6.139", "RIPE NCC, Amsterdam: a new country", false},
		{"85.214.132.117", "Strato, Berlin: a new country, 577 km from Amsterdam", false},
	})
}

// Two sign-ins at the same moment, each measured against the places before it: exactly
// one of them is far, as if one after the other. (a) An account without a place yet
// (signed up from no known place) signs in from Mountain View and Cambridge, MA at once:
// whichever comes second is 4,300 km from the first. (b) An account from Mountain View
// signs in from Cambridge twice at once: only the first is far from everything before it.
// What orders them is the account's row, which a sign-in's transaction holds from its
// start (LockCredential, and the session insert's security_rev trigger); a read of the
// places outside that order would let both read no earlier place (a) or only Mountain
// View (b).
func TestFarFromTheUsualPlacesUnderConcurrency(t *testing.T) {
	places := geotest.Open(t)
	e := newEnvWith(t, envOptions{proxies: []string{"0.0.0.0"}, auth: func(c *auth.Config) {
		c.Places, c.SignInLimit, c.SignUpLimit = places, 1<<20, 1<<20
	}})
	e.auth.SetPasswordCheck(func(password, encoded string) (bool, error) {
		time.Sleep(3 * time.Millisecond) // as raceEnv: both sign-ins reach their transactions together
		return auth.CheckPassword(password, encoded)
	})
	ctx := context.Background()
	for round := range raceRounds {
		for _, c := range []struct {
			name, signUpIP string
			ips            [2]string
		}{{"a", "192.0.2.1", [2]string{"3.3.0.1", "4.4.0.1"}}, {"b", "3.3.0.1", [2]string{"4.4.0.1", "4.4.0.2"}}} {
			email := fmt.Sprintf("far-race-%s-%d@example.com", c.name, round)
			if _, _, err := e.auth.SignUp(ctx, "Race", email, testPassword, auth.Client{UserAgent: uaChromeMac, IP: c.signUpIP}); err != nil {
				t.Fatal(err)
			}
			var got [2]auth.Current
			var errs [2]error
			atBarrier(
				func() {
					got[0], _, errs[0] = e.auth.SignIn(ctx, email, testPassword, auth.Client{UserAgent: uaFirefoxWin, IP: c.ips[0]})
				},
				func() {
					got[1], _, errs[1] = e.auth.SignIn(ctx, email, testPassword, auth.Client{UserAgent: uaFirefoxWin, IP: c.ips[1]})
				},
			)
			far := 0
			for i, cur := range got {
				if errs[i] != nil {
					t.Fatalf("round %d (%s): sign-in from %s: %v", round, c.name, c.ips[i], errs[i])
				}
				s, err := e.store.UserSession(ctx, cur.UserID, cur.Session.ID)
				if err != nil {
					t.Fatal(err)
				}
				if s.Risk&db.RiskFarFromUsual != 0 {
					far++
				}
			}
			if far != 1 {
				t.Errorf("round %d (%s): %d of the two sign-ins are far from the usual places, want exactly 1", round, c.name, far)
			}
		}
	}
}
