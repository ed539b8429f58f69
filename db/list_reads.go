package db

import (
	"context"
	"fmt"
	"time"

	"github.com/docodego/sessions/internal/gate"
)

// listReadWait bounds a list read's wait for its turn when its context allows longer: the
// server's default cap on one statement (PoolOptions.StatementTimeout).
const listReadWait = 5 * time.Second

// newListReads admits the security page's reads (SecurityOverview, SecurityActivity) to half
// the pool at once: two a core with the default pool. That keeps PostgreSQL's cores busy
// while each read shares them with few others, so its time varies little; with three
// quarters of the pool, or twice the pool and the same half, the page's p99 was ~10 ms
// higher (BENCHMARKS.md, "List reads wait in line"). The other half is for the lookups and
// writes every request makes, which then always find a connection. The JSON session list
// (ActiveSessions) is not in the line: out of it the list answered 13-40 % more at the same
// p99, and the page's goals are not the list's (BENCHMARKS.md, "The JSON list out of line").
func newListReads(maxOpen int) *gate.Gate {
	if maxOpen <= 0 { // a pool with no bound (NewStore)
		maxOpen = DefaultMaxOpen()
	}
	return gate.New(max(maxOpen/2, 1), listReadWait)
}

// takeListRead waits for a turn to read a list, in the order the reads came (database/sql
// would hand a freed connection to a random waiter, and a read could lose many hand-offs in
// a row). release gives the turn back; call it after the rows are closed.
func (s *Store) takeListRead(ctx context.Context) (release func(), err error) {
	release, ok := s.listReads.Acquire(ctx)
	if !ok {
		// As for a statement cancelled with its context (57014), the database was too slow
		// for this request: IsUnavailable, so 503, whether the deadline or a cancel ended it.
		return nil, fmt.Errorf("no turn to read a list before the request ended or in %v: %w",
			listReadWait, context.DeadlineExceeded)
	}
	return release, nil
}
