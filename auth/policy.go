package auth

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/docodego/sessions/db"
)

// Policies are the rules administrators change at runtime (/admin/security/policies). The
// environment gives their initial values; a value an administrator saved (table policies)
// wins over it on every instance. Each instance holds one snapshot of the rules in force
// (Service.live) and replaces it whole when the live listener hears "pol::" (migration
// 00016), so a change applies everywhere within the notification's delivery.

// Policy is the part of Config administrators change.
type Policy struct {
	IdleTimeout      time.Duration
	AbsoluteLifetime time.Duration
	RememberLifetime time.Duration
	RememberOffered  bool
	SessionLimit     int
	ReauthWindow     time.Duration
	UnverifiedSignIn bool
	SignInMail       bool
	CountryMail      bool
}

// Policy names, as stored and as the form's fields are named.
const (
	PolicyIdleTimeout      = "idle_timeout"
	PolicyAbsoluteLifetime = "absolute_lifetime"
	PolicyRememberLifetime = "remember_lifetime"
	PolicyRememberOffered  = "remember_offered"
	PolicySessionLimit     = "session_limit"
	PolicyReauthWindow     = "reauth_window"
	PolicyUnverifiedSignIn = "unverified_sign_in"
	PolicySignInMail       = "sign_in_mail"
	PolicyCountryMail      = "country_mail"
)

// PolicyKind is how a policy's value is written.
type PolicyKind int

// Kinds of policy values.
const (
	KindDuration PolicyKind = iota // "7d", "12h", "30m"; stored as seconds
	KindCount                      // a whole number
	KindSwitch                     // on or off
)

// PolicyField describes one policy: its name, kind and bounds (Min and Max in seconds for
// a duration; Off: 0 is also allowed and turns the rule off).
type PolicyField struct {
	Name     string
	Kind     PolicyKind
	Min, Max int64
	Off      bool
}

// PolicyFields lists every policy in the order the page shows them.
var PolicyFields = []PolicyField{
	{Name: PolicyIdleTimeout, Kind: KindDuration, Min: 60, Max: 400 * 86400},
	{Name: PolicyAbsoluteLifetime, Kind: KindDuration, Min: 60, Max: 400 * 86400},
	{Name: PolicyRememberLifetime, Kind: KindDuration, Min: 60, Max: 400 * 86400},
	{Name: PolicyRememberOffered, Kind: KindSwitch},
	{Name: PolicySessionLimit, Kind: KindCount, Min: 1, Max: 10000, Off: true},
	{Name: PolicyReauthWindow, Kind: KindDuration, Min: 60, Max: 86400, Off: true},
	{Name: PolicyUnverifiedSignIn, Kind: KindSwitch},
	{Name: PolicySignInMail, Kind: KindSwitch},
	{Name: PolicyCountryMail, Kind: KindSwitch},
}

// Policy is the part of c administrators change.
func (c Config) Policy() Policy {
	return Policy{IdleTimeout: c.IdleTimeout, AbsoluteLifetime: c.AbsoluteLifetime, RememberLifetime: c.rememberLifetime(),
		RememberOffered: c.RememberOffered, SessionLimit: c.SessionLimit, ReauthWindow: c.ReauthWindow,
		UnverifiedSignIn: c.UnverifiedSignIn, SignInMail: c.SignInMail, CountryMail: c.CountryMail}
}

// withPolicy is c with p's rules.
func (c Config) withPolicy(p Policy) Config {
	c.IdleTimeout, c.AbsoluteLifetime, c.RememberLifetime = p.IdleTimeout, p.AbsoluteLifetime, p.RememberLifetime
	c.RememberOffered, c.SessionLimit, c.ReauthWindow = p.RememberOffered, p.SessionLimit, p.ReauthWindow
	c.UnverifiedSignIn, c.SignInMail, c.CountryMail = p.UnverifiedSignIn, p.SignInMail, p.CountryMail
	return c
}

