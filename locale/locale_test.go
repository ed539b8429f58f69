package locale

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/docodego/sessions/device"
)

// pluralForms are the categories go-i18n's CLDR rules (v2.7) can pick for whole numbers:
// French and Spanish also have "many" (a million and up), and French "one" covers 0 and 1.
var pluralForms = map[string][]string{
	"en": {"one", "other"},
	"de": {"one", "other"},
	"fr": {"many", "one", "other"},
	"es": {"many", "one", "other"},
}

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

// message is one catalog entry: a plain string or its plural forms.
type message struct {
	forms map[string]string // "" for a plain string
}

func loadCatalog(t *testing.T, lang string) map[string]message {
	t.Helper()
	raw, err := MessageIDs(lang)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]message, len(raw))
	for id, text := range raw {
		var plain string
		if json.Unmarshal([]byte(text), &plain) == nil {
			out[id] = message{forms: map[string]string{"": plain}}
			continue
		}
		var forms map[string]string
		if err := json.Unmarshal([]byte(text), &forms); err != nil {
			t.Fatalf("%s %s: neither a string nor plural forms: %v", lang, id, err)
		}
		out[id] = message{forms: forms}
	}
	return out
}

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

// union is every placeholder a message uses in any of its forms.
func (m message) union() []string {
	var all []string
	for _, f := range m.forms {
		all = append(all, placeholders(f)...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

func TestCatalogsHaveEveryMessageWithTheSamePlaceholders(t *testing.T) {
	en := loadCatalog(t, "en")
	for _, lang := range Supported {
		t.Run(lang, func(t *testing.T) {
			cat := loadCatalog(t, lang)
			for id, want := range en {
				got, ok := cat[id]
				if !ok {
					t.Errorf("%s: missing", id)
					continue
				}
				if g, w := got.union(), want.union(); !slices.Equal(g, w) {
					t.Errorf("%s: placeholders %v, English has %v", id, g, w)
				}
				_, enPlain := want.forms[""]
				_, plain := got.forms[""]
				if enPlain != plain {
					t.Errorf("%s: plural in one language and not the other", id)
					continue
				}
				if !plain {
					if forms := slices.Sorted(maps.Keys(got.forms)); !slices.Equal(forms, pluralForms[lang]) {
						t.Errorf("%s: plural forms %v, %s needs %v", id, forms, lang, pluralForms[lang])
					}
				}
			}
			for id := range cat {
				if _, ok := en[id]; !ok {
					t.Errorf("%s: not in the English catalog", id)
				}
			}
		})
	}
}

// TestPluralFormsMatchTheLibrary asks go-i18n itself: with every form it needs present,
// no count makes it fall back (it reports an error when it has to).
func TestPluralFormsMatchTheLibrary(t *testing.T) {
	c := newCatalog(t)
	for _, lang := range Supported {
		loc := i18n.NewLocalizer(c.bundle, lang)
		for id, m := range loadCatalog(t, lang) {
			if _, plain := m.forms[""]; plain {
				continue
			}
			for _, n := range []int{0, 1, 2, 3, 5, 11, 21, 100, 1001, 1000000} {
				_, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id, PluralCount: n,
					TemplateData: map[string]any{"Count": n}})
				if err != nil {
					t.Errorf("%s %s count %d: %v", lang, id, n, err)
				}
			}
		}
	}
}

func TestEveryMessageRenders(t *testing.T) {
	c := newCatalog(t)
	for _, lang := range Supported {
		l := c.Lang(lang)
		for id, m := range loadCatalog(t, lang) {
			var args []any
			for _, name := range m.union() {
				if name != "Count" {
					args = append(args, name, "x")
				}
			}
			if got := l.N(id, 2, args...); got == id || strings.Contains(got, "<no value>") {
				t.Errorf("%s %s: rendered %q", lang, id, got)
			}
		}
	}
}

func newCatalog(t *testing.T) *Catalog {
	t.Helper()
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPick(t *testing.T) {
	c := newCatalog(t)
	tests := []struct{ choice, accept, want string }{
		{"", "de-CH,de;q=0.9,en;q=0.8", "de"},
		{"", "fr-CA", "fr"},
		{"", "es-419,es;q=0.9", "es"},
		{"", "ja,ko;q=0.5", "en"},
		{"", "", "en"},
		{"", "pt-BR,fr;q=0.4", "fr"},
		{"fr", "de", "fr"},
		{"ES", "de", "es"},
		{"xx", "de", "de"},
		{"", "not a header;;;", "en"},
	}
	for _, tt := range tests {
		if got := c.Pick(tt.choice, tt.accept).Lang(); got != tt.want {
			t.Errorf("Pick(%q, %q) = %s, want %s", tt.choice, tt.accept, got, tt.want)
		}
	}
}

func TestRelativeTimes(t *testing.T) {
	c := newCatalog(t)
	now := time.Date(2026, 3, 5, 14, 7, 0, 0, time.UTC)
	ago := func(d time.Duration) func(*Localizer) string {
		return func(l *Localizer) string { return l.Ago(now.Add(-d), now) }
	}
	in := func(d time.Duration) func(*Localizer) string {
		return func(l *Localizer) string { return l.In(now.Add(d), now) }
	}
	day := 24 * time.Hour
	tests := []struct {
		lang string
		f    func(*Localizer) string
		want string
	}{
		{"en", ago(3 * time.Minute), "3 minutes ago"},
		{"de", ago(3 * time.Minute), "vor 3 Minuten"},
		{"fr", ago(3 * time.Minute), "il y a 3 minutes"},
		{"es", ago(3 * time.Minute), "hace 3 minutos"},
		{"de", ago(1 * time.Minute), "vor 1 Minute"},
		{"fr", ago(90 * time.Second), "il y a 1 minute"},
		{"es", ago(2 * time.Hour), "hace 2 horas"},
		{"de", ago(1 * day), "vor 1 Tag"},
		{"de", ago(4 * day), "vor 4 Tagen"},
		{"de", ago(10 * time.Second), "gerade eben"},
		{"fr", ago(10 * time.Second), "à l’instant"},
		{"es", ago(10 * time.Second), "ahora mismo"},
		{"en", in(7 * day), "in 7 days"},
		{"de", in(7 * day), "in 7 Tagen"},
		{"fr", in(7 * day), "dans 7 jours"},
		{"es", in(7 * day), "en 7 días"},
		{"de", in(1 * time.Hour), "in 1 Stunde"},
		{"fr", in(30 * time.Second), "dans 1 minute"},
		{"es", in(1 * day), "en 1 día"},
		{"en", in(7*day - time.Second), "in 7 days"}, // a fresh 7-day session, not "6 days"
		{"en", in(3*day + 13*time.Hour), "in 4 days"},
		{"en", in(23*time.Hour + 50*time.Minute), "in 1 day"},
	}
	for _, tt := range tests {
		if got := tt.f(c.Lang(tt.lang)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.lang, got, tt.want)
		}
	}
}

func TestDateTime(t *testing.T) {
	c := newCatalog(t)
	at := time.Date(2026, 3, 5, 15, 7, 0, 0, time.FixedZone("CET", 3600))
	want := map[string]string{
		"en": "Mar 5, 2026, 14:07 UTC",
		"de": "05.03.2026, 14:07 UTC",
		"fr": "05/03/2026 14:07 UTC",
		"es": "05/03/2026, 14:07 UTC",
	}
	for lang, w := range want {
		if got := c.Lang(lang).DateTime(at); got != w {
			t.Errorf("%s: %q, want %q", lang, got, w)
		}
	}
}

func TestDeviceLabels(t *testing.T) {
	c := newCatalog(t)
	tests := []struct{ lang, browser, os, want string }{
		{"en", "Chrome", "macOS", "Chrome on macOS"},
		{"de", "Chrome", "macOS", "Chrome unter macOS"},
		{"fr", "Chrome", "macOS", "Chrome sous macOS"},
		{"es", "Chrome", "macOS", "Chrome en macOS"},
		{"de", "DoCodeGo Desktop", "Linux", "DoCodeGo Desktop unter Linux"},
		{"fr", "DoCodeGo Desktop", "", "DoCodeGo Desktop"},
		{"de", "Embedded browser", "macOS", "Eingebetteter Browser unter macOS"},
		{"fr", "Web browser", "Linux", "Navigateur web sous Linux"},
		{"es", "Embedded browser", "Android", "Navegador integrado en Android"},
		{"fr", "Bot", "", "Robot"},
		{"de", "", "Windows", "Gerät unter Windows"},
		{"es", "", "", "Dispositivo desconocido"},
	}
	for _, tt := range tests {
		if got := c.Lang(tt.lang).Device(tt.browser, tt.os); got != tt.want {
			t.Errorf("%s Device(%q, %q) = %q, want %q", tt.lang, tt.browser, tt.os, got, tt.want)
		}
	}
}

// TestGenericDeviceNamesAreTranslated runs user agents that make package device fall back
// to a generic name through it: none of its English words may reach a French label.
func TestGenericDeviceNamesAreTranslated(t *testing.T) {
	p, err := device.NewParser("DoCodeGo")
	if err != nil {
		t.Fatal(err)
	}
	fr := newCatalog(t).Lang("fr")
	uas := []string{
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.0.0 Mobile Safari/537.36",
		"Mozilla/5.0 (compatible; bot)",
		"",
	}
	english := []string{"Embedded browser", "Web browser", "Bot", "Unknown device", " on "}
	for _, ua := range uas {
		d := p.Parse(ua)
		label := fr.Device(d.Browser, d.OS)
		for _, w := range english {
			if strings.Contains(label, w) {
				t.Errorf("%q: French label %q (English %q) still says %q", ua, label, d.Label, w)
			}
		}
	}
}

// TestWordsAreTheirMessages: a template's word reads what T renders for its message, in
// every language, and only messages of one piece are words.
func TestWordsAreTheirMessages(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range Supported {
		l := c.Lang(lang)
		ids, err := MessageIDs(lang)
		if err != nil {
			t.Fatal(err)
		}
		words := 0
		for id := range ids {
			w, ok := l.W[wordKey(id)]
			if !ok {
				continue
			}
			words++
			if got := l.T(id); w != got {
				t.Errorf("%s %s: word %q, T %q", lang, id, w, got)
			}
		}
		if words != len(l.W) {
			t.Errorf("%s: %d words, %d of them messages", lang, len(l.W), words)
		}
		if _, ok := l.W[wordKey("sessions.count")]; ok {
			t.Errorf("%s: the plural sessions.count is a word", lang)
		}
		if _, ok := l.W[wordKey("form.password_hint")]; ok {
			t.Errorf("%s: form.password_hint, with its placeholder, is a word", lang)
		}
		if l.W[wordKey("sessions.heading")] == "" {
			t.Errorf("%s: sessions.heading is not a word", lang)
		}
	}
}
