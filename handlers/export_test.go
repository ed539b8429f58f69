package handlers_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// exportSetup: a person with a live session (the laptop), an ended one (the phone, revoked
// from the laptop) and their events.
func exportSetup(t *testing.T, phoneUA string) (*env, *client, *client) {
	t.Helper()
	e := newEnv(t)
	laptop := e.client(uaFirefoxWin)
	laptop.signUp("person@example.com")
	phone := e.client(phoneUA)
	phone.signIn("person@example.com")
	r := phone.json("DELETE", "/api/auth/sessions", "") // the phone ends the laptop's session...
	if r.status != 200 {
		t.Fatalf("revoke others: %d %s", r.status, r.body)
	}
	laptop = e.client(uaFirefoxWin)
	laptop.signIn("person@example.com") // ...and the laptop signs in again
	return e, laptop, phone
}

// The JSON download validates against docs/security-export.schema.json, holds every
// session (live and ended, with why) and every event, and no secret.
func TestExportJSONMatchesItsSchema(t *testing.T) {
	_, laptop, _ := exportSetup(t, uaSafariPhone)
	r := laptop.get("/app/settings/security/export?format=json")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Disposition"), `attachment; filename="security-activity-`) ||
		!strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("export: %d %v", r.status, r.header)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	schema, err := c.Compile("../docs/security-export.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(r.body))
	if err != nil {
		t.Fatalf("not JSON: %v\n%.500s", err, r.body)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("the export breaks its schema: %v", err)
	}
	var got struct {
		Sessions []struct {
			EndReason *string `json:"end_reason"`
		} `json:"sessions"`
		Events []struct {
			Type string `json:"type"`
		} `json:"events"`
	}
	_ = json.Unmarshal([]byte(r.body), &got)
	var live, revoked int
	for _, s := range got.Sessions {
		switch {
		case s.EndReason == nil:
			live++
		case *s.EndReason == "revoked":
			revoked++
		}
	}
	if len(got.Sessions) != 3 || live != 2 || revoked != 1 || len(got.Events) < 4 {
		t.Fatalf("sessions %d (live %d, revoked %d), events %d: %.1500s", len(got.Sessions), live, revoked, len(got.Events), r.body)
	}
	for name, value := range laptop.cookies {
		if len(value) > 8 && strings.Contains(r.body, value) {
			t.Errorf("the export holds the %s cookie", name)
		}
	}
	// Bad input: a clear 400 naming the field; signed out: sign in first.
	if r := laptop.get("/app/settings/security/export"); r.status != 200 || !strings.Contains(r.body, `href="/app/settings/security/export?format=csv"`) {
		t.Errorf("the export page: %d", r.status)
	}
	if r := laptop.get("/app/settings/security"); !strings.Contains(r.body, `href="/app/settings/security/export"`) {
		t.Errorf("the security page has no link to the export")
	}
	for _, f := range []string{"xml", "JSON", "%00"} {
		if r := laptop.get("/app/settings/security/export?format=" + f); r.status != 400 || !strings.Contains(r.body, "Format: choose json or csv.") {
			t.Errorf("format %q: %d", f, r.status)
		}
	}
	if r := laptop.e.client(uaChromeMac).get("/app/settings/security/export?format=json"); r.status != 303 {
		t.Errorf("signed out: %d", r.status)
	}
}

// The CSV: a header row, RFC 4180 quoting that a standard reader reads back cell for
// cell, and no cell a spreadsheet would run as a formula.
func TestExportCSV(t *testing.T) {
	hostile := `=HYPERLINK("http://evil.example","click"), "quoted"`
	_, laptop, _ := exportSetup(t, hostile)
	r := laptop.get("/app/settings/security/export?format=csv")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %v", r.status, r.header)
	}
	if !strings.HasPrefix(r.body, "record,id,created_at,type,session_id,") || !strings.Contains(r.body, "\r\n") {
		t.Fatalf("no header row or CRLF: %.300s", r.body)
	}
	rd := csv.NewReader(bytes.NewReader([]byte(r.body)))
	records, err := rd.ReadAll()
	if err != nil {
		t.Fatalf("not RFC 4180: %v", err)
	}
	header := records[0]
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	var sawHostile bool
	sessions, events := 0, 0
	for _, rec := range records[1:] {
		if len(rec) != len(header) {
			t.Fatalf("a row of %d cells under a header of %d", len(rec), len(header))
		}
		for i, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %s = %q would run as a formula", header[i], cell)
			}
		}
		switch rec[col["record"]] {
		case "session":
			sessions++
			if rec[col["user_agent"]] == "'"+hostile {
				sawHostile = true
			}
		case "event":
			events++
			var d map[string]any
			if err := json.Unmarshal([]byte(rec[col["details"]]), &d); err != nil {
				t.Errorf("details %q: %v", rec[col["details"]], err)
			}
		}
	}
	if !sawHostile || sessions != 3 || events < 4 {
		t.Fatalf("hostile user agent kept whole and neutralised: %v; %d sessions, %d events", sawHostile, sessions, events)
	}
	if !strings.Contains(r.body, `"'=HYPERLINK(""http://evil.example"",""click""), ""quoted"""`) {
		t.Errorf("the cell is not quoted as RFC 4180 says")
	}
}

// Past one page (1,000 rows) the export goes on from the last row: every event once.
func TestExportReadsEveryPage(t *testing.T) {
	e := newEnv(t)
	person := e.client(uaFirefoxWin)
	person.signUp("person@example.com")
	u, err := e.store.UserByEmail(t.Context(), "person@example.com")
	if err != nil {
		t.Fatal(err)
	}
	// 2,500 events in the same second: the cursor's id breaks the ties.
	if _, err := e.store.DB().Exec(`
		INSERT INTO audit_events (user_id, type, ip, created_at)
		SELECT $1, 'sign_in_failed', '203.0.113.1', now() - interval '1 minute' FROM generate_series(1, 2500)`, u.ID); err != nil {
		t.Fatal(err)
	}
	r := person.get("/app/settings/security/export?format=json")
	var got struct {
		Events []struct {
			ID int64 `json:"id"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, ev := range got.Events {
		seen[ev.ID] = true
	}
	if len(got.Events) != 2501 || len(seen) != 2501 { // and the sign-up
		t.Fatalf("%d events, %d distinct; want 2501", len(got.Events), len(seen))
	}
}
