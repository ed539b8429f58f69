package auth

import (
	"context"
	"errors"
	"testing"
)

// A slot that comes as the request's deadline passes starts no hash: the CPU goes to
// requests that can still answer, and the slot goes straight back.
func TestRunKDFStartsNoHashForAnEndedRequest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	released, ran := false, false
	_, err := runKDF(ctx, func() { released = true }, func() (bool, error) { ran = true; return true, nil })
	var busy *BusyError
	if !errors.As(err, &busy) || ran || !released {
		t.Errorf("runKDF for an ended request: err %v, kdf ran %t, slot released %t; want busy, false, true", err, ran, released)
	}
}
