package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/device"
	"github.com/docodego/sessions/geo"
)

// Config holds the session and password rules.
type Config struct {
	IdleTimeout      time.Duration // a session unused this long ends (default 7 days)
	AbsoluteLifetime time.Duration // a session ends this long after sign-in whatever happens (default 30 days)
	Password         PasswordParams
	SignInLimit      int           // sign-in attempts per address (an IPv6 /64), per account and per known browser within SignInWindow (default 10)
	SignInWindow     time.Duration // (default 10 minutes)
	SignUpLimit      int           // sign-ups per address (an IPv6 /64) within SignUpWindow (default 10)
	SignUpWindow     time.Duration // (default 1 hour)
	// PasswordCheckLimit bounds wrong current passwords per session within SignInWindow
	// (default 10): a signed-in person is never held to the account's sign-in limit.
	PasswordCheckLimit int
	HashConcurrency    int           // password hashes running at once (default: the number of cores)
	HashWait           time.Duration // longest wait for a hashing slot before 503 (default 2 s; the request deadline, 2.5 s, bounds it too)
	VerificationTTL    time.Duration // an email verification link works this long (default 24 hours)
	VerifyMailLimit    int           // verification mails per account within VerifyMailWindow (default 3)
	VerifyMailWindow   time.Duration // (default 1 hour)
	// VerifyRequestLimit bounds signed-out verification mail requests per address (an
	// IPv6 /64) within VerifyMailWindow (default 10), whatever emails they name.
	VerifyRequestLimit int
	// SignInMailInterval is the least time between two "new sign-in" mails of an account
	// (default 10 minutes); sign-ins in between go out together in one digest.
	SignInMailInterval time.Duration
	// Places is where addresses are looked up, at sign-in and when a session is seen from
	// a new address (nil: no location data; sessions then record no place).
	Places *geo.DB
	// BoundCookieTTL is how long a device-bound session's bound cookie lasts (default 10
	// minutes): how long a copied cookie can work.
	BoundCookieTTL time.Duration
	// ReauthWindow is how long after the password was last proven a session may end other
	// sessions ("sudo mode", ASVS V3.3.4; default 10 minutes). Zero turns the rule off.
	ReauthWindow time.Duration
	// SessionLimit is the most live sessions a person may have (default 100); a sign-in
	// past it ends the least recently active other one. Zero means no limit.
	SessionLimit int
	// ShortLifetime is the absolute lifetime of a session without "Keep me signed in"
	// (default 12 hours); its cookie also ends with the browser.
	ShortLifetime time.Duration
	// RememberLifetime is how long a session with "Keep me signed in" lasts, at most
	// AbsoluteLifetime (0: AbsoluteLifetime); RememberOffered shows the box at sign-in
	// (without it every session is one without "Keep me signed in").
	RememberLifetime time.Duration
	RememberOffered  bool
	// UnverifiedSignIn lets accounts sign in before their address is verified.
	UnverifiedSignIn bool
	// SignInMail and CountryMail send the "new sign-in" and "first sign-in from <country>"
	// mails.
	SignInMail, CountryMail bool
}

// DefaultConfig is the configuration the app runs with unless told otherwise.
func DefaultConfig() Config {
	return Config{
		IdleTimeout:        7 * 24 * time.Hour,
		AbsoluteLifetime:   30 * 24 * time.Hour,
		Password:           DefaultPasswordParams,
		SignInLimit:        10,
		SignInWindow:       10 * time.Minute,
		SignUpLimit:        10,
		SignUpWindow:       time.Hour,
		PasswordCheckLimit: 10,
		HashConcurrency:    runtime.NumCPU(),
		HashWait:           2 * time.Second,
		VerificationTTL:    24 * time.Hour,
		VerifyMailLimit:    3,
		VerifyMailWindow:   time.Hour,
		VerifyRequestLimit: 10,
		SignInMailInterval: 10 * time.Minute,
		BoundCookieTTL:     10 * time.Minute,
		ReauthWindow:       10 * time.Minute,
		SessionLimit:       100,
		ShortLifetime:      12 * time.Hour,
		RememberOffered:    true,
		UnverifiedSignIn:   true,
		SignInMail:         true,
		CountryMail:        true,
	}
}