// Values is p in the stored form, by policy name.
func (p Policy) Values() map[string]string {
	return map[string]string{
		PolicyIdleTimeout: seconds(p.IdleTimeout), PolicyAbsoluteLifetime: seconds(p.AbsoluteLifetime),
		PolicyRememberLifetime: seconds(p.RememberLifetime), PolicyRememberOffered: strconv.FormatBool(p.RememberOffered),
		PolicySessionLimit: strconv.Itoa(p.SessionLimit), PolicyReauthWindow: seconds(p.ReauthWindow),
		PolicyUnverifiedSignIn: strconv.FormatBool(p.UnverifiedSignIn), PolicySignInMail: strconv.FormatBool(p.SignInMail),
		PolicyCountryMail: strconv.FormatBool(p.CountryMail),
	}
}

func seconds(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

// set applies one stored value; false for a name or value it does not know (a row an
// older or newer version wrote is then left out, never half-applied).
func (p *Policy) set(name, value string) bool {
	n, nerr := strconv.ParseInt(value, 10, 64)
	b, berr := strconv.ParseBool(value)
	d := time.Duration(n) * time.Second
	switch {
	case name == PolicyIdleTimeout && nerr == nil:
		p.IdleTimeout = d
	case name == PolicyAbsoluteLifetime && nerr == nil:
		p.AbsoluteLifetime = d
	case name == PolicyRememberLifetime && nerr == nil:
		p.RememberLifetime = d
	case name == PolicyRememberOffered && berr == nil:
		p.RememberOffered = b
	case name == PolicySessionLimit && nerr == nil:
		p.SessionLimit = int(n)
	case name == PolicyReauthWindow && nerr == nil:
		p.ReauthWindow = d
	case name == PolicyUnverifiedSignIn && berr == nil:
		p.UnverifiedSignIn = b
	case name == PolicySignInMail && berr == nil:
		p.SignInMail = b
	case name == PolicyCountryMail && berr == nil:
		p.CountryMail = b
	default:
		return false
	}
	return true
}

// Validate checks every bound; the error names the first field out of them.
func (p Policy) Validate() error {
	values := p.Values()
	for _, f := range PolicyFields {
		if f.Kind == KindSwitch {
			continue
		}
		n, _ := strconv.ParseInt(values[f.Name], 10, 64)
		if (n < f.Min || n > f.Max) && !(f.Off && n == 0) {
			return &InputError{Field: f.Name, Code: "policy.error.range"}
		}
	}
	if p.RememberLifetime > p.AbsoluteLifetime {
		return &InputError{Field: PolicyRememberLifetime, Code: "policy.error.remember_over_absolute"}
	}
	return nil
}

// overlay is base's policy with the stored values over it.
func overlay(base Policy, rows []db.PolicyValue) (Policy, map[string]bool) {
	p, set := base, map[string]bool{}
	for _, r := range rows {
		if p.set(r.Name, r.Value) {
			set[r.Name] = true
		}
	}
	return p, set
}

// LoadPolicies reads the stored policies and puts the rules they make in force.
func (s *Service) LoadPolicies(ctx context.Context) error {
	rows, err := s.store.Policies(ctx)
	if err != nil {
		return fmt.Errorf("load policies: %w", err)
	}
	p, _ := overlay(s.base.Policy(), rows)
	cfg := s.base.withPolicy(p)
	s.live.Store(&cfg)
	return nil
}

// PolicyChanged says a policy changed somewhere (the live listener heard it, or it
// reconnected and may have missed it): WatchPolicies loads them again. It never blocks.
func (s *Service) PolicyChanged() {
	select {
	case s.reload <- struct{}{}:
	default: // a load is due already; it will read this change too
	}
}

// WatchPolicies loads the policies again after each PolicyChanged until ctx ends; one
// load at a time, so an older read never replaces a newer one.
func (s *Service) WatchPolicies(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.reload:
			if err := s.LoadPolicies(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("policies not reloaded: this instance keeps the previous ones until the next change", "error", err)
			}
		}
	}
}

