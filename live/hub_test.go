package live

import (
	"errors"
	"testing"
)

// A change reaches only the user's streams; the ended session's own stream hears Ended,
// the user's other streams hear Changed with the session it is about.
func TestPublishFansOutByUser(t *testing.T) {
	h := New(DefaultLimits())
	mine, other, stranger := sub(t, h, "u1", "s1"), sub(t, h, "u1", "s2"), sub(t, h, "u2", "s3")
	h.Publish("end", "u1", "s1")
	if got := mine.Take(); len(got) != 1 || got[0].Kind != Ended {
		t.Errorf("ended session's stream got %+v; want Ended", got)
	}
	if got := other.Take(); len(got) != 1 || got[0] != (Event{Kind: Changed, Op: "end", SessionID: "s1"}) {
		t.Errorf("the user's other stream got %+v", got)
	}
	if got := stranger.Take(); len(got) != 0 {
		t.Errorf("another user's stream got %+v", got)
	}
}

// A stream that fell behind gets one Resync in place of its backlog, and never loses Ended.
func TestBacklogFoldsIntoResyncKeepingEnded(t *testing.T) {
	h := New(DefaultLimits())
	s := sub(t, h, "u1", "s1")
	h.Publish("end", "u1", "s1")
	for i := range maxPending + 5 {
		h.Publish("new", "u1", string(rune('a'+i)))
	}
	got := s.Take()
	var resync, ended bool
	for _, e := range got {
		resync = resync || e.Kind == Resync
		ended = ended || e.Kind == Ended
	}
	if !resync || !ended || len(got) > maxPending {
		t.Errorf("backlog = %+v; want a Resync and the Ended, at most %d", got, maxPending)
	}
}

// Limits per user and per instance refuse with ErrLimit; a closed stream frees its place;
// a closed hub refuses with ErrClosed and its streams see Done.
func TestLimitsAndClose(t *testing.T) {
	h := New(Limits{PerUser: 2, Total: 3})
	a := sub(t, h, "u1", "s1")
	sub(t, h, "u1", "s2")
	if _, err := h.Subscribe("u1", "s3"); !errors.Is(err, ErrLimit) {
		t.Errorf("third stream of one user: %v; want ErrLimit", err)
	}
	sub(t, h, "u2", "s4")
	if _, err := h.Subscribe("u3", "s5"); !errors.Is(err, ErrLimit) {
		t.Errorf("past the instance limit: %v; want ErrLimit", err)
	}
	a.Close()
	a.Close() // twice is fine
	sub(t, h, "u3", "s5")
	if h.Count() != 3 {
		t.Errorf("count %d; want 3", h.Count())
	}
	h.Close()
	select {
	case <-h.Done():
	default:
		t.Error("Done not closed")
	}
	if _, err := h.Subscribe("u9", "s9"); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v; want ErrClosed", err)
	}
}

func TestParsePayload(t *testing.T) {
	for in, ok := range map[string]bool{"end:u:s": true, "chg:u:": true, "new:u:s": true, "bad:u:s": false, "end::s": false, "end:u": false} {
		if _, _, _, got := parsePayload(in); got != ok {
			t.Errorf("parsePayload(%q) ok = %v; want %v", in, got, ok)
		}
	}
}

func sub(t *testing.T, h *Hub, user, session string) *Stream {
	t.Helper()
	s, err := h.Subscribe(user, session)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
