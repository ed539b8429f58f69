package locale

import "testing"

// The compiled catalog renders every message of every language exactly as go-i18n does:
// each plain message with its placeholders filled, each plural message for every count
// from 0 to 2,000 and at the edge of the compiled range, with string and int arguments.
func TestCompiledMessagesMatchGoI18n(t *testing.T) {
	c := newCatalog(t)
	counts := []int{999_999, 10_000, 123_456}
	for n := range 2001 {
		counts = append(counts, n)
	}
	for _, lang := range Supported {
		l := c.Lang(lang)
		if len(l.msgs) == 0 {
			t.Fatalf("%s: nothing compiled", lang)
		}
		for id, msg := range loadCatalog(t, lang) {
			if _, ok := l.msgs[id]; !ok {
				t.Errorf("%s %s: not compiled", lang, id)
			}
			var args []any
			for i, name := range msg.union() {
				if name == "Count" {
					continue
				}
				if i%2 == 0 {
					args = append(args, name, "<"+name+" & 'x'>")
				} else {
					args = append(args, name, 40+i)
				}
			}
			if _, plain := msg.forms[""]; plain {
				if got, want := l.T(id, args...), l.localize(id, nil, args); got != want {
					t.Errorf("%s %s: %q, go-i18n %q", lang, id, got, want)
				}
				continue
			}
			for _, n := range counts {
				if got, want := l.N(id, n, args...), l.localize(id, n, append(args, "Count", n)); got != want {
					t.Fatalf("%s %s count %d: %q, go-i18n %q", lang, id, n, got, want)
				}
			}
		}
	}
}
