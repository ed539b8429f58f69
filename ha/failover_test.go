package ha_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/internal/pgserver"
)

// TestFencedPrimaryConnectionsRetire: a planned switchover first fences the old primary
// read-only, then promotes the standby. Pooled connections to the old primary would refuse
// every write (25006) for the rest of their lifetime; instead the first refusal retires the
// connection and every other the pool opened before it (the pool drops its connections to
// the demoted primary at once), and the pool reconnects through the DSN's host list to the new primary. Both
// kinds of write are checked: plain statements and prepared ones (the revoke is prepared).
func TestFencedPrimaryConnectionsRetire(t *testing.T) {
	t.Run("unprepared write", func(t *testing.T) {
		testFencedPrimaryRetires(t, nil, func(ctx context.Context, store *db.Store, i int) error {
			_, err := store.SecretKey(ctx, fmt.Sprintf("switchover-%d", i), []byte("v"))
			return err
		}, `SELECT count(*) FROM app_secrets WHERE name LIKE 'switchover-%'`)
	})
	t.Run("prepared write", func(t *testing.T) {
		var userID string
		var ids []string
		seed := func(ctx context.Context, store *db.Store, n int) {
			err := store.InTx(ctx, func(tx *db.Tx) error {
				u, err := tx.CreateUser(ctx, "fenced@example.test", "F", "hash")
				if err != nil {
					return err
				}
				userID = u.ID
				for i := range n {
					hash := sha256.Sum256([]byte{byte(i)})
					s, err := tx.CreateSession(ctx, db.NewSession{UserID: u.ID, TokenHash: hash[:],
						CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
					if err != nil {
						return err
					}
					ids = append(ids, s.ID)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		testFencedPrimaryRetires(t, seed, func(ctx context.Context, store *db.Store, i int) error {
			_, err := store.RevokeSessionAudited(ctx, userID, ids[i], nil, "revoked", time.Now(), db.EventSessionRevoked)
			return err
		}, `SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL`)
	})
}

// testFencedPrimaryRetires fences the primary under a full pool, promotes the standby, and
// makes 3 x pool-size writes: only the first write may be refused (it retires the rest),
// and every write that succeeded is on the new primary (countSQL counts them there).
func testFencedPrimaryRetires(t *testing.T, seed func(context.Context, *db.Store, int),
	write func(context.Context, *db.Store, int) error, countSQL string) {
	ctx := withTimeout(t, 2*time.Minute)
	primary, standby := startReplicatedPair(ctx, t)
	const poolSize = 4
	store, err := db.Open(ctx, parseConfig(t, pgserver.FailoverDSN("docodego", primary, standby)), db.PoolOptions{MaxOpen: poolSize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := db.Migrate(ctx, store.DB().DB); err != nil {
		t.Fatal(err)
	}
	if seed != nil {
		seed(ctx, store, 3*poolSize)
	}
	// Fill the pool with connections to the primary.
	conns := make([]*sql.Conn, poolSize)
	for i := range conns {
		if conns[i], err = store.DB().Conn(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range conns {
		c.Close()
	}

	if err := primary.Fence(ctx); err != nil {
		t.Fatal(err)
	}
	if err := standby.Promote(ctx); err != nil {
		t.Fatal(err)
	}
	refused := 0
	for i := range 3 * poolSize {
		err := write(ctx, store, i)
		switch {
		case err == nil:
		case pq.As(err, "25006") != nil && i < poolSize:
			refused++
		default:
			t.Fatalf("write %d after the switchover: %v", i, err)
		}
	}
	if refused == 0 {
		t.Error("no write was refused: the pool never held connections to the fenced primary")
	}
	if refused > 1 {
		t.Errorf("%d writes were refused: the first refusal should have retired every connection to the fenced primary", refused)
	}
	// The writes that succeeded are on the new primary.
	direct, err := sql.Open("postgres", standby.DSN("docodego"))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	var n int
	if err := direct.QueryRowContext(ctx, countSQL).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3*poolSize-refused {
		t.Errorf("new primary has %d of the %d writes that succeeded", n, 3*poolSize-refused)
	}
	t.Logf("%d write refused by the fenced primary; the %d pooled connections to it retired with it", refused, poolSize)
}

// startReplicatedPair starts a primary with a synchronous standby that has caught up, and
// the app's database on it; both stop when the test ends.
func startReplicatedPair(ctx context.Context, t *testing.T) (primary, standby *pgserver.ReplicaNode) {
	t.Helper()
	primary, err := pgserver.StartPrimary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { primary.Stop() })
	standby, err = primary.StartStandby(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { standby.Stop() })
	if err := primary.WaitSyncStandby(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.EnsureDatabase(ctx, parseConfig(t, primary.DSN("docodego"))); err != nil {
		t.Fatal(err)
	}
	return primary, standby
}