// withDefaults fills the settings a caller left zero from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	orDefault(&c.SignInLimit, d.SignInLimit)
	orDefault(&c.SignInWindow, d.SignInWindow)
	orDefault(&c.SignUpLimit, d.SignUpLimit)
	orDefault(&c.SignUpWindow, d.SignUpWindow)
	orDefault(&c.PasswordCheckLimit, d.PasswordCheckLimit)
	orDefault(&c.HashConcurrency, d.HashConcurrency)
	orDefault(&c.HashWait, d.HashWait)
	orDefault(&c.VerificationTTL, d.VerificationTTL)
	orDefault(&c.VerifyMailLimit, d.VerifyMailLimit)
	orDefault(&c.VerifyMailWindow, d.VerifyMailWindow)
	orDefault(&c.VerifyRequestLimit, d.VerifyRequestLimit)
	orDefault(&c.SignInMailInterval, d.SignInMailInterval)
	orDefault(&c.BoundCookieTTL, d.BoundCookieTTL)
	orDefault(&c.ShortLifetime, d.ShortLifetime)
	// ReauthWindow and SessionLimit are not defaulted: zero turns each rule off.
	return c
}

func orDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Client is what a request tells about the device making it.
type Client struct {
	UserAgent string
	IP        string
	DeviceID  string // the browser's long-lived random id (cookie); "" when it has none
	Lang      string // the language the person reads the app in, for mail about this sign-in
	// ForgetOnClose is "Keep me signed in" left unchecked: the session lives ShortLifetime
	// and its cookie ends with the browser.
	ForgetOnClose bool
}

// Current is the signed-in person and the session the request came with.
type Current struct {
	Session db.Session
	UserID  string
	Email   string
	Name    string
	// SecurityRev is the revision of the user's security state when the request began
	// (users.security_rev): a page rendered from this request shows at least that state.
	SecurityRev int64
	// EmailVerified is whether the address was verified when the request began, read by
	// the session lookup so a page needs no query of its own for it.
	EmailVerified bool
}

// Service applies the rules on top of the store.
type Service struct {
	store   *db.Store
	devices *device.Parser
	// base is the configuration from the environment; live is it with the administrators'
	// policies over it, replaced whole when they change (policy.go): read it with conf().
	base   Config
	live   atomic.Pointer[Config]
	reload chan struct{} // a policy changed somewhere: load them again (WatchPolicies)
	log    *slog.Logger
	now    func() time.Time
	dummy  string // a hash checked for unknown emails, so they take as long as wrong passwords
	// checkPassword is CheckPassword unless a test counts its calls (SetPasswordCheck).
	checkPassword func(password, encoded string) (bool, error)
	hashSlots     *HashSlots  // bounds concurrent password hashing (hashslots.go)
	geoFailed     atomic.Bool // a lookup error was logged: a damaged file is said once
	binding       *binding    // DBSC cookie key and per-session limits (binding.go)
}

// NewService builds the auth service.
func NewService(store *db.Store, devices *device.Parser, cfg Config, log *slog.Logger) (*Service, error) {
	dummy, err := HashPassword("not a real password, only for timing", cfg.Password)
	if err != nil {
		return nil, fmt.Errorf("new auth service: %w", err)
	}
	cfg = cfg.withDefaults()
	store.LogAuditEvents(log) // one structured line per committed audit event
	s := &Service{store: store, devices: devices, base: cfg, log: log, now: time.Now, dummy: dummy,
		checkPassword: CheckPassword, reload: make(chan struct{}, 1),
		hashSlots: NewHashSlots(cfg.HashConcurrency, cfg.HashWait),
		binding:   newBinding()}
	s.live.Store(&cfg)
	return s, nil
}

// Config returns the rules in force: the environment's, with the policies over them.
func (s *Service) Config() Config { return *s.live.Load() }

// conf is the rules in force, without a copy.
func (s *Service) conf() *Config { return s.live.Load() }

// SetClock replaces the clock, for tests of expiry.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// SetPasswordCheck replaces CheckPassword, for tests that count how often the KDF runs.
func (s *Service) SetPasswordCheck(check func(password, encoded string) (bool, error)) {
	s.checkPassword = check
}

// Now is the service's current time.
func (s *Service) Now() time.Time { return s.now() }

