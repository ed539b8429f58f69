package db_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
)

// Lookups made at the same moment share statements, and each still gets its own session
// (or ErrNotFound), never another's.
func TestConcurrentLookupsEachGetTheirOwnSession(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	user, sessions := newUserWithSessions(t, store, "batch@example.test", 40)
	other, otherSessions := newUserWithSessions(t, store, "zother@example.test", 1)
	hashOf := func(i int, email string) []byte {
		h := sha256.Sum256([]byte{byte(i), email[0]})
		return h[:]
	}
	if _, err := store.SessionByTokenHash(ctx, hashOf(0, "batch@example.test")); err != nil {
		t.Fatal(err) // warm: the statement is prepared once per connection
	}

	const rounds = 20
	before := store.RoundTrips()
	var wg sync.WaitGroup
	errs := make(chan error, rounds*(len(sessions)+2))
	for range rounds {
		for i, want := range sessions {
			wg.Go(func() {
				got, err := store.SessionByTokenHash(ctx, hashOf(i, "batch@example.test"))
				switch {
				case err != nil:
					errs <- err
				case got.ID != want.ID || got.UserID != user.ID || got.UserEmail != "batch@example.test":
					errs <- errors.New("lookup " + want.ID + " answered with " + got.ID)
				}
			})
		}
		wg.Go(func() {
			got, err := store.SessionByTokenHash(ctx, hashOf(0, "zother@example.test"))
			if err != nil || got.ID != otherSessions[0].ID || got.UserID != other.ID {
				errs <- errors.New("the other user's lookup went wrong")
			}
		})
		wg.Go(func() {
			if _, err := store.SessionByTokenHash(ctx, []byte("no such token hash, 32 bytes...")); !errors.Is(err, db.ErrNotFound) {
				errs <- errors.New("an unknown hash was not ErrNotFound")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	lookups := rounds * (len(sessions) + 2)
	trips := store.RoundTrips() - before
	t.Logf("%d lookups in %d round trips", lookups, trips)
	if trips >= int64(lookups) {
		t.Errorf("%d concurrent lookups took %d round trips: none were shared", lookups, trips)
	}
}

// A cancelled caller gets its context's error; the lookups batched with it are answered.
func TestLookupHonoursTheCallersContext(t *testing.T) {
	store := dbtest.NewStore(t)
	newUserWithSessions(t, store, "ctx@example.test", 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	hash := sha256.Sum256([]byte{0, 'c'})
	if _, err := store.SessionByTokenHash(ctx, hash[:]); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled lookup: %v; want context.Canceled", err)
	}
	if _, err := store.SessionByTokenHash(context.Background(), hash[:]); err != nil {
		t.Errorf("next lookup: %v", err)
	}
}

// After Close, a lookup fails at once instead of waiting for loops that are gone.
func TestLookupAfterCloseFails(t *testing.T) {
	store := dbtest.NewStore(t)
	store.Close()
	hash := sha256.Sum256([]byte("x"))
	if _, err := store.SessionByTokenHash(context.Background(), hash[:]); !errors.Is(err, db.ErrUnavailable) {
		t.Errorf("lookup after close: %v; want ErrUnavailable", err)
	}
}
