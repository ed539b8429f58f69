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
// connection as a running read does: a token lookup and the JSON session list still find a
// connection of their own, a further security page read waits and ends with its context as
// an unavailable database (503, not 500), and a turn given back lets it run.
func TestListReadsWaitForATurnAndLeaveConnections(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	user, sessions := newUserWithSessions(t, store, "a@example.com", 2)
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
	q := db.ActivityQuery{UserID: user.ID, ViewerID: sessions[0].ID, Now: now, Notices: 5, Events: 5, Ended: 5,
		EndedSince: now.Add(-time.Hour), Idle: time.Hour, Lifetime: time.Hour}
	waitCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err := store.SecurityOverview(waitCtx, q)
	if !errors.Is(err, context.DeadlineExceeded) || !db.IsUnavailable(err) {
		t.Fatalf("security page read with no turn free: %v, want its deadline as an unavailable database", err)
	}
	// The JSON list is not in the line (db/list_reads.go): it runs beside a full line.
	active, err := store.ActiveSessions(lookupCtx, user.ID, now, now.Add(-time.Hour), now.Add(-time.Hour))
	if err != nil || len(active) != 2 {
		t.Fatalf("session list beside a full line: %d sessions, %v", len(active), err)
	}

	releases[0]()
	releases = releases[1:]
	overview, err := store.SecurityOverview(ctx, q)
	if err != nil || len(overview.Live) != 2 {
		t.Fatalf("security page read after a turn was given back: %d sessions, %v", len(overview.Live), err)
	}
}