// SignUp creates an account and its first session; it returns the new secret token.
func (s *Service) SignUp(ctx context.Context, name, email, password string, c Client) (Current, string, error) {
	name, email, err := validateSignUp(name, email, password)
	if err != nil {
		return Current{}, "", err
	}
	if _, err := s.hit(ctx, db.LimitSignUp, addressKey(c.IP), s.conf().SignUpLimit, s.conf().SignUpWindow); err != nil {
		return Current{}, "", err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return Current{}, "", err
	}
	var cur Current
	var token string
	place := s.locate(c.IP)
	err = s.store.InTx(ctx, func(tx *db.Tx) error {
		u, err := tx.CreateUser(ctx, email, name, hash)
		if errors.Is(err, db.ErrEmailTaken) {
			return ErrEmailTaken
		}
		if err != nil {
			return err
		}
		if cur, token, err = s.startSession(ctx, tx, u, c, place); err != nil {
			return err
		}
		return s.recordSignUp(ctx, tx, cur, c, place.Point)
	})
	if err != nil {
		return Current{}, "", fmt.Errorf("sign up: %w", err)
	}
	return cur, token, nil
}

// SignIn checks a password and starts a new session with a new token; any session the
// request already carried is left alone, so a planted cookie cannot be fixed on the user.
func (s *Service) SignIn(ctx context.Context, email, password string, c Client) (Current, string, error) {
	if !oneLine(email) || len(email) > maxEmailLength {
		return Current{}, "", &InputError{Field: "email", Code: "error.email_invalid"} // no account has it
	}
	// The hashing slot comes first: a sign-in refused for want of one (503) has checked no
	// password and counted no attempt, so a flood cannot push the account or the address
	// toward its limit, and lock people out with their own right password.
	release, err := s.hashSlots.Acquire(ctx)
	if err != nil {
		return Current{}, "", err
	}
	attempt, u, ok, err := s.checkCredentials(ctx, email, password, c, release)
	if err != nil {
		return Current{}, "", err
	}
	if !ok {
		if u.ID != "" {
			s.recordFailedSignIn(ctx, u, c)
		}
		return Current{}, "", ErrInvalidCredentials
	}
	if !u.EmailVerifiedAt.Valid && !s.conf().UnverifiedSignIn {
		return Current{}, "", ErrEmailUnverified // told only to whoever knows the password
	}
	var cur Current
	var token string
	place := s.locate(c.IP) // before the transaction: a first lookup may read from disk
	err = s.store.InTx(ctx, func(tx *db.Tx) error {
		// The hash was checked outside the transaction (~40 ms of argon2id): a session starts
		// only if it is still the account's credential. Locked, so a password change either
		// committed before (and this refuses) or waits, then ends this session too.
		current, err := tx.LockCredential(ctx, u.ID)
		if err != nil {
			return err
		}
		if current != u.PasswordHash {
			return ErrInvalidCredentials
		}
		if cur, token, err = s.startSession(ctx, tx, u, c, place); err != nil {
			return err
		}
		evicted, err := s.applySessionLimit(ctx, tx, cur, c)
		if err != nil {
			return err
		}
		return s.recordSignIn(ctx, tx, cur, c, place.Point, evicted)
	})
	if err != nil {
		return Current{}, "", fmt.Errorf("sign in: %w", err)
	}
	if err := s.store.LoginSucceeded(ctx, attempt); err != nil {
		return Current{}, "", fmt.Errorf("sign in: %w", err)
	}
	return cur, token, nil
}

// checkCredentials counts the attempt (refused past the limits) and checks the password,
// in the hashing slot its caller took, which it gives back (release) once the check has
// ended (runKDF). An unknown address is checked against a dummy hash, so it takes as long
// as a wrong password; it answers a zero User and false.
func (s *Service) checkCredentials(ctx context.Context, email, password string, c Client, release func()) (int64, db.User, bool, error) {
	checking := false
	defer func() {
		if !checking {
			release()
		}
	}()
	attempt, err := s.recordAttempt(ctx, email, c)
	if err != nil {
		return 0, db.User{}, false, err
	}
	u, err := s.store.UserByEmail(ctx, email)
	hash := u.PasswordHash
	switch {
	case errors.Is(err, db.ErrNotFound):
		u, hash = db.User{}, s.dummy
	case err != nil:
		return 0, db.User{}, false, fmt.Errorf("sign in: %w", err)
	}
	checking = true // the slot is the KDF's now
	check := s.checkPassword
	ok, err := runKDF(ctx, release, func() (bool, error) { return check(password, hash) })
	if err != nil {
		return 0, db.User{}, false, fmt.Errorf("sign in: %w", err)
	}
	return attempt, u, ok && u.ID != "", nil
}

