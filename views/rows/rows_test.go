package rows_test

import (
	"bytes"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/gofiber/template/html/v2"

	"github.com/docodego/sessions/views"
	"github.com/docodego/sessions/views/rows"
)

// hostile is text that html/template must escape, in every way it escapes: markup, quotes,
// '+', NUL, invalid UTF-8, non-characters, percent signs and URL delimiters.
var hostile = []string{
	``, `plain`, `<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`, `' onmouseover='x`,
	`a&b&amp;`, `1+1`, "nul\x00byte", "bad\xffutf8\xc3", "\ufdd0\uffff", `%41%zz%`, `a b/c?d#e`,
	`javascript:alert(1)`, `Zürich, Österreich`, `東京`, `{{.ID}}`, `</tr></table>`,
}

// writerCase is one Go writer and its markup of record (views/rows/<name>.html): data
// builds the template's data from pick (a hostile string), id (a number) and flags (the
// row's states, one bit each); write is the writer on the same data.
type writerCase struct {
	data  func(pick func() string, id func() int64, flags uint) any
	write func(data any) string
}

var writers = map[string]writerCase{
	"rows/session": {func(pick func() string, _ func() int64, flags uint) any {
		text := &rows.SessionText{Current: pick(), SignedIn: pick(), Revoke: pick(), Secure: pick(),
			ThisWasMe: pick(), DeviceBound: pick()}
		var list []rows.Session
		for i := range flags%3 + 1 {
			bits := flags >> (3 * i)
			var badges []string
			for range bits >> 2 & 3 {
				badges = append(badges, pick())
			}
			list = append(list, rows.Session{ID: pick(), Label: pick(), Icon: pick(), Place: pick(),
				Current: bits&1 != 0, DeviceBound: bits&2 != 0, Flags: badges, Flagged: bits&4 != 0 || len(badges) > 1,
				Secure: bits&(4|32) == 4|32, Text: text, RevokeLabel: pick(), SignedIn: rows.Time{ISO: pick(), Text: pick()}, Active: pick(),
				Highlight: pick(), IP: pick(), UserAgent: pick()})
		}
		return list
	}, func(data any) string { return string(rows.Sessions(data.([]rows.Session))) }},
	"rows/activity": {func(pick func() string, id func() int64, flags uint) any {
		var list []rows.Activity
		for i := range flags % 3 {
			list = append(list, rows.Activity{ID: id(), Type: pick(), Text: pick(), IP: pick(), Place: pick(), When: pick(),
				Focus: flags>>(i+2)&1 != 0})
		}
		return list
	}, func(data any) string { return string(rows.Activities(data.([]rows.Activity))) }},
	"rows/ended": {func(pick func() string, _ func() int64, flags uint) any {
		var list []rows.Ended
		for i := range flags % 3 {
			list = append(list, rows.Ended{ID: pick(), Label: pick(), How: pick(), Ended: rows.Time{ISO: pick(), Text: pick()},
				Ago: pick(), Focus: flags>>(i+2)&1 != 0})
		}
		return list
	}, func(data any) string { return string(rows.EndedSessions(data.([]rows.Ended))) }},
}

func engine(t testing.TB) *html.Engine {
	t.Helper()
	e, err := views.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// same fails unless the writer of name writes what html/v2 renders from its template.
func same(t testing.TB, e *html.Engine, name string, data any) {
	t.Helper()
	var want bytes.Buffer
	if err := e.Render(&want, name, data); err != nil {
		t.Fatal(err)
	}
	if got := writers[name].write(data); got != want.String() {
		t.Fatalf("%s differs from its template:\n got %q\nwant %q", name, got, want.String())
	}
}

// TestWritersMatchTheirTemplates holds each Go writer to its template, rendered by the
// page's html/v2 engine: the same bytes for every field hostile, in every combination of
// the rows' states, so that writing a list in Go can never weaken its escaping.
func TestWritersMatchTheirTemplates(t *testing.T) {
	e := engine(t)
	for name, w := range writers {
		rnd := rand.New(rand.NewPCG(15, 40))
		pick := func() string { return hostile[rnd.IntN(len(hostile))] }
		id := func() int64 { return rnd.Int64N(1 << 40) }
		for i := range 3000 {
			same(t, e, name, w.data(pick, id, uint(i)))
		}
	}
}

// FuzzRowWriters feeds every writer and its template the same fuzzed text and states.
func FuzzRowWriters(f *testing.F) {
	for i, s := range hostile {
		f.Add(s, hostile[(i+5)%len(hostile)], uint(i)*37, int64(i))
	}
	e := engine(f)
	f.Fuzz(func(t *testing.T, a, b string, flags uint, n int64) {
		k := 0
		pick := func() string { k++; return [...]string{a, b, a + b}[k%3] }
		id := func() int64 { return n }
		for name, w := range writers {
			same(t, e, name, w.data(pick, id, flags))
		}
	})
}

// TestEveryWriterHasItsTemplate: each template in views/rows has a writer case above, and
// each writer file (views/rows/*.go) its template, so no list can be written in Go unchecked.
func TestEveryWriterHasItsTemplate(t *testing.T) {
	templates, err := fs.Glob(views.FS, "rows/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range templates {
		if _, ok := writers[strings.TrimSuffix(p, ".html")]; !ok {
			t.Errorf("%s has no writer case", p)
		}
	}
	if len(templates) != len(writers) {
		t.Errorf("%d templates, %d writer cases", len(templates), len(writers))
	}
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := f.Name()
		if path.Ext(name) != ".go" || strings.HasSuffix(name, "_test.go") || name == "escape.go" {
			continue
		}
		if _, err := os.Stat(strings.TrimSuffix(name, ".go") + ".html"); err != nil {
			t.Errorf("writer %s has no template beside it: %v", name, err)
		}
	}
}