// PolicyState is what the policies page shows: the rules in force, which of them an
// administrator set (the others are the environment's), and the latest changes.
type PolicyState struct {
	Policy  Policy
	Set     map[string]bool
	History []db.PolicyChange
}

// policyHistoryShown is how many changes the policies page lists.
const policyHistoryShown = 50

// Policies reads the stored policies (not the snapshot: the page shows the database's
// truth) and their history.
func (s *Service) Policies(ctx context.Context) (PolicyState, error) {
	rows, err := s.store.Policies(ctx)
	if err != nil {
		return PolicyState{}, fmt.Errorf("policies: %w", err)
	}
	history, err := s.store.PolicyHistory(ctx, policyHistoryShown)
	if err != nil {
		return PolicyState{}, fmt.Errorf("policies: %w", err)
	}
	p, set := overlay(s.base.Policy(), rows)
	return PolicyState{Policy: p, Set: set, History: history}, nil
}

// PolicyResult is what a change did.
type PolicyResult struct {
	Changed []string // the names of the policies that changed
	Ended   int      // sessions the tightened rules ended
}

// SetPolicy validates p and stores what differs from the rules in force, with a history
// row each (old, new, who, from where, when), and ends the live sessions a lowered
// lifetime or limit no longer allows ("Ended: policy change" on their rows, an event in
// their owners' activity), all in one transaction; its commit tells every instance. The
// admin guard has checked the role and the proof of password.
func (s *Service) SetPolicy(ctx context.Context, admin Current, ip string, p Policy) (PolicyResult, error) {
	if err := p.Validate(); err != nil {
		return PolicyResult{}, err
	}
	var res PolicyResult
	err := s.store.InTx(ctx, func(tx *db.Tx) error {
		rows, err := tx.LockPolicies(ctx)
		if err != nil {
			return err
		}
		old, _ := overlay(s.base.Policy(), rows)
		now := s.now()
		oldValues, newValues := old.Values(), p.Values()
		for _, f := range PolicyFields {
			if oldValues[f.Name] == newValues[f.Name] {
				continue
			}
			res.Changed = append(res.Changed, f.Name)
			if err := tx.SetPolicy(ctx, db.PolicyChange{Name: f.Name, OldValue: oldValues[f.Name], NewValue: newValues[f.Name],
				ByUserID: db.NullID(admin.UserID), ByEmail: admin.Email, IP: truncateUTF8(ip, 64), ChangedAt: now}); err != nil {
				return err
			}
		}
		if cut, ok := policyCut(old, p, now); ok {
			if res.Ended, err = tx.EndSessionsForPolicy(ctx, cut); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return PolicyResult{}, fmt.Errorf("set policy: %w", err)
	}
	if len(res.Changed) > 0 {
		// This instance at once (the others hear the NOTIFY); the change is stored either way.
		if err := s.LoadPolicies(ctx); err != nil {
			s.log.Error("policies not reloaded after a change: the next notification loads them", "error", err)
		}
	}
	return res, nil
}

// policyCut is the sessions that the change from old to p ends: only what was lowered.
func policyCut(old, p Policy, now time.Time) (db.PolicyCut, bool) {
	cut := db.PolicyCut{Now: now, Reason: ReasonPolicyChange}
	if p.IdleTimeout < old.IdleTimeout {
		cut.IdleSince = now.Add(-p.IdleTimeout)
	}
	if p.AbsoluteLifetime < old.AbsoluteLifetime {
		cut.CreatedBefore = now.Add(-p.AbsoluteLifetime)
	}
	if p.RememberLifetime < old.RememberLifetime {
		cut.PersistentBefore = now.Add(-p.RememberLifetime)
	}
	if p.SessionLimit > 0 && (old.SessionLimit == 0 || p.SessionLimit < old.SessionLimit) {
		cut.Limit = p.SessionLimit
	}
	ok := !cut.IdleSince.IsZero() || !cut.CreatedBefore.IsZero() || !cut.PersistentBefore.IsZero() || cut.Limit > 0
	return cut, ok
}