// startSession records a new session; the user agent is parsed here, once, not per render.
func (s *Service) startSession(ctx context.Context, tx *db.Tx, u db.User, c Client, place geo.Place) (Current, string, error) {
	token, hash, err := NewToken()
	if err != nil {
		return Current{}, "", err
	}
	ua := cleanUserAgent(c.UserAgent)
	d := s.devices.Parse(ua)
	now := s.now()
	sess, err := tx.CreateSession(ctx, db.NewSession{
		UserID: u.ID, TokenHash: hash, UserAgent: ua, IP: truncateUTF8(c.IP, 64),
		Browser: d.Browser, OS: d.OS, DeviceType: d.Type, Label: d.Label, Place: place,
		CreatedAt: now, ExpiresAt: now.Add(s.lifetime(c)), Persistent: s.remembers(c),
		DeviceHash: clientDeviceHash(c),
	})
	if err != nil {
		return Current{}, "", err
	}
	return Current{Session: sess, UserID: u.ID, Email: u.Email, Name: u.Name, EmailVerified: u.EmailVerifiedAt.Valid}, token, nil
}

// Authenticate finds the live session behind a cookie value, for a request from ip. A
// revoked or expired one is refused on its very next request: there is no cache in front
// of this lookup.
func (s *Service) Authenticate(ctx context.Context, token, ip string) (Current, error) {
	hash, ok := ParseToken(token)
	if !ok {
		return Current{}, ErrNoSession
	}
	row, err := s.store.SessionByTokenHash(ctx, hash)
	if errors.Is(err, db.ErrNotFound) {
		return Current{}, ErrNoSession
	}
	if err != nil {
		return Current{}, fmt.Errorf("authenticate: %w", err)
	}
	now := s.now()
	switch s.conf().Status(row.Session, now) {
	case StatusRevoked:
		return Current{}, revokedError(row.RevokeReason) // its device is told why (/login?ended=limit, ...)
	case StatusExpired:
		// Logged once: the cookie is cleared with this answer, and the mark is conditional.
		s.recordExpired(ctx, row.Session, now)
		return Current{}, ErrSessionExpired
	}
	if every := s.conf().TouchInterval(); now.Sub(row.LastSeenAt) >= every {
		if err := s.touch(ctx, &row.Session, now, every, ip); err != nil {
			return Current{}, fmt.Errorf("authenticate: %w", err)
		}
	}
	return Current{Session: row.Session, UserID: row.UserID, Email: row.UserEmail, Name: row.UserName, SecurityRev: row.SecurityRev,
		EmailVerified: row.EmailVerified}, nil
}

// SignOut ends the current session.
func (s *Service) SignOut(ctx context.Context, cur Current) error {
	// The session acts on itself: its ip, browser and os never change after sign-in, so the
	// request's copy of it gives the actor part the revoked row would.
	_, err := s.store.RevokeSessionAudited(ctx, cur.UserID, cur.Session.ID, &cur.Session, "sign_out", s.now(), db.EventSignOut)
	if errors.Is(err, db.ErrNotFound) || errors.Is(err, db.ErrSessionEnded) {
		return nil // already ended: signing out again is not an error, and writes nothing
	}
	if err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// touch records that the session was seen now from ip. The address is looked up only when
// it is not the one last seen: the place rides along in the throttled last-seen write, so a
// session costs no lookup per page view.
func (s *Service) touch(ctx context.Context, sess *db.Session, now time.Time, every time.Duration, ip string) error {
	ip = truncateUTF8(ip, 64)
	if ip == "" {
		ip = sess.LatestIP()
	}
	place := sess.LatestPlace()
	if ip != sess.LatestIP() {
		place = s.locate(ip)
	}
	if err := s.store.TouchSession(ctx, db.Touch{ID: sess.ID, Now: now, Since: now.Add(-every), IP: ip, Place: place}); err != nil {
		return err
	}
	sess.LastSeenAt, sess.LastIP = now, ip
	sess.LastCity, sess.LastRegion, sess.LastCountryCode = place.City, place.Region, place.CountryCode
	return nil
}

// locate is where ip is, or the zero Place. A damaged data file is logged once, not on
// every sign-in; the sign-in goes on without a place.
func (s *Service) locate(ip string) geo.Place {
	p, err := s.conf().Places.Lookup(ip)
	if err != nil && s.geoFailed.CompareAndSwap(false, true) {
		s.log.Error("geoip lookup failed: locations may be missing until the data is replaced", "error", err)
	}
	return p
}
