package db_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
)

// SecurityActivity reads the events, ended sessions (nullable columns included) and an
// empty notice list in one round trip, field for field as the rows are stored.
func TestSecurityActivityInOneRoundTrip(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	user, s := deviceSessions(t, store, "activity@example.com", mac, win, phone)
	actor := s[0]
	now := time.Now().Truncate(time.Microsecond)
	for _, target := range s[1:] {
		if _, err := store.RevokeSessionAudited(ctx, user.ID, target.ID, &actor, "revoked", now, db.EventSessionRevoked); err != nil {
			t.Fatal(err)
		}
	}
	q := db.ActivityQuery{UserID: user.ID, ViewerID: actor.ID, Now: now.Add(time.Second), Notices: 5, Events: 10,
		Ended: 10, EndedSince: now.Add(-time.Hour), Idle: time.Hour, Lifetime: 24 * time.Hour}
	if _, err := store.SecurityActivity(ctx, q); err != nil { // prepared once per connection
		t.Fatal(err)
	}
	before := store.RoundTrips()
	got, err := store.SecurityActivity(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if n := store.RoundTrips() - before; n != 1 {
		t.Errorf("%d round trips; want 1", n)
	}

	want, err := store.AuditEvents(ctx, user.ID, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 2 || len(want) != 2 {
		t.Fatalf("events: got %d, stored %d; want 2", len(got.Events), len(want))
	}
	for i, e := range got.Events {
		w := want[i]
		if !e.CreatedAt.Equal(w.CreatedAt) {
			t.Errorf("event %d at %v; stored %v", i, e.CreatedAt, w.CreatedAt)
		}
		e.CreatedAt, w.CreatedAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(e, w) {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, e, w)
		}
	}

	if len(got.Ended) != 2 || len(got.Notices) != 0 {
		t.Fatalf("ended %d, notices %d; want 2 and 0", len(got.Ended), len(got.Notices))
	}
	for _, e := range got.Ended {
		if !e.RevokedAt.Valid || !e.RevokedAt.Time.Equal(now) || !e.EndedAt.Equal(now) ||
			e.RevokedBySessionID != db.NullID(actor.ID) || e.RevokeReason != "revoked" ||
			e.ByBrowser.String != "Chrome" || e.ByOS.String != "macOS" || !e.ByBrowser.Valid || e.UserID != user.ID {
			t.Errorf("ended session: %+v", e)
		}
		stored, err := store.UserSession(ctx, user.ID, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Browser != stored.Browser || e.OS != stored.OS || e.Label != stored.Label || e.UserAgent != stored.UserAgent ||
			e.DeviceType != stored.DeviceType || !e.CreatedAt.Equal(stored.CreatedAt) || e.IP != stored.IP {
			t.Errorf("ended session %s:\n got %+v\nstored %+v", e.ID, e.Session, stored)
		}
	}
	q.Before = &db.EventCursor{CreatedAt: want[0].CreatedAt, ID: want[0].ID}
	if older, err := store.SecurityActivity(ctx, q); err != nil || len(older.Events) != 1 || older.Events[0].ID != want[1].ID {
		t.Errorf("page after the cursor: %+v %v", older.Events, err)
	}
}

// The query names every field of Notice, which it decodes from JSON: a field added to
// Notice and not to the query would stay empty on the page. (Events and ended sessions are
// rows; TestEventColumnsAreEveryField holds the events' columns to AuditEvent.)
func TestSecurityActivityNamesEveryField(t *testing.T) {
	typ := reflect.TypeOf(db.Notice{})
	for i := range typ.NumField() {
		if f := typ.Field(i); !strings.Contains(db.SecurityActivitySQL, "'"+f.Name+"'") {
			t.Errorf("Notice.%s is not in the security activity query", f.Name)
		}
	}
}
