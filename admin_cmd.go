package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/docodego/sessions/auth"
)

const adminUsage = `usage: sessions admin grant EMAIL | revoke EMAIL | list
  grant   make the account with EMAIL an administrator (it must have signed up)
  revoke  take the administrator role away from it
  list    show every administrator
The database is the server's: DATABASE_URL, else the local PostgreSQL in DATA_DIR.`

// runAdmin is `sessions admin ...`: the only way to make or unmake an administrator. It
// answers the shell's way: 0 done, 1 failed, 2 a wrong command line.
func runAdmin(args []string, stdout, stderr io.Writer, log *slog.Logger) int {
	cmd, email, ok := parseAdminArgs(args)
	if !ok {
		fmt.Fprintln(stderr, adminUsage)
		return 2
	}
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "sessions admin:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Only warnings: the command's own output is its answer.
	quiet := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, _, closeDB, err := openDatabase(ctx, cfg, quiet)
	if err != nil {
		log.Error("sessions admin: database", "error", err)
		return 1
	}
	defer closeDB()
	roster := auth.NewRoster(store)
	by, from := commandLineActor()
	switch cmd {
	case "list":
		return printAdmins(ctx, roster, stdout, stderr)
	case "grant":
		return reportChange(stdout, stderr, email, "is now an administrator", "was an administrator already")(roster.Grant(ctx, email, by, from))
	default:
		return reportChange(stdout, stderr, email, "is no longer an administrator", "was not an administrator")(roster.Revoke(ctx, email, by, from))
	}
}

// parseAdminArgs reads "grant EMAIL", "revoke EMAIL" or "list".
func parseAdminArgs(args []string) (cmd, email string, ok bool) {
	switch {
	case len(args) == 1 && args[0] == "list":
		return "list", "", true
	case len(args) == 2 && (args[0] == "grant" || args[0] == "revoke") && args[1] != "":
		return args[0], args[1], true
	}
	return "", "", false
}

// commandLineActor is who ran the command and from where, for the audit trail.
func commandLineActor() (by, from string) {
	by = "unknown"
	if u, err := user.Current(); err == nil {
		by = u.Username
	}
	from = "command line"
	if host, err := os.Hostname(); err == nil {
		from = "command line on " + host
	}
	return by, from
}

// reportChange prints the outcome of a grant or revoke.
func reportChange(stdout, stderr io.Writer, email, done, already string) func(bool, error) int {
	return func(changed bool, err error) int {
		switch {
		case errors.Is(err, auth.ErrNoAccount):
			fmt.Fprintf(stderr, "sessions admin: no account has the email %q (the person signs up first)\n", email)
			return 1
		case err != nil:
			fmt.Fprintln(stderr, "sessions admin:", err)
			return 1
		case changed:
			fmt.Fprintln(stdout, email, done)
		default:
			fmt.Fprintln(stdout, email, already)
		}
		return 0
	}
}

func printAdmins(ctx context.Context, roster *auth.Roster, stdout, stderr io.Writer) int {
	admins, err := roster.List(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "sessions admin:", err)
		return 1
	}
	if len(admins) == 0 {
		fmt.Fprintln(stdout, "no administrators (sessions admin grant EMAIL makes one)")
		return 0
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "EMAIL\tNAME\tGRANTED\tBY")
	for _, a := range admins {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", a.Email, a.Name, a.GrantedAt.UTC().Format(time.RFC3339), a.GrantedBy)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(stderr, "sessions admin:", err)
		return 1
	}
	return 0
}
