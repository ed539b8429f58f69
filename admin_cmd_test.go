package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// runBinary runs the binary the way the README shows, with DATABASE_URL set.
func runBinary(t *testing.T, bin, dsn string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn, "GEOIP_DIR=off")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("%v: %v", args, err)
	}
	return code, out.String(), errOut.String()
}

// `sessions admin grant|revoke|list` from the real binary, on the server's database: a
// grant needs an account that signed up, is written to the admin audit trail with the OS
// user, and shows in the list; wrong command lines exit 2 with the usage.
func TestAdminCommandLine(t *testing.T) {
	bin := buildBinary(t)
	dsn := dbtest.DSN(t)
	ctx := context.Background()
	dbConfig, err := db.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	store, err := db.Open(ctx, dbConfig, db.PoolOptions{MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.CreateUser(ctx, "Boss@Example.com", "The Boss", "x")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	u, err := store.UserByEmail(ctx, "boss@example.com")
	if err != nil {
		t.Fatal(err)
	}

	if code, out, _ := runBinary(t, bin, dsn, "admin", "list"); code != 0 || !strings.Contains(out, "no administrators") {
		t.Fatalf("list before: %d %q", code, out)
	}
	if code, _, errOut := runBinary(t, bin, dsn, "admin", "grant", "nobody@example.com"); code != 1 || !strings.Contains(errOut, "no account") {
		t.Fatalf("grant unknown: %d %q", code, errOut)
	}
	if code, out, errOut := runBinary(t, bin, dsn, "admin", "grant", "boss@example.com"); code != 0 || !strings.Contains(out, "is now an administrator") {
		t.Fatalf("grant: %d %q %q", code, out, errOut)
	}
	if ok, err := store.IsAdmin(ctx, u.ID); err != nil || !ok {
		t.Fatalf("after grant: %v %v", ok, err)
	}
	if code, out, _ := runBinary(t, bin, dsn, "admin", "grant", "boss@example.com"); code != 0 || !strings.Contains(out, "already") {
		t.Fatalf("grant twice: %d %q", code, out)
	}
	if code, out, _ := runBinary(t, bin, dsn, "admin", "list"); code != 0 || !strings.Contains(out, "Boss@Example.com") || !strings.Contains(out, "The Boss") {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, out, _ := runBinary(t, bin, dsn, "admin", "revoke", "boss@example.com"); code != 0 || !strings.Contains(out, "no longer") {
		t.Fatalf("revoke: %d %q", code, out)
	}
	if ok, _ := store.IsAdmin(ctx, u.ID); ok {
		t.Fatal("still an admin after revoke")
	}
	for _, args := range [][]string{{"admin"}, {"admin", "grant"}, {"admin", "promote", "x@example.com"}, {"admin", "list", "extra"}} {
		if code, _, errOut := runBinary(t, bin, dsn, args...); code != 2 || !strings.Contains(errOut, "usage: sessions admin") {
			t.Errorf("%v: %d %q", args, code, errOut)
		}
	}
	entries, err := store.AdminAudit(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var grants, revokes int
	for _, e := range entries {
		if strings.HasPrefix(e.ActorEmail, "cli:") && strings.HasPrefix(e.IP, "command line") && e.TargetUserID.String == u.ID {
			switch e.Action {
			case "admin grant":
				grants++
			case "admin revoke":
				revokes++
			}
		}
	}
	if grants != 2 || revokes != 1 {
		t.Fatalf("audit trail: %d grants, %d revokes: %+v", grants, revokes, entries)
	}
}
