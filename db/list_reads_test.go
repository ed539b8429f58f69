package db_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
)

// TestListReadsWaitForATurnAndLeaveConnections fills the line of list reads, each holding a
// connection as a running read does: a token lookup still finds a connection of its own, a
// further list read waits and ends with its context as an unavailable database (503, not
// 500), and a turn given back lets it run.
func TestListReadsWaitForATurnAndLeaveConnections(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	user, _ := newUserWithSessions(t, store, "a@example.com", 2)
	var releases []func()
	defer func() {
		for _, release := range releases {
			release()
		}
	}()
	for {
		waitCtx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		release, err := store.TakeListRead(waitCtx)
		cancel()
		if err != nil {
			break // every turn is taken
		}
		conn, err := store.DB().Conn(ctx) // the connection a running list read holds
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, func() { conn.Close(); release() })
		if len(releases) > store.MaxOpen() {
			t.Fatalf("more list reads at once than the pool's %d connections", store.MaxOpen())
		}
	}
	if len(releases) == 0 || len(releases) > store.MaxOpen()/2 {
		t.Fatalf("%d list reads at once, want 1 to half the pool's %d", len(releases), store.MaxOpen())
	}

	lookupCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	hash := sha256.Sum256([]byte{0, 'a'}) // newUserWithSessions' first session
	if s, err := store.SessionByTokenHash(lookupCtx, hash[:]); err != nil || s.UserID != user.ID {
		t.Fatalf("lookup beside a full line of list reads: %+v, %v", s, err)
	}

	now := time.Now()
	waitCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err := store.ActiveSessions(waitCtx, user.ID, now, now.Add(-time.Hour), now.Add(-time.Hour))
	if !errors.Is(err, context.DeadlineExceeded) || !db.IsUnavailable(err) {
		t.Fatalf("list read with no turn free: %v, want its deadline as an unavailable database", err)
	}

	releases[0]()
	releases = releases[1:]
	active, err := store.ActiveSessions(ctx, user.ID, now, now.Add(-time.Hour), now.Add(-time.Hour))
	if err != nil || len(active) != 2 {
		t.Fatalf("list read after a turn was given back: %d sessions, %v", len(active), err)
	}
}
