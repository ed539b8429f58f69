package handlers

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/docodego/sessions/locale"
	"github.com/docodego/sessions/views"
	"github.com/docodego/sessions/views/rows"
)

// Pages and fragments rendered at once from many goroutines by the one html/v2 engine come
// out exactly as rendered alone: no render holds a lock another needs, and none sees
// another's "embed" function (html/v2 rewrites it on every render; views/engine.go). Run
// under -race (make test does), it also proves the engine shares nothing unguarded.
func TestPagesAndFragmentsRenderConcurrently(t *testing.T) {
	engine, err := views.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := locale.New()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	type job struct {
		name string
		data any
	}
	var jobs []job
	for _, lang := range []string{"en", "de"} {
		l := catalog.Pick("", lang)
		table := benchRows(l, now)
		activity := securityActivity{L: l, CSRF: "csrf",
			Notices: []noticeRow{{ID: 7, SessionID: table.Rows[3].ID, Text: "New sign-in"}},
			Events:  activityPage{L: l, Rows: []rows.Activity{{ID: 1, Text: "Signed in", When: "now"}}, Next: "c"},
			Ended:   []rows.Ended{{ID: "e", Label: "Firefox", How: "Revoked", Ago: "now"}}, EndedTotal: 3}
		layout := Layout{L: l, AppName: "Sessions", Title: "Security", CSRF: "csrf", SignedIn: true, UserName: "Ada"}
		password := passwordForm{L: l, CSRF: "csrf", Min: 12, RevokeOthers: true}
		jobs = append(jobs,
			job{"pages/security", &securityPage{Layout: layout, Table: table, Activity: activity, Password: password,
				Verify: verifyCard{L: l, CSRF: "csrf", Show: true, Email: "ada@example.com"}}},
			job{"pages/login", &authPage{Layout: layout, Error: "Wrong password", Field: "password"}},
			job{"pages/error", &errorPage{Layout: layout, Message: "Not found", Status: 404}},
			job{"pages/confirm_revoke", &confirmPage{Layout: layout, Question: revokeQuestion(l, "csrf", &table.Rows[2])}},
			job{"partials/sessions", table},
			job{"partials/sessions_update", sessionsUpdate{Table: table, Activity: activity, Announce: "Signed out"}},
			job{"partials/confirm_revoke", revokeQuestion(l, "csrf", &table.Rows[1])},
			job{"partials/activity_page", activity.Events},
			job{"partials/ended_sessions", activity},
			job{"partials/error", map[string]any{"L": l, "Message": "Try again"}},
			job{"pages/admin_user", &adminUserPage{Layout: layout, Email: "ada@example.com",
				Sessions: []supportSession{{Row: table.Rows[1], Form: endForm{L: l, CSRF: "csrf", Action: "/x", For: "1"}}},
				EndAll:   endForm{L: l, CSRF: "csrf", Action: "/y", For: "all"}}},
		)
	}
	want := make([]string, len(jobs))
	for i, j := range jobs {
		var b bytes.Buffer
		if err := engine.Render(&b, j.name, j.data); err != nil {
			t.Fatalf("%s: %v", j.name, err)
		}
		want[i] = b.String()
	}
	const workers, rounds = 8, 40
	start := make(chan struct{})
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			<-start
			var b bytes.Buffer
			for r := range rounds {
				i := (w*7 + r) % len(jobs) // each worker walks the jobs in its own order
				b.Reset()
				if err := engine.Render(&b, jobs[i].name, jobs[i].data); err != nil {
					errs <- fmt.Errorf("%s: %w", jobs[i].name, err)
					return
				}
				if b.String() != want[i] {
					errs <- fmt.Errorf("%s rendered concurrently differs from alone", jobs[i].name)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
