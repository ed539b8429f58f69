package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/docodego/sessions/db"
)

// PostgreSQL's side of "where the time goes" (-profile): pg_stat_statements, loaded on the
// bench's throwaway cluster only (pgserver.LocalOptions.Settings), reset before a profiled
// row and read after it. total_exec_time is the executor's time per statement, triggers
// included (track = top), planning not (track_planning is off; the app's statements are
// prepared and generic, so they are planned once).

// pgStatementsSetting is the server setting that loads the extension.
const pgStatementsSetting = "shared_preload_libraries=pg_stat_statements"

// stmtTiming is one statement's line of pg_stat_statements over a row.
type stmtTiming struct {
	Query string
	Calls int64
	Total time.Duration // executor time, all calls
}

// enableStatements creates the extension in the bench database.
func enableStatements(ctx context.Context, store *db.Store) error {
	_, err := store.DB().ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`)
	return err
}

// resetStatements forgets what was counted so far.
func resetStatements(ctx context.Context, store *db.Store) error {
	_, err := store.DB().ExecContext(ctx, `SELECT pg_stat_statements_reset()`)
	return err
}

// readStatements is every statement of the bench database since the reset, the most
// time first, without the bench's own reads of the view.
func readStatements(ctx context.Context, store *db.Store) ([]stmtTiming, error) {
	var rows []struct {
		Query string  `db:"query"`
		Calls int64   `db:"calls"`
		Ms    float64 `db:"total_exec_time"`
	}
	err := store.DB().SelectContext(ctx, &rows, `
		SELECT query, calls, total_exec_time FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND query NOT LIKE '%pg_stat_statements%'
		ORDER BY total_exec_time DESC`)
	if err != nil {
		return nil, fmt.Errorf("pg_stat_statements: %w", err)
	}
	out := make([]stmtTiming, len(rows))
	for i, r := range rows {
		out[i] = stmtTiming{Query: r.Query, Calls: r.Calls, Total: time.Duration(r.Ms * float64(time.Millisecond))}
	}
	return out, nil
}

// sqlTotal is the server time of all statements.
func sqlTotal(stmts []stmtTiming) time.Duration {
	var d time.Duration
	for _, s := range stmts {
		d += s.Total
	}
	return d
}

// shortQuery is a statement on one line, cut to n characters, for a table cell.
func shortQuery(q string, n int) string {
	q = strings.ReplaceAll(oneLine(q), "|", `\|`)
	if len(q) > n {
		q = q[:n] + "…"
	}
	return q
}

// procCPU is pid's user + system CPU time so far (/proc/PID/stat, clock ticks of 10 ms).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, field 2, may hold spaces: count fields after its closing parenthesis.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * clockTick
}

// waitForQuiet waits until no other backend of store's database has been running a
// statement for 4 looks in a row, 500 ms apart (at most 15 minutes): an app instance
// sweeps the sessions table once at start (its janitor), and a row measured meanwhile
// would measure that sweep too.
func waitForQuiet(ctx context.Context, store *db.Store) error {
	deadline := time.Now().Add(15 * time.Minute)
	for quiet := 0; quiet < 4; {
		var busy int
		if err := store.DB().GetContext(ctx, &busy, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'`); err != nil {
			return err
		}
		if busy == 0 {
			quiet++
		} else {
			quiet = 0
		}
		if time.Now().After(deadline) {
			logf("  the database is still busy after 15 minutes; measuring anyway")
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return nil
}
