package db_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
	"github.com/docodego/sessions/geo"
)

// newUser creates a user and, in the same transaction, n sessions: session(i, now) says
// what sign-in i records (its user id is filled in).
func newUser(t *testing.T, store *db.Store, email string, n int, session func(i int, now time.Time) db.NewSession) (db.User, []db.Session) {
	t.Helper()
	ctx := context.Background()
	var user db.User
	var sessions []db.Session
	err := store.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if user, err = tx.CreateUser(ctx, email, "Test", "hash"); err != nil {
			return err
		}
		now := time.Now()
		for i := range n {
			ns := session(i, now)
			ns.UserID = user.ID
			s, err := tx.CreateSession(ctx, ns)
			if err != nil {
				return err
			}
			sessions = append(sessions, s)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return user, sessions
}

// newUserWithSessions is a user with n sessions a second apart; session i's token hash is
// sha256({i, email[0]}).
func newUserWithSessions(t *testing.T, store *db.Store, email string, n int) (db.User, []db.Session) {
	t.Helper()
	return newUser(t, store, email, n, func(i int, now time.Time) db.NewSession {
		hash := sha256.Sum256([]byte{byte(i), email[0]})
		return db.NewSession{TokenHash: hash[:], UserAgent: "ua", IP: "192.0.2.1",
			CreatedAt: now.Add(time.Duration(i) * time.Second), ExpiresAt: now.Add(time.Hour)}
	})
}

func TestCreateUserEmailIsUniqueWhateverItsCase(t *testing.T) {
	store := dbtest.NewStore(t)
	newUserWithSessions(t, store, "Mixed@Example.com", 0)
	err := store.InTx(context.Background(), func(tx *db.Tx) error {
		_, err := tx.CreateUser(context.Background(), "mixed@example.COM", "Other", "hash")
		return err
	})
	if !errors.Is(err, db.ErrEmailTaken) {
		t.Fatalf("want ErrEmailTaken, got %v", err)
	}
	if _, err := store.UserByEmail(context.Background(), "MIXED@example.com"); err != nil {
		t.Fatalf("lookup ignoring case: %v", err)
	}
	if _, err := store.UserByEmail(context.Background(), "nobody@example.com"); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
}

func TestActiveSessionsNewestFirstWithoutEnded(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	user, sessions := newUserWithSessions(t, store, "a@example.com", 3)
	newUserWithSessions(t, store, "b@example.com", 2) // someone else's never show
	now := time.Now()
	if _, err := store.RevokeSessionAudited(ctx, user.ID, sessions[0].ID, &sessions[2], "revoked", now, db.EventSessionRevoked); err != nil {
		t.Fatal(err)
	}
	active, err := store.ActiveSessions(ctx, user.ID, now, now.Add(-time.Hour), now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != 2 || active[0].ID != sessions[2].ID || active[1].ID != sessions[1].ID {
		t.Fatalf("want sessions 2,1 newest first, got %+v", active)
	}
	// Idle past the cut-off: not listed.
	active, _ = store.ActiveSessions(ctx, user.ID, now, now.Add(time.Minute), now.Add(-time.Hour))
	if len(active) != 0 {
		t.Fatalf("idle sessions listed: %d", len(active))
	}
	// Past the absolute expiry: not listed.
	active, _ = store.ActiveSessions(ctx, user.ID, now.Add(2*time.Hour), now.Add(-time.Hour), now.Add(-time.Hour))
	if len(active) != 0 {
		t.Fatalf("expired sessions listed: %d", len(active))
	}
	// Begun before the maximum lifetime in force (lowered since): not listed.
	active, _ = store.ActiveSessions(ctx, user.ID, now, now.Add(-time.Hour), now.Add(time.Minute))
	if len(active) != 0 {
		t.Fatalf("sessions past the current lifetime listed: %d", len(active))
	}
}

// ActiveSessions is scanned by hand: every field it selects lands in its own field, with
// the value UserSession (sqlx, every column) reads; the ones it does not select stay zero.
// The session's time zone is not UTC, so the binary times (pgtime.go) must be the same
// instants as the ones lib/pq parses from text in that zone.
func TestActiveSessionsFieldsAreTheRowsColumns(t *testing.T) {
	ctx := context.Background()
	cfg, err := db.ParseConfig(dbtest.DSN(t) + " timezone=Asia/Kathmandu") // +05:45
	if err != nil {
		t.Fatal(err)
	}
	store, err := db.Open(ctx, cfg, db.PoolOptions{MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	user, sessions := newUser(t, store, "fields@example.com", 1, func(i int, now time.Time) db.NewSession {
		hash := sha256.Sum256([]byte("fields"))
		return db.NewSession{TokenHash: hash[:], UserAgent: "ua", IP: "192.0.2.1", Browser: "Firefox", OS: "Linux",
			DeviceType: "desktop", Label: "Firefox on Linux", Place: geo.Place{City: "Bern", Region: "BE", CountryCode: "CH"},
			CreatedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour), Persistent: true}
	})
	now := time.Now()
	if err := store.TouchSession(ctx, db.Touch{ID: sessions[0].ID, Now: now, Since: now, IP: "198.51.100.7",
		Place: geo.Place{City: "Lyon", Region: "ARA", CountryCode: "FR"}}); err != nil {
		t.Fatal(err)
	}
	want, err := store.UserSession(ctx, user.ID, sessions[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, offset := want.CreatedAt.Zone(); offset != 5*3600+45*60 {
		t.Fatalf("the session's time zone is not in effect: %v", want.CreatedAt)
	}
	want.ProvenAt = time.Time{} // not selected: the list does not show it
	active, err := store.ActiveSessions(ctx, user.ID, now, now.Add(-time.Hour), now.Add(-time.Hour))
	if err != nil || len(active) != 1 {
		t.Fatalf("active: %d, %v", len(active), err)
	}
	got := active[0]
	for _, ts := range []*time.Time{&got.CreatedAt, &got.LastSeenAt, &got.ExpiresAt, &want.CreatedAt, &want.LastSeenAt, &want.ExpiresAt} {
		*ts = ts.UTC()
	}
	if got != want {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestRevokeSessionOnlyOnceAndOnlyOwn(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	alice, as := newUserWithSessions(t, store, "alice@example.com", 2)
	bob, _ := newUserWithSessions(t, store, "bob@example.com", 1)
	revoke := func(userID, id string) error {
		_, err := store.RevokeSessionAudited(ctx, userID, id, &as[1], "revoked", time.Now(), db.EventSessionRevoked)
		return err
	}
	if err := revoke(bob.ID, as[0].ID); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("bob revoked alice's session: %v", err)
	}
	if err := revoke(alice.ID, as[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := revoke(alice.ID, as[0].ID); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("second revoke: %v", err)
	}
	got, err := store.UserSession(ctx, alice.ID, as[0].ID)
	if err != nil || !got.RevokedAt.Valid || got.RevokeReason != "revoked" {
		t.Fatalf("revoked row: %+v %v", got, err)
	}
	if _, err := store.UserSession(ctx, bob.ID, as[0].ID); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("bob sees alice's session: %v", err)
	}
}

func TestRevokeOtherSessionsKeepsOne(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	user, sessions := newUserWithSessions(t, store, "c@example.com", 4)
	_, others := newUserWithSessions(t, store, "d@example.com", 2)
	var ended []db.Session
	err := store.InTx(ctx, func(tx *db.Tx) error {
		var err error
		ended, err = tx.RevokeOtherSessions(ctx, user.ID, sessions[1].ID, "revoked", time.Now())
		return err
	})
	if err != nil || len(ended) != 3 {
		t.Fatalf("ended %d, %v", len(ended), err)
	}
	now := time.Now()
	left, _ := store.ActiveSessions(ctx, user.ID, now, now.Add(-time.Hour), now.Add(-time.Hour))
	if len(left) != 1 || left[0].ID != sessions[1].ID {
		t.Fatalf("left: %+v", left)
	}
	for _, s := range others {
		if got, _ := store.UserSession(ctx, s.UserID, s.ID); got.RevokedAt.Valid {
			t.Fatal("another user's session was revoked")
		}
	}
}

func TestTouchSessionAtMostOncePerInterval(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	user, sessions := newUserWithSessions(t, store, "e@example.com", 1)
	s := sessions[0]
	soon := s.LastSeenAt.Add(30 * time.Second)
	if err := store.TouchSession(ctx, db.Touch{ID: s.ID, Now: soon, Since: soon.Add(-time.Minute), IP: s.IP}); err != nil {
		t.Fatal(err)
	}
	got, _ := store.UserSession(ctx, user.ID, s.ID)
	if !got.LastSeenAt.Equal(s.LastSeenAt) {
		t.Fatalf("touched within the interval: %v -> %v", s.LastSeenAt, got.LastSeenAt)
	}
	later := s.LastSeenAt.Add(2 * time.Minute)
	if err := store.TouchSession(ctx, db.Touch{ID: s.ID, Now: later, Since: later.Add(-time.Minute), IP: s.IP}); err != nil {
		t.Fatal(err)
	}
	got, _ = store.UserSession(ctx, user.ID, s.ID)
	if got.LastSeenAt.Sub(later).Abs() > time.Millisecond {
		t.Fatalf("not touched after the interval: %v", got.LastSeenAt)
	}
}

func TestSessionByTokenHashJoinsUser(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	newUserWithSessions(t, store, "f@example.com", 1)
	hash := sha256.Sum256([]byte{0, 'f'})
	row, err := store.SessionByTokenHash(ctx, hash[:])
	if err != nil || row.UserEmail != "f@example.com" || row.UserName != "Test" {
		t.Fatalf("row %+v, %v", row, err)
	}
	if _, err := store.SessionByTokenHash(ctx, make([]byte, 32)); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("unknown hash: %v", err)
	}
}

func TestSecretKeyIsSharedByEveryInstance(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	first, err := store.SecretKey(ctx, "csrf", []byte("first candidate"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := store.SecretKey(ctx, "csrf", []byte("second candidate"))
	if err != nil || string(second) != string(first) || string(first) != "first candidate" {
		t.Fatalf("keys differ: %q %q %v", first, second, err)
	}
}
