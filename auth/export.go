package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/docodego/sessions/db"
)

// The security export ("Download security activity") hands a person their sessions and
// security events. Both are read in keyset pages of exportBatch rows and handed on one by
// one, so an export of 100,000 events holds one page at a time (BENCHMARKS.md, "Export").

const exportBatch = 1000

// ExportSessions calls each with every session of the person, live and ended, newest
// first, until it returns an error.
func (s *Service) ExportSessions(ctx context.Context, cur Current, each func(db.Session) error) error {
	return inPages(func(after *db.SessionCursor) ([]db.Session, error) {
		return s.store.ExportSessions(ctx, cur.UserID, after, exportBatch)
	}, func(r db.Session) *db.SessionCursor { return &db.SessionCursor{CreatedAt: r.CreatedAt, ID: r.ID} }, each)
}

// ExportEvents calls each with every security event of the person, newest first.
func (s *Service) ExportEvents(ctx context.Context, cur Current, each func(db.AuditEvent) error) error {
	return inPages(func(before *db.EventCursor) ([]db.AuditEvent, error) {
		return s.store.AuditEvents(ctx, cur.UserID, before, exportBatch)
	}, func(r db.AuditEvent) *db.EventCursor { return &db.EventCursor{CreatedAt: r.CreatedAt, ID: r.ID} }, each)
}

// inPages reads pages of exportBatch rows, each after the last row of the one before,
// and hands every row to each.
func inPages[T, C any](page func(after *C) ([]T, error), cursor func(T) *C, each func(T) error) error {
	var after *C
	for {
		rows, err := page(after)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		for _, r := range rows {
			if err := each(r); err != nil {
				return err
			}
		}
		if len(rows) < exportBatch {
			return nil
		}
		after = cursor(rows[len(rows)-1])
	}
}

// SessionEnd is when and why a session ended, as the export says it: the zero time and ""
// while it is live; "expired" for an idle or absolute end; else its revoke reason.
func (s *Service) SessionEnd(sess db.Session) (time.Time, string) {
	cfg := s.conf()
	switch cfg.Status(sess, s.now()) {
	case StatusRevoked:
		reason := sess.RevokeReason
		if reason == "" {
			reason = "revoked"
		}
		return sess.RevokedAt.Time, reason
	case StatusExpired:
		return cfg.ExpiresAt(sess), "expired"
	}
	return time.Time{}, ""
}
