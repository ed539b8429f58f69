package ha_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
)

// probeDeadline bounds each probe connection as a whole, on the socket: a frozen node
// never answers, and a commit waiting for a synchronous standby that is gone never ends
// (statement_timeout does not cover it: PostgreSQL turns the timeout off before it
// commits). It is on the socket, never a cancelled context, on purpose: a cancel (lib/pq
// sends one when a context ends) that reaches a commit waiting for its standby makes
// PostgreSQL give up the wait and answer the COMMIT as done ("canceling wait for
// synchronous replication", committed locally only), so the probe itself would get an
// acknowledgement no client of the product could have been given.
const probeDeadline = time.Second

// primaryWatch asks each node's PostgreSQL itself, every 200 ms on a fresh connection,
// whether it takes writes (pg_is_in_recovery), and has every node that says so commit a
// probe row with synchronous_commit on, as the app's writes do. It reads etcd's leader key
// just before and just after each probe. Two things are then facts, not tolerances:
//   - acked: a probe commit answered by a node that held the leader key neither before nor
//     after it. That is a second primary taking writes: the suite fails on any.
//   - rogue spans: how long a node stayed read-write while another node held the key (the
//     thawed old primary, until its Patroni demotes it). It cannot commit then (its
//     synchronous standby is the new primary), so the harm it can do is serve a read of
//     the state it froze with; the history checker's R1 fails the run on any request let
//     in after its session's end was confirmed, wherever it was answered. The suite fails
//     a span longer than rogueBound.
type primaryWatch struct {
	mu      sync.Mutex
	polls   int
	rogue   int           // probes that found a node read-write while another held the key
	acked   []string      // probe commits by a node that held no key: split brain
	longest time.Duration // longest rogue span, from its first such probe to the next probe that found the node not taking writes
	since   map[string]time.Time
	seen    []string // the first rogue probes, for the log
}

// rogueBound: a thawed old primary must be gone as a primary within one Patroni loop
// after the thaw. Patroni's loop, stuck on a query to its frozen server, resumes with the
// thaw, fails to renew the key it lost (a compare-and-swap in etcd) and stops PostgreSQL
// at once ("demoting self because failed to update leader lock in DCS", stop mode
// immediate): one loop_wait for the loop in flight, retry_timeout for its etcd call.
const rogueBound = (loopWait + retryTimeout) * time.Second

func (c *patroniCluster) watchPrimaries(ctx context.Context, t *testing.T) *primaryWatch {
	w := &primaryWatch{since: map[string]time.Time{}}
	leader := c.leaderKeyReader()
	for _, n := range c.nodes {
		go func() {
			dbs := openProbe(t, n)
			defer dbs.Close()
			for ctx.Err() == nil {
				before := leader()
				start := time.Now()
				rw, committed, _ := probe(dbs, n.name)
				after := leader()
				w.note(n.name, start, before, after, rw, committed)
				pause(ctx, 200*time.Millisecond)
			}
		}()
	}
	return w
}

func (w *primaryWatch) note(node string, at time.Time, before, after string, rw, committed bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.polls++
	leads := node == before || node == after
	if committed && !leads {
		w.acked = append(w.acked, fmt.Sprintf("%s committed a probe row at %s while the leader key named %q before and %q after",
			node, at.Format("15:04:05.000"), before, after))
	}
	if rw && !leads {
		w.rogue++
		if len(w.seen) < 10 {
			w.seen = append(w.seen, fmt.Sprintf("%s read-write at %s (leader key %q, then %q; probe committed: %t)",
				node, at.Format("15:04:05.000"), before, after, committed))
		}
		if _, open := w.since[node]; !open {
			w.since[node] = at
		}
		return
	}
	if from, open := w.since[node]; open && !rw {
		w.longest = max(w.longest, at.Sub(from))
		delete(w.since, node)
	}
}

// result closes any span still open (the watch ends with a healthy cluster, so an open
// span is a node still read-write without the key) and answers the counts.
func (w *primaryWatch) result() (polls, rogue int, longest time.Duration, acked, seen []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, from := range w.since {
		w.longest = max(w.longest, time.Since(from))
	}
	return w.polls, w.rogue, w.longest, append([]string(nil), w.acked...), append([]string(nil), w.seen...)
}

// leaderKeyReader reads the leader key from etcd (Patroni's v2 keys under /service/); if
// etcd does not answer (the etcd fault) it answers the last value read, since nobody can
// take the key while etcd is down.
func (c *patroniCluster) leaderKeyReader() func() string {
	hc := &http.Client{Timeout: 500 * time.Millisecond}
	var mu sync.Mutex
	last := ""
	return func() string {
		resp, err := hc.Get(c.eURL + "/v2/keys/service/docodego-ha/leader")
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			return last
		}
		defer resp.Body.Close()
		var k struct {
			Node struct {
				Value string `json:"value"`
			} `json:"node"`
		}
		switch {
		case resp.StatusCode == http.StatusNotFound: // expired, nobody took it yet
			last = ""
		case resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&k) == nil:
			last = k.Node.Value
		}
		return last
	}
}

// openProbe is a pool to one node that opens a fresh connection per probe (no idle ones),
// each bounded by probeDeadline on its socket.
func openProbe(t *testing.T, n *patroniNode) *sql.DB {
	conn, err := pq.NewConnector(fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable "+
		"application_name=ha-probe options='-c synchronous_commit=on'", n.pgPort))
	if err != nil {
		t.Error(err)
		return sql.OpenDB(conn)
	}
	conn.Dialer(deadlineDialer{})
	dbs := sql.OpenDB(conn)
	dbs.SetMaxIdleConns(0)
	return dbs
}

// probe asks the node whether it takes writes and, if so, commits a probe row there.
// Contexts are never cancelled here (see probeDeadline): the socket's deadline ends it.
func probe(dbs *sql.DB, node string) (readWrite, committed bool, err error) {
	ctx := context.Background()
	conn, err := dbs.Conn(ctx)
	if err != nil {
		return false, false, err
	}
	defer conn.Close()
	var recovery bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_is_in_recovery()").Scan(&recovery); err != nil || recovery {
		return false, false, err
	}
	_, err = conn.ExecContext(ctx, "INSERT INTO ha_probe (node) VALUES ($1)", node)
	return true, err == nil, err
}

// createProbeTable makes the probe's table on the leader (it replicates to the standby).
func (c *patroniCluster) createProbeTable(t *testing.T, leader *patroniNode) {
	t.Helper()
	dbs := openProbe(t, leader)
	defer dbs.Close()
	if _, err := dbs.Exec("CREATE TABLE IF NOT EXISTS ha_probe (node text NOT NULL, at timestamptz NOT NULL DEFAULT now())"); err != nil {
		t.Fatalf("probe table: %v", err)
	}
}

// deadlineDialer dials with the probe's whole deadline on the socket (lib/pq sets none
// of its own without connect_timeout).
type deadlineDialer struct{}

func (deadlineDialer) Dial(network, address string) (net.Conn, error) {
	return deadlineDialer{}.DialTimeout(network, address, probeDeadline)
}

func (deadlineDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout(network, address, min(timeout, probeDeadline))
	if err != nil {
		return nil, err
	}
	return c, c.SetDeadline(time.Now().Add(probeDeadline))
}
