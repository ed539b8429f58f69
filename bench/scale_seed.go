package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/docodego/sessions/db"
)

// The ten-million population (-scale F; make bench-scale is F = 1): 1,000,000 × F people
// with the small seed's live sessions per person (liveSessions: ~6.6 on average), and ended
// sessions up to 10,000,000 × F in all, 3,000,000 × F of them ended more than the 30 days of
// retention ago (the janitor's work), the rest within it. Ended sessions are written between
// the people's live ones, spread over the owners, as a table fills over months. Rows are
// written in Go and sent with COPY (pq.CopyIn); the table's secondary indexes are dropped
// for the COPY and built again after it (their definitions read back from pg_indexes), and
// its statement triggers (the security revision) are off during it: every user's revision
// starts at 1 either way.
const (
	scalePeople   = 1_000_000
	scaleSessions = 10_000_000
	scalePast     = 3_000_000
)

// scalePopulation is the sizes of one -scale run.
type scalePopulation struct {
	people, live, ended, past int
}

func newScalePopulation(f float64) scalePopulation {
	p := scalePopulation{people: int(scalePeople * f), past: int(scalePast * f)}
	for u := range p.people {
		p.live += liveSessions(u)
	}
	p.ended = max(int(scaleSessions*f)-p.live, p.past)
	return p
}

func (p scalePopulation) sessions() int { return p.live + p.ended }

// The random-user rows pick from a sample of the people (the token files are read into
// wrk's Lua, once per thread): up to scaleSampleEveryone of everyone and scaleSampleList of
// the 50-session people, each sample spread over the whole population by a prime stride.
const (
	scaleSampleEveryone = 50_000
	scaleSampleList     = 10_000
)

