package handlers_test

import (
	"strings"
	"testing"
)

// The page holds one confirm dialog, empty; each Revoke fetches its question from the
// server into it (htmx), the same question the no-JavaScript confirm page asks.
func TestConfirmDialogIsOneServerRenderedQuestion(t *testing.T) {
	_, mac, win, _ := threeDevices(t)
	winID := win.currentID()
	page := mac.get("/app/settings/security")
	if n := strings.Count(page.body, "<dialog"); n != 1 ||
		!strings.Contains(page.body, `<dialog id="confirm-dialog" class="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-desc"></dialog>`) {
		t.Fatalf("want one empty confirm dialog on the page, got %d dialogs", n)
	}

	one := mac.htmx("GET", "/app/settings/security/sessions/"+winID+"/revoke")
	for _, want := range []string{
		`<h2 id="confirm-title">Revoke Firefox on Windows?</h2>`, `<p id="confirm-desc">`,
		`<p class="dialog-error error" role="alert" hidden></p>`, `data-close>Cancel</button>`,
		`hx-delete="/app/settings/security/sessions/` + winID + `" hx-target="#sessions" hx-swap="outerHTML"`,
	} {
		if !strings.Contains(one.body, want) {
			t.Errorf("question fragment lacks %q:\n%s", want, one.body)
		}
	}
	if one.status != 200 || strings.Contains(one.body, "<html") || strings.Contains(one.body, "<dialog") {
		t.Errorf("question fragment: %d, want the dialog's inside alone:\n%s", one.status, one.body)
	}
	noJS := mac.get("/app/settings/security/sessions/" + winID + "/revoke")
	if !strings.Contains(noJS.body, `<h1 id="confirm-title">Revoke Firefox on Windows?</h1>`) ||
		strings.Contains(noJS.body, "hx-delete") || strings.Contains(noJS.body, "data-close") {
		t.Errorf("the no-JavaScript page is not the plain form:\n%s", noJS.body)
	}

	all := mac.htmx("GET", "/app/settings/security/sessions/revoke-others")
	if !strings.Contains(all.body, `hx-post="/app/settings/security/sessions/revoke-others" hx-target="#sessions"`) ||
		!strings.Contains(all.body, "2 other devices will be signed out") || strings.Contains(all.body, "<html") {
		t.Errorf("revoke-others question fragment:\n%s", all.body)
	}

	// A question about a session that is gone: htmx gets the fresh table, aimed at the
	// table (not a whole page inside the dialog).
	if r := mac.htmx("DELETE", "/app/settings/security/sessions/"+winID); r.status != 200 {
		t.Fatalf("revoke: %d", r.status)
	}
	gone := mac.htmx("GET", "/app/settings/security/sessions/"+winID+"/revoke")
	if gone.status != 200 || gone.header.Get("HX-Retarget") != "#sessions" || gone.header.Get("HX-Reswap") != "outerHTML" ||
		!strings.Contains(gone.body, `<div id="sessions"`) || strings.Contains(gone.body, "<html") ||
		strings.Contains(gone.body, `id="session-`+winID+`"`) {
		t.Errorf("question about a gone session: %d %v\n%s", gone.status, gone.header, gone.body)
	}
}
