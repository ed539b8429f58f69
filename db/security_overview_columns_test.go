package db

import (
	"reflect"
	"strings"
	"testing"
)

// The events' columns are AuditEvent's, each once and in the order eventDest scans them, and
// each part of an overview row has as many columns as its count says: a field added to
// AuditEvent and not to the query would stay empty on the page.
func TestEventColumnsAreEveryField(t *testing.T) {
	typ := reflect.TypeOf(AuditEvent{})
	columns := strings.Split(eventColumns, ", ")
	if len(columns) != typ.NumField() || len(eventDest(new(AuditEvent))) != typ.NumField() || eventColumnCount != typ.NumField() {
		t.Fatalf("%d columns, %d scanned, %d counted; AuditEvent has %d fields",
			len(columns), len(eventDest(new(AuditEvent))), eventColumnCount, typ.NumField())
	}
	for i, c := range columns {
		tag := typ.Field(i).Tag.Get("db")
		if c != tag && c != "timestamptz_send("+tag+")" {
			t.Errorf("column %d is %q; AuditEvent's field %d is %q", i, c, i, tag)
		}
	}
	if strings.Count(noEvent, ",")+1 != eventColumnCount {
		t.Errorf("noEvent has %d columns, want %d", strings.Count(noEvent, ",")+1, eventColumnCount)
	}
	if n := len(sessionDest(new(Session))); n != sessionColumnCount || strings.Count(activeSessionsColumns, ",")+1 != n {
		t.Errorf("sessionDest scans %d columns; counted %d", n, sessionColumnCount)
	}
	if strings.Count(noSession, ",")+1 != sessionColumnCount {
		t.Errorf("noSession has %d columns, want %d", strings.Count(noSession, ",")+1, sessionColumnCount)
	}
	if n := reflect.TypeOf(endedColumns{}).NumField(); n != endedColumnCount || strings.Count(noEnded, ",")+1 != n {
		t.Errorf("endedColumns has %d fields; counted %d", n, endedColumnCount)
	}
}
