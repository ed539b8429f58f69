package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/dbsc"
)

// Device binding (DBSC): a browser that holds a key proves it at registration, and then
// every few minutes to renew a short-lived bound cookie. A bound session is refused without
// a valid bound cookie, so a copy of the session cookie stops working when the copied bound
// cookie expires. The cookie is checked in memory (an HMAC over session id and expiry,
// with the key every instance shares): no database round trip per request.

// challengeTTL is how long a challenge waits for its proof; Chrome answers in milliseconds.
const challengeTTL = 5 * time.Minute

const (
	// bindingGrace lets a just-bound session in without its bound cookie while the browser
	// is still registering: Chrome follows the sign-in's redirect while it registers, and
	// that request, sent before the cookie existed, arrived after the binding, was sent
	// to /login?ended=unbound and logged as a refused copy. A copy made in those seconds
	// dies with them, like any other.
	bindingGrace = 10 * time.Second
	// boundCookieSlack: the server takes a bound cookie this much longer than the browser
	// keeps it (Max-Age is the TTL), so the browser has dropped it, and refreshes before
	// sending, by the time the server would refuse it; without it a request sent in the
	// cookie's last second (a live stream reconnecting, say) was refused and the page sent
	// to sign in.
	boundCookieSlack     = 2 * time.Second
	unboundEventInterval = time.Minute
	trackedSessions      = 4096
)

// Errors of binding; ErrProofRefused wraps the reason, which is logged, not shown.
var (
	ErrSessionUnbound = errors.New("bound session without a valid bound cookie")
	ErrProofRefused   = errors.New("dbsc proof refused")
	ErrStaleChallenge = errors.New("dbsc challenge unknown, used or expired")
	// ErrBindingRateLimit is a failed proof past the limit of failed proofs (binding_limit.go).
	ErrBindingRateLimit = errors.New("too many failed dbsc proofs")
	errForeignChallenge = errors.New("not a live registration challenge of this session")
)

// binding is the service's DBSC state: the key of cookies and challenges, and counters.
type binding struct {
	key      []byte
	failures *proofFailures
	refused  *expirable.LRU[string, struct{}]
}

// newBinding starts with a random key: a service that is never given the shared one
// (ShareBindingKey) signs cookies and challenges only it accepts.
func newBinding() *binding {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &binding{key: key, failures: newProofFailures(),
		refused: expirable.NewLRU[string, struct{}](trackedSessions, nil, unboundEventInterval)}
}

// ShareBindingKey derives the bound cookies' key from the CSRF key every instance already
// shares (app_secrets), so a cookie from one instance is good on all: no second secret to
// keep, and neither key reveals the other. Call it once, before serving.
func (s *Service) ShareBindingKey(csrfKey []byte) {
	m := hmac.New(sha256.New, csrfKey)
	m.Write([]byte("dbsc bound cookie key"))
	s.binding.key = m.Sum(nil)
}

// Bind checks a registration proof for the current session, sent from ip, and stores its
// key: the proof must sign a live registration challenge issued to this very session, which
// it uses up. The proof carries its own key, so anyone with the session cookie can sign one:
// a challenge that is not the session's is a failed proof like a bad signature.
func (s *Service) Bind(ctx context.Context, cur Current, proof, ip string) error {
	p, err := dbsc.VerifyRegistration(proof)
	if err != nil {
		return s.refuseProof(cur.Session.ID, ip, err)
	}
	key, err := p.KeyJSON()
	if err != nil {
		return s.refuseProof(cur.Session.ID, ip, err)
	}
	expires, ok := s.challengeExpiry(cur.Session.ID, purposeRegister, p.JTI)
	if !ok {
		return s.refuseProof(cur.Session.ID, ip, errForeignChallenge)
	}
	now := s.now()
	return s.store.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.UseDBSCChallenge(ctx, cur.Session.ID, p.JTI, now, expires); errors.Is(err, db.ErrNoChallenge) {
			return fmt.Errorf("%w: registration", ErrStaleChallenge)
		} else if err != nil {
			return err
		}
		row, err := tx.BindSession(ctx, cur.Session.ID, string(key), now)
		if errors.Is(err, db.ErrNotFound) {
			return fmt.Errorf("%w: session ended or already bound", ErrProofRefused)
		}
		if err != nil {
			return err
		}
		e := db.SessionEvent(db.EventSessionBound, row, &row, now)
		e.Details["alg"] = p.Key.Algorithm
		return tx.InsertAuditEvent(ctx, e)
	})
}

