package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
	"github.com/docodego/sessions/geo"
)

// Last-seen writes made at the same moment share statements, and each session gets its own
// values (address and place), never another's; a session written twice in one batch keeps
// one of its own values; a touch inside the interval writes nothing.
func TestConcurrentTouchesEachWriteTheirOwnSession(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	user, sessions := newUserWithSessions(t, store, "touch@example.test", 40)
	base := sessions[len(sessions)-1].LastSeenAt
	ipOf := func(i int) string { return fmt.Sprintf("198.51.100.%d", i+1) }
	placeOf := func(i int) geo.Place { return geo.Place{City: "City " + ipOf(i), CountryCode: "DE"} }

	before := store.RoundTrips()
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(sessions))
	for i, s := range sessions {
		for twice := range 2 { // the same session from two requests at once
			now := base.Add(10*time.Minute + time.Duration(twice)*time.Millisecond)
			wg.Go(func() {
				<-start
				errs <- store.TouchSession(ctx, db.Touch{ID: s.ID, Now: now, Since: now.Add(-time.Minute), IP: ipOf(i), Place: placeOf(i)})
			})
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	trips := store.RoundTrips() - before
	t.Logf("%d touches in %d round trips", 2*len(sessions), trips)
	if trips >= int64(2*len(sessions)) {
		t.Errorf("%d concurrent touches took %d round trips: none were shared", 2*len(sessions), trips)
	}
	for i, s := range sessions {
		got, err := store.UserSession(ctx, user.ID, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := got.LastSeenAt.Sub(base.Add(10 * time.Minute)); d < 0 || d > time.Millisecond {
			t.Errorf("session %d last seen %v, want one of its own touches", i, got.LastSeenAt)
		}
		if got.LatestIP() != ipOf(i) || got.LatestPlace().City != placeOf(i).City {
			t.Errorf("session %d got address %q, place %q; want its own %q, %q", i, got.LatestIP(), got.LatestPlace().City, ipOf(i), placeOf(i).City)
		}
	}
	// Within the interval of the write just made: nothing changes.
	s := sessions[0]
	soon := base.Add(10*time.Minute + 30*time.Second)
	if err := store.TouchSession(ctx, db.Touch{ID: s.ID, Now: soon, Since: soon.Add(-time.Minute), IP: "203.0.113.9"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.UserSession(ctx, user.ID, s.ID); got.LatestIP() != ipOf(0) || got.LastSeenAt.After(soon.Add(-time.Second)) {
		t.Errorf("a touch within the interval wrote: %v from %q", got.LastSeenAt, got.LatestIP())
	}
}
