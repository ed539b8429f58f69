package handlers

import (
	"html/template"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// TestRowWritersMatchTemplates holds activityRows, endedRows and the notices' writer to html/template's
// rendering of the templates they replaced (handlers/testdata), for hostile values in every
// field, as TestSessionRowMatchesTemplate does for the session rows.
func TestRowWritersMatchTemplates(t *testing.T) {
	rnd := rand.New(rand.NewPCG(16, 41))
	pick := func() string { return hostile[rnd.IntN(len(hostile))] }
	id := func() int64 { return rnd.Int64N(1 << 40) }
	cases := []struct {
		file  string
		data  func(i int) any
		write func(data any) string
	}{
		{"activity_row.html", func(i int) any {
			return activityRow{ID: id(), Type: pick(), Text: pick(), IP: pick(), Place: pick(), When: pick(), Focus: i&1 != 0}
		}, func(data any) string { return string(activityRows([]activityRow{data.(activityRow)})) }},
		{"ended_rows.html", func(i int) any {
			var rows []endedRow
			for range i % 3 {
				rows = append(rows, endedRow{ID: pick(), Label: pick(), How: pick(), Ended: timeText{ISO: pick(), Text: pick()}, Ago: pick(),
					Focus: rnd.IntN(2) == 0})
			}
			return rows
		}, func(data any) string { return string(endedRows(data.([]endedRow))) }},
		{"notice_rows.html", func(i int) any {
			var notices []noticeRow
			for range i % 3 {
				notices = append(notices, noticeRow{ID: id(), SessionID: pick(), Text: pick()})
			}
			return noticeData{Words: noticeWords{NotYou: pick(), Revoke: pick(), Secure: pick(), Dismiss: pick()},
				CSRF: pick(), Notices: notices}
		}, func(data any) string {
			d := data.(noticeData)
			var b strings.Builder
			for i := range d.Notices {
				writeNotice(&b, &d.Words, d.CSRF, &d.Notices[i])
			}
			return b.String()
		}},
	}
	for _, c := range cases {
		src, err := os.ReadFile("testdata/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := template.Must(template.New(c.file).Parse(string(src)))
		for i := range 2000 {
			data := c.data(i)
			var want strings.Builder
			if err := tmpl.Execute(&want, data); err != nil {
				t.Fatal(err)
			}
			if got := c.write(data); got != want.String() {
				t.Fatalf("%s, case %d differs from html/template's:\n got %q\nwant %q", c.file, i, got, want.String())
			}
		}
	}
}

// noticeData is what testdata/notice_rows.html renders.
type noticeData struct {
	Words   noticeWords
	CSRF    string
	Notices []noticeRow
}
