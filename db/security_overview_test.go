package db_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
)

// SecurityOverview is ActiveSessions and SecurityActivity in one round trip: the same live
// sessions in the same order (more than fit on ActiveSessions' stack, some revoked, one
// idle, another user's beside them) and the same activity, for idle timeouts and lifetimes
// that cut the list at different places and for a page of events after a cursor.
func TestSecurityOverviewIsActiveSessionsAndActivityInOneRoundTrip(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	user, s := newUserWithSessions(t, store, "overview@example.com", 72)
	newUserWithSessions(t, store, "someone@example.com", 3) // another user's never show
	actor := s[71]
	at := time.Now().Truncate(time.Microsecond)
	for _, target := range s[:5] {
		if _, err := store.RevokeSessionAudited(ctx, user.ID, target.ID, &actor, "revoked", at, db.EventSessionRevoked); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.DB().ExecContext(ctx, `UPDATE sessions SET last_seen_at = now() - interval '2 hours' WHERE id = $1`, s[5].ID); err != nil {
		t.Fatal(err)
	}
	now := at.Add(2 * time.Minute)
	for _, tc := range []struct {
		name           string
		idle, lifetime time.Duration
		before         bool
	}{
		{"an hour idle, a day long", time.Hour, 24 * time.Hour, false},
		{"the next page of events", time.Hour, 24 * time.Hour, true},
		{"idle after 90 s", 90 * time.Second, 24 * time.Hour, false},
		{"a lifetime of 100 s", time.Hour, 100 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := db.ActivityQuery{UserID: user.ID, ViewerID: actor.ID, Now: now, Notices: 5, Events: 3,
				Ended: 4, EndedSince: now.Add(-24 * time.Hour), Idle: tc.idle, Lifetime: tc.lifetime}
			if tc.before {
				events, err := store.AuditEvents(ctx, user.ID, nil, 2)
				if err != nil || len(events) != 2 {
					t.Fatalf("events: %d, %v", len(events), err)
				}
				q.Before = &db.EventCursor{CreatedAt: events[1].CreatedAt, ID: events[1].ID}
			}
			if _, err := store.SecurityOverview(ctx, q); err != nil { // prepared once per connection
				t.Fatal(err)
			}
			before := store.RoundTrips()
			got, err := store.SecurityOverview(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if n := store.RoundTrips() - before; n != 1 {
				t.Errorf("%d round trips; want 1", n)
			}
			live, err := store.ActiveSessions(ctx, user.ID, now, now.Add(-tc.idle), now.Add(-tc.lifetime))
			if err != nil {
				t.Fatal(err)
			}
			activity, err := store.SecurityActivity(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Live) != len(live) || (len(live) > 0 && !reflect.DeepEqual(got.Live, live)) {
				t.Errorf("live: %d sessions, ActiveSessions %d\n got %+v\nwant %+v", len(got.Live), len(live), got.Live, live)
			}
			if !reflect.DeepEqual(got.SecurityActivity, activity) {
				t.Errorf("activity:\n got %+v\nwant %+v", got.SecurityActivity, activity)
			}
			if tc.name == "an hour idle, a day long" && (len(live) != 66 || len(activity.Ended) != 4 || activity.EndedTotal != 6) {
				t.Errorf("the seeded user: %d live, %d ended of %d; want 66, 4 of 6", len(live), len(activity.Ended), activity.EndedTotal)
			}
		})
	}
}