// RefreshBinding checks a refresh proof, sent from ip, with the key stored at registration,
// and uses up its challenge. A valid proof is never refused by a limit: only failed ones
// count (binding_limit.go). A proof signed by the session's key over a challenge that is not
// a live one of ours, or was used already (two refreshes raced, or Chrome signed the one it
// had cached), is ErrStaleChallenge: the device asks again. A bad one is ErrProofRefused.
func (s *Service) RefreshBinding(ctx context.Context, cur Current, proof, ip string) error {
	key, err := s.store.SessionDBSCKey(ctx, cur.Session.ID)
	if errors.Is(err, db.ErrNotFound) {
		return fmt.Errorf("%w: session is not bound", ErrProofRefused)
	}
	if err != nil {
		return fmt.Errorf("refresh binding: %w", err)
	}
	p, err := dbsc.VerifyRefresh(proof, []byte(key))
	if err != nil {
		return s.refuseProof(cur.Session.ID, ip, err)
	}
	expires, ok := s.challengeExpiry(cur.Session.ID, purposeRefresh, p.JTI)
	if !ok {
		return fmt.Errorf("%w: refresh, not a live challenge", ErrStaleChallenge)
	}
	if err := s.store.UseDBSCChallenge(ctx, cur.Session.ID, p.JTI, s.now(), expires); errors.Is(err, db.ErrNoChallenge) {
		return fmt.Errorf("%w: refresh, used", ErrStaleChallenge)
	} else if err != nil {
		return fmt.Errorf("refresh binding: %w", err)
	}
	return nil
}

// refuseProof counts a failed proof and says how to answer it: ErrProofRefused with the
// reason, or ErrBindingRateLimit past the limit.
func (s *Service) refuseProof(sessionID, ip string, reason error) error {
	if s.binding.failures.add(sessionID, ip, s.now()) {
		return ErrBindingRateLimit
	}
	return fmt.Errorf("%w: %w", ErrProofRefused, reason)
}

// BoundCookie is a fresh bound cookie value for the session: its expiry and an HMAC of
// session id and expiry.
func (s *Service) BoundCookie(sessionID string) string {
	until := s.now().Add(s.conf().BoundCookieTTL + boundCookieSlack)
	exp := strconv.FormatInt(until.Add(time.Second-1).Unix(), 10) // rounded up to the second
	return exp + "." + s.boundMAC(sessionID, exp)
}

// CheckBinding refuses a bound session whose request has no valid, unexpired bound
// cookie; an ordinary session passes whatever it carries.
func (s *Service) CheckBinding(cur Current, cookie string) error {
	if cur.Session.DeviceBound && !s.now().Before(s.boundCookieExpiry(cur.Session, cookie)) {
		return ErrSessionUnbound
	}
	return nil
}

// BoundCookieExpiry is when the request's bound cookie stops letting a bound session in,
// so that what was opened with it (a live stream) can end then: the zero time for a
// session that is not bound, a long past one for a bound cookie that is not genuine.
func (s *Service) BoundCookieExpiry(cur Current, cookie string) time.Time {
	if !cur.Session.DeviceBound {
		return time.Time{}
	}
	return s.boundCookieExpiry(cur.Session, cookie)
}

// boundCookieExpiry reads a bound cookie of the session once its HMAC holds; a forged,
// tampered or unreadable one gets the Unix epoch, which is never in the future. No cookie
// at all lets a session in for its first bindingGrace.
func (s *Service) boundCookieExpiry(sess db.Session, cookie string) time.Time {
	if cookie == "" {
		return sess.CreatedAt.Add(bindingGrace)
	}
	exp, mac, ok := strings.Cut(cookie, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(s.boundMAC(sess.ID, exp))) {
		return time.Unix(0, 0)
	}
	t, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return time.Unix(0, 0)
	}
	return time.Unix(t, 0)
}

func (s *Service) boundMAC(sessionID, exp string) string {
	m := hmac.New(sha256.New, s.binding.key)
	m.Write([]byte("dbsc-bound-cookie\x00" + sessionID + "\x00" + exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// RecordUnboundRefused writes session_unbound_refused: someone used the session's cookie
// without its bound cookie, likely a copy. At most once a minute per session, so a
// replaying thief cannot flood the log; a failure to write is logged, not shown.
func (s *Service) RecordUnboundRefused(ctx context.Context, cur Current, c Client) {
	if _, seen := s.binding.refused.Get(cur.Session.ID); seen {
		return
	}
	s.binding.refused.Add(cur.Session.ID, struct{}{})
	now := s.now()
	e := db.SessionEvent(db.EventUnboundRefused, cur.Session, nil, now)
	e.IP = truncateUTF8(c.IP, 64) // where the copy was used from
	e.Details["user_agent"] = truncateUTF8(c.UserAgent, MaxUserAgent)
	err := s.store.InTx(ctx, func(tx *db.Tx) error { return tx.InsertAuditEvent(ctx, e) })
	if err != nil {
		s.log.Error("audit session_unbound_refused", "session_id", cur.Session.ID, "error", err)
		return
	}
}
