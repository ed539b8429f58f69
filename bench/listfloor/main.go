// Command listfloor is the list's floor in the bench: the ceiling's transaction (the app's
// token lookup, then its list query, both prepared, as pgbench sends them) behind HTTP, and
// nothing else: no session rules, no batching, no JSON, no compression; it answers only how
// many rows came. It has what the app has around the statements (lib/pq, fasthttp, the
// pool's size, the generic plans, the bench sets its GOGC), so its req/s against the
// ceiling is what a server on this driver and these cores reaches before it writes a byte
// of the list. Only the bench runs it, on loopback, with the bench's seeded users.
package main

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"log"
	"os"
	"strconv"
	"time"

	"github.com/lib/pq"
	"github.com/valyala/fasthttp"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
)

func main() {
	dsn, addr, cookie := os.Getenv("DATABASE_URL"), os.Getenv("ADDR"), os.Getenv("COOKIE")
	conns, err := strconv.Atoi(os.Getenv("CONNS"))
	if err != nil || dsn == "" || addr == "" || cookie == "" {
		log.Fatal("listfloor: set DATABASE_URL, ADDR, COOKIE and CONNS")
	}
	pool, err := sql.Open("postgres", dsn)
	if err != nil {
		log.Fatal(err)
	}
	pool.SetMaxOpenConns(conns)
	pool.SetMaxIdleConns(conns)
	lookup, err := pool.Prepare(db.SessionLookupSQL)
	if err != nil {
		log.Fatal(err)
	}
	list, err := pool.Prepare(db.ActiveSessionsSQL)
	if err != nil {
		log.Fatal(err)
	}
	limits := auth.DefaultConfig() // the app's default idle timeout and lifetime, as in the ceiling
	f := floor{lookup: lookup, list: list, cookie: []byte(cookie), idle: limits.IdleTimeout, lifetime: limits.AbsoluteLifetime}
	fmt.Println("listfloor listening on", addr)
	log.Fatal(fasthttp.ListenAndServe(addr, f.serve))
}

type floor struct {
	lookup, list   *sql.Stmt
	cookie         []byte
	idle, lifetime time.Duration
}

// serve reads the user's rows, each column as lib/pq received it, and answers their count.
func (f floor) serve(c *fasthttp.RequestCtx) {
	sum := sha256.Sum256(c.Request.Header.CookieBytes(f.cookie))
	userID, err := f.userOf(sum[:])
	if err != nil {
		c.Error(err.Error(), fasthttp.StatusUnauthorized)
		return
	}
	now := time.Now()
	rows, err := f.list.QueryContext(c, userID, now, now.Add(-f.idle), now.Add(-f.lifetime))
	if err != nil {
		c.Error(err.Error(), fasthttp.StatusServiceUnavailable)
		return
	}
	defer rows.Close()
	_, dest := rawColumns(rows)
	n := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			c.Error(err.Error(), fasthttp.StatusServiceUnavailable)
			return
		}
		n++
	}
	if err := rows.Err(); err != nil {
		c.Error(err.Error(), fasthttp.StatusServiceUnavailable)
		return
	}
	c.SetBody(strconv.AppendInt(nil, int64(n), 10))
}

// userOf runs the app's token lookup for one hash and returns the session's user id.
func (f floor) userOf(hash []byte) (string, error) {
	rows, err := f.lookup.Query(pq.ByteaArray([][]byte{hash}))
	if err != nil {
		return "", err
	}
	defer rows.Close()
	if !rows.Next() {
		return "", fmt.Errorf("no session")
	}
	vals, dest := rawColumns(rows)
	if err := rows.Scan(dest...); err != nil {
		return "", err
	}
	return string(vals[2]), rows.Err() // s.user_id
}

// rawColumns is a scan destination for each of rows' columns, as lib/pq received them.
func rawColumns(rows *sql.Rows) ([]sql.RawBytes, []any) {
	cols, _ := rows.Columns()
	vals := make([]sql.RawBytes, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	return vals, dest
}
