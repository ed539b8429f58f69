package db_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
)

func countEvents(t *testing.T, store *db.Store, userID string) int {
	t.Helper()
	rows, err := store.AuditEvents(context.Background(), userID, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(rows)
}

func TestAuditEventExistsOnlyIfItsTransactionCommits(t *testing.T) {
	store := dbtest.NewStore(t)
	var logs bytes.Buffer
	store.LogAuditEvents(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()
	user, sessions := newUserWithSessions(t, store, "audit@example.com", 1)
	newUserWithSessions(t, store, "taken@example.com", 0)
	event := db.AuditEvent{UserID: user.ID, Type: db.EventSessionRevoked, SessionID: db.NullID(sessions[0].ID),
		IP: "192.0.2.1", DeviceLabel: "Firefox on Windows", Details: db.Details{"browser": "Firefox"}}

	// Rolled back: a later statement of the same transaction fails.
	err := store.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.InsertAuditEvent(ctx, event); err != nil {
			return err
		}
		_, err := tx.CreateUser(ctx, "TAKEN@example.com", "Other", "hash")
		return err
	})
	if !errors.Is(err, db.ErrEmailTaken) {
		t.Fatalf("want the forced failure, got %v", err)
	}
	if n := countEvents(t, store, user.ID); n != 0 {
		t.Fatalf("rolled back transaction left %d events", n)
	}
	if logs.Len() != 0 {
		t.Fatalf("a rolled back event was logged: %s", logs.String())
	}

	// Committed: the event is there, with everything it was given, and logged once.
	if err := store.InTx(ctx, func(tx *db.Tx) error { return tx.InsertAuditEvent(ctx, event) }); err != nil {
		t.Fatal(err)
	}
	rows, err := store.AuditEvents(ctx, user.ID, nil, 10)
	if err != nil || len(rows) != 1 {
		t.Fatalf("want 1 event, got %d (%v)", len(rows), err)
	}
	got := rows[0]
	if got.Type != db.EventSessionRevoked || got.SessionID.String != sessions[0].ID || got.IP != "192.0.2.1" ||
		got.DeviceLabel != "Firefox on Windows" || got.Details.String("browser") != "Firefox" {
		t.Fatalf("stored event differs: %+v", got)
	}
	if n := strings.Count(logs.String(), "msg=audit "); n != 1 || !strings.Contains(logs.String(), "type=session_revoked") {
		t.Fatalf("want one audit log line, got %d: %s", n, logs.String())
	}
}

func TestAuditEventsAreAppendOnly(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	user, _ := newUserWithSessions(t, store, "append@example.com", 0)
	if err := store.InTx(ctx, func(tx *db.Tx) error {
		return tx.InsertAuditEvent(ctx, db.AuditEvent{UserID: user.ID, Type: db.EventSignIn})
	}); err != nil {
		t.Fatal(err)
	}
	_, err := store.DB().ExecContext(ctx, `UPDATE audit_events SET type = 'sign_out'`)
	if err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("an UPDATE of the audit log must be refused, got %v", err)
	}
}

func TestAuditEventsPageByKeyset(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	user, _ := newUserWithSessions(t, store, "pages@example.com", 0)
	other, _ := newUserWithSessions(t, store, "other@example.com", 0)
	base := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	err := store.InTx(ctx, func(tx *db.Tx) error {
		for i := range 25 {
			// Pairs share a timestamp: the id breaks the tie, so no event is lost or repeated.
			at := base.Add(time.Duration(i/2) * time.Minute)
			if err := tx.InsertAuditEvent(ctx, db.AuditEvent{UserID: user.ID, Type: db.EventSignIn, CreatedAt: at}); err != nil {
				return err
			}
		}
		return tx.InsertAuditEvent(ctx, db.AuditEvent{UserID: other.ID, Type: db.EventSignIn, CreatedAt: base})
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	var cursor *db.EventCursor
	var last *db.AuditEvent
	for pages := 0; ; pages++ {
		rows, err := store.AuditEvents(ctx, user.ID, cursor, 10)
		if err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			r := rows[i]
			if seen[r.ID] || r.UserID != user.ID {
				t.Fatalf("event %d repeated or another user's", r.ID)
			}
			if last != nil && (r.CreatedAt.After(last.CreatedAt) || (r.CreatedAt.Equal(last.CreatedAt) && r.ID > last.ID)) {
				t.Fatalf("not newest first: %v/%d after %v/%d", r.CreatedAt, r.ID, last.CreatedAt, last.ID)
			}
			seen[r.ID], last = true, &r
		}
		if len(rows) < 10 {
			break
		}
		cursor = &db.EventCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	if len(seen) != 25 {
		t.Fatalf("want 25 events over the pages, got %d", len(seen))
	}
}
