package handlers

import (
	"html/template"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// hostile is text that html/template must escape, in every way it escapes: markup, quotes,
// '+', NUL, invalid UTF-8, non-characters, percent signs and URL delimiters.
var hostile = []string{
	``, `plain`, `<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`, `' onmouseover='x`,
	`a&b&amp;`, `1+1`, "nul\x00byte", "bad\xffutf8\xc3", "\ufdd0\uffff", `%41%zz%`, `a b/c?d#e`,
	`javascript:alert(1)`, `Zürich, Österreich`, `東京`, `{{.ID}}`, `</tr></table>`,
}

// TestSessionRowMatchesTemplate holds sessionRows to the html/template rendering of the same
// row (handlers/testdata/session_row.html, the template it replaced): the same bytes for
// every field hostile, in every combination of the row's states, so that writing the row
// in Go can never weaken its escaping.
func TestSessionRowMatchesTemplate(t *testing.T) {
	src, err := os.ReadFile("testdata/session_row.html")
	if err != nil {
		t.Fatal(err)
	}
	tmpl := template.Must(template.New("row").Parse(string(src)))
	rnd := rand.New(rand.NewPCG(15, 40))
	pick := func() string { return hostile[rnd.IntN(len(hostile))] }
	for i := range 4000 {
		text := &rowText{Current: pick(), Details: pick(), ColIP: pick(), ColSignedIn: pick(),
			ColLastActive: pick(), ColActions: pick(), UnknownIP: pick(), ActiveNow: pick(),
			Expires: pick(), ThisDevice: pick(), Revoke: pick(), DeviceBound: pick(), BoundDetails: pick()}
		row := sessionRow{ID: pick(), Label: pick(), IP: pick(), UserAgent: pick(), Icon: pick(),
			Place: pick(), SignedInFrom: pick(), Current: i&1 != 0, DeviceBound: i&2 != 0, Text: text,
			RevokeLabel: pick(), Created: pick(), LastSeen: pick(), Expires: timeText{ISO: pick(), Text: pick()},
			UntilClose: pick(), Highlight: pick()}
		var want strings.Builder
		if err := tmpl.Execute(&want, row); err != nil {
			t.Fatal(err)
		}
		if got := string(sessionRows([]sessionRow{row})); got != want.String() {
			t.Fatalf("row %d differs from html/template's:\n got %q\nwant %q", i, got, want.String())
		}
	}
}