// sampleStride is a prime that visits n distinct values as i*stride mod n.
func sampleStride(n int) int {
	for _, p := range []int{104729, 104723, 104717} {
		if gcd(p, n) == 1 {
			return p
		}
	}
	return 1
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// sets are the user sets the random-user rows of the scale run pick from.
func (p scalePopulation) sets() (everyone, list userSet) {
	n, step := min(p.people, scaleSampleEveryone), sampleStride(p.people)
	everyone = userSet{name: "scale-everyone", count: n,
		user:    func(i int) int { return i * step % p.people },
		userSQL: fmt.Sprintf("((:i * %d) %% %d)", step, p.people)}
	lists := (p.people-2)/20 + 1
	m, lstep := min(lists, scaleSampleList), sampleStride(lists)
	list = userSet{name: "scale-list", count: m,
		user:    func(i int) int { return listUser(i * lstep % lists) },
		userSQL: fmt.Sprintf("(20 * ((:i * %d) %% %d) + 1)", lstep, lists)}
	return everyone, list
}

// sessionColumns are the columns the COPY writes; the rest take their defaults.
var sessionColumns = []string{"id", "user_id", "token_hash", "user_agent", "browser", "os", "device_type", "label", "ip",
	"created_at", "last_seen_at", "expires_at", "revoked_at"}

// seedScale writes the population into store's (empty, migrated) database, at dsn, and the
// audit log its sessions leave (seedAuditLog), as the small seed has it. The
// COPY goes through a plain lib/pq pool: the app's driver wraps prepared statements for
// its failover check, and lib/pq's COPY statement is not one of them.
func seedScale(ctx context.Context, store *db.Store, dsn string, p scalePopulation) error {
	conn, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	devices, err := seededDevices(ctx, conn)
	if err != nil {
		return err
	}
	if err := bulkWrite(ctx, store, "sessions", func() error { return copyPopulation(ctx, conn, p, devices) }); err != nil {
		return err
	}
	if err := seedAuditLog(ctx, store); err != nil {
		return err
	}
	return execAll(ctx, store, `VACUUM ANALYZE`)
}

// copyPopulation COPYs the people and their sessions.
func copyPopulation(ctx context.Context, conn *sql.DB, p scalePopulation, devices [][5]string) error {
	start := time.Now()
	if err := copyRows(ctx, conn, "users", []string{"id", "email", "name", "password_hash"}, func(row func(...any) error) error {
		for u := range p.people {
			if err := row(userID(u), "user"+strconv.Itoa(u)+"@bench.test", "Bench User "+strconv.Itoa(u), "not a hash: nobody signs in"); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	logf("  %d people copied in %.1fs", p.people, time.Since(start).Seconds())
	start = time.Now()
	now := time.Now()
	if err := copyRows(ctx, conn, "sessions", sessionColumns, func(row func(...any) error) error {
		n := 0 // the next ended session
		for u := range p.people {
			for j := range liveSessions(u) {
				d := devices[(u+j)%len(devices)]
				tok := token(u, strconv.Itoa(j))
				hash := sha256.Sum256([]byte(tok))
				created := now.Add(-time.Duration(j)*time.Hour - time.Duration(u%86400)*time.Second)
				if err := row(uuid.NewString(), userID(u), hash[:], d[0], d[1], d[2], d[3], d[4], seededIP(u+j),
					created, now.Add(-time.Duration(j)*time.Second), now.Add(29*24*time.Hour), nil); err != nil {
					return err
				}
			}
			for ; n < (u+1)*p.ended/p.people; n++ {
				if err := endedRow(row, p, n, now, devices); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		return err
	}
	logf("  %d sessions copied in %.1fs", p.sessions(), time.Since(start).Seconds())
	return nil
}

// endedRow writes ended session n: its owner n mod people; revoked or expired by turns
// for each owner (n / people odd or even: people is even, so n's own parity is its owner's);
// ended 31-60 days ago when it is one of the past ones (spread evenly over n),
// else 1-20 days ago, last seen an hour before its end.
func endedRow(row func(...any) error, p scalePopulation, n int, now time.Time, devices [][5]string) error {
	day := 24 * time.Hour
	owner := n % p.people
	past := (n+1)*p.past/p.ended > n*p.past/p.ended
	end := now.Add(-time.Duration(1+n%20) * day)
	if past {
		end = now.Add(-time.Duration(31+n%30) * day)
	}
	created, expires := end.Add(-48*time.Hour), end.Add(28*day)
	var revoked any = end
	if n/p.people%2 == 0 {
		created, expires, revoked = end.Add(-30*day), end, nil
	}
	d := devices[n%len(devices)]
	hash := sha256.Sum256([]byte(token(owner, "e"+strconv.Itoa(n))))
	return row(uuid.NewString(), userID(owner), hash[:], d[0], d[1], d[2], d[3], d[4], seededIP(n),
		created, end.Add(-time.Hour), expires, revoked)
}

// userID is seeded user u's id, as the SQL seed writes it.
func userID(u int) string { return fmt.Sprintf("00000000-0000-4000-a000-%012x", u) }

// seededDevices are deviceSQL's eight devices (user agent, browser, os, type, label), read
// from PostgreSQL so that both seeds have the same.
func seededDevices(ctx context.Context, conn *sql.DB) ([][5]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT `+sqlf(deviceSQL, "N", "n")+` FROM generate_series(0, 7) n ORDER BY n`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][5]string
	for rows.Next() {
		var d [5]string
		if err := rows.Scan(&d[0], &d[1], &d[2], &d[3], &d[4]); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// seededIP is ipSQL's address for n.
func seededIP(n int) string {
	if n%7 == 6 {
		return "2a02:8070:" + strconv.FormatInt(int64(n%65536), 16) + "::" + strconv.FormatInt(int64(n%4093+1), 16)
	}
	return [...]string{"81.2.69.", "89.160.20.", "2.125.160.", "175.16.199.", "216.160.83.", "67.43.156.", "24.48.0."}[n%7] + strconv.Itoa(n%250+1)
}

// copyRows COPYs the rows fill writes into table, in one transaction.
func copyRows(ctx context.Context, conn *sql.DB, table string, columns []string, fill func(row func(...any) error) error) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, pq.CopyIn(table, columns...))
	if err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	if err := fill(func(v ...any) error { _, err := stmt.ExecContext(ctx, v...); return err }); err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	if err := stmt.Close(); err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return tx.Commit()
}
