package handlers_test

import (
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/docodego/sessions/locale"
)

// getIn loads a page with an Accept-Language header.
func (c *client) getIn(path, acceptLanguage string) response {
	return c.do("GET", path, "", map[string]string{"Accept-Language": acceptLanguage})
}

// colHeaders are the security table's column headers, written out rather than read
// from the catalogs so the test proves they are translated.
var colHeaders = map[string][]string{
	"en": {"Session", "Actions"},
	"de": {"Sitzung", "Aktionen"},
	"fr": {"Session", "Actions"},
	"es": {"Sesión", "Acciones"},
}

// currentBadges are the current row's badge, the product's "Current" in each language.
var currentBadges = map[string]string{"en": "Current", "de": "Aktuell", "fr": "Actuelle", "es": "Actual"}

var deviceLabels = map[string]string{
	"en": "Chrome on macOS", "de": "Chrome unter macOS", "fr": "Chrome sous macOS", "es": "Chrome en macOS",
}

func assertLocalized(t *testing.T, lang string, r response) {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("%s: status %d", lang, r.status)
	}
	if !strings.Contains(r.body, `<html lang="`+lang+`">`) {
		t.Errorf("%s: <html lang> does not match", lang)
	}
	for _, h := range colHeaders[lang] {
		if !strings.Contains(r.body, `<th scope="col">`+html.EscapeString(h)+`</th>`) {
			t.Errorf("%s: no column header %q", lang, h)
		}
	}
	if n := strings.Count(r.body, `<span class="badge">`+currentBadges[lang]+`</span>`); n != 1 {
		t.Errorf("%s: %d current badges %q, want 1", lang, n, currentBadges[lang])
	}
	if !strings.Contains(r.body, html.EscapeString(deviceLabels[lang])) {
		t.Errorf("%s: no device label %q", lang, deviceLabels[lang])
	}
}

func TestSecurityPageInEveryLanguage(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaChromeMac)
	c.signUp("lang@example.com")
	accept := map[string]string{"en": "en-GB,en;q=0.9", "de": "de-DE,de;q=0.9,en;q=0.5", "fr": "fr-CA", "es": "es-419,es;q=0.8"}
	for _, lang := range locale.Supported {
		t.Run("accept-language/"+lang, func(t *testing.T) {
			assertLocalized(t, lang, c.getIn("/app/settings/security", accept[lang]))
		})
		t.Run("cookie/"+lang, func(t *testing.T) {
			c.cookies["lang"] = lang
			defer delete(c.cookies, "lang")
			// The remembered choice wins over the browser's languages.
			assertLocalized(t, lang, c.getIn("/app/settings/security", "ja,ko;q=0.5"))
		})
	}
}

func TestGermanRelativeAndAbsoluteDates(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaChromeMac)
	c.signUp("dates@example.com")
	other := e.client(uaFirefoxWin)
	other.signIn("dates@example.com")
	body := c.getIn("/app/settings/security", "de").body
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`angemeldet <time datetime="[^"]+">\d\d\.\d\d\., \d\d:\d\d UTC</time> · gerade aktiv<`),
	} {
		if !want.MatchString(body) {
			t.Errorf("German page has no match for %s", want)
		}
	}
	// The full date and the expiry are in the revoke question ("Angemeldet": when).
	question := c.getIn("/app/settings/security/sessions/"+other.currentID()+"/revoke", "de").body
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`<time datetime="[^"]+">\d\d\.\d\d\.\d{4}, \d\d:\d\d UTC</time>`),
		regexp.MustCompile(`<dt>Läuft ab</dt><dd><time datetime="[^"]+">in \d+ (Tagen|Stunden)</time>`),
		regexp.MustCompile(`<dt>Zuletzt aktiv</dt><dd>gerade eben</dd>`),
	} {
		if !want.MatchString(question) {
			t.Errorf("German revoke question has no match for %s", want)
		}
	}
}

// englishPhrases lists the words of every English message that German words differently:
// each literal run between placeholders ("Revoke {{.Device}}?" gives "Revoke"), without
// runs too short to be telling ("in", "on").
func englishPhrases(t *testing.T) []string {
	t.Helper()
	en, err := locale.MessageIDs("en")
	if err != nil {
		t.Fatal(err)
	}
	de, err := locale.MessageIDs("de")
	if err != nil {
		t.Fatal(err)
	}
	split := regexp.MustCompile(`\{\{[^}]*\}\}`)
	seen := map[string]bool{}
	var out []string
	for id, raw := range en {
		if raw == de[id] {
			continue // the same in both ("Name", "Details", "Bot")
		}
		for _, text := range messageTexts(t, raw) {
			for _, part := range split.Split(text, -1) {
				part = strings.Trim(part, " .,:;?!()")
				if len(part) < 4 || seen[part] || strings.Contains(de[id], part) {
					continue
				}
				seen[part] = true
				out = append(out, part)
			}
		}
	}
	return out
}

func messageTexts(t *testing.T, raw string) []string {
	var s string
	if json.Unmarshal([]byte(raw), &s) == nil {
		return []string{s}
	}
	var forms map[string]string
	if err := json.Unmarshal([]byte(raw), &forms); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range forms {
		out = append(out, f)
	}
	return out
}

var (
	dropBlocks = regexp.MustCompile(`(?s)<(script|style|code)\b[^>]*>.*?</(script|style|code)>`)
	peopleAttr = regexp.MustCompile(`\s(?:aria-label|title|alt|placeholder|data-label|data-network|data-server)="([^"]*)"`)
	anyTag     = regexp.MustCompile(`(?s)<[^>]*>`)
)

// readable is what a person can read or hear on a page: text and the attributes shown
// or spoken. The user agent in <code> is the client's own text, not ours.
func readable(page string) string {
	page = dropBlocks.ReplaceAllString(page, " ")
	var b strings.Builder
	for _, m := range peopleAttr.FindAllStringSubmatch(page, -1) {
		b.WriteString(m[1] + "\n")
	}
	b.WriteString(anyTag.ReplaceAllString(page, "\n"))
	return html.UnescapeString(b.String())
}

func TestNoEnglishOnGermanPages(t *testing.T) {
	e := newEnv(t)
	a := e.client(uaChromeMac)
	a.signUp("de@example.com")
	b := e.client(uaFirefoxWin)
	b.signIn("de@example.com")
	d := e.client(uaTauriLinux)
	d.signIn("de@example.com")

	security := a.getIn("/app/settings/security", "de")
	rows := regexp.MustCompile(`(?s)<tr id="session-([^"]+)"(?: class="flagged")?>(.*?)</tr>`).FindAllStringSubmatch(security.body, -1)
	if len(rows) != 2 {
		t.Fatalf("want 2 other sessions, got %d", len(rows))
	}
	bID, dID := rows[0][1], rows[1][1]
	if strings.Contains(rows[1][2], "Firefox unter Windows") {
		bID, dID = dID, bID
	}
	revoked := a.do("DELETE", "/app/settings/security/sessions/"+bID, "",
		map[string]string{"HX-Request": "true", "X-CSRF-Token": a.csrf(), "Accept-Language": "de"})
	if revoked.status != 200 {
		t.Fatalf("revoke: %d", revoked.status)
	}
	signIn := b.getIn("/login?ended=revoked", "de")
	if !strings.Contains(signIn.body, "von einem anderen Gerät aus beendet") {
		t.Fatal("sign-in page has no German revoked notice")
	}
	pages := map[string]string{
		"security page":  security.body,
		"revoke answer":  revoked.body,
		"sign-in page":   signIn.body,
		"sign-up page":   e.client(uaChromeMac).getIn("/signup", "de").body,
		"confirm page":   a.getIn("/app/settings/security/sessions/"+dID+"/revoke", "de").body,
		"not found page": a.getIn("/no/such/page", "de").body,
	}
	phrases := englishPhrases(t)
	if len(phrases) < 50 {
		t.Fatalf("only %d English phrases to look for", len(phrases))
	}
	for name, page := range pages {
		text := readable(page)
		for _, p := range phrases {
			if regexp.MustCompile(`\b` + regexp.QuoteMeta(p) + `\b`).MatchString(text) {
				t.Errorf("%s: English %q on the German page", name, p)
			}
		}
	}
}

func TestLanguageSwitcher(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaChromeMac)
	page := c.getIn("/login?ended=revoked", "en")
	for _, want := range []string{`action="/settings/language"`, `<select id="lang-select" name="lang">`,
		`<option value="de" lang="de">Deutsch</option>`, `<option value="en" lang="en" selected>English</option>`,
		`name="next" value="/login?ended=revoked"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("sign-in page has no %s", want)
		}
	}

	r := c.form("/settings/language", url.Values{"lang": {"de"}, "next": {"/login?ended=revoked"}})
	if r.status != 303 || r.header.Get("Location") != "/login?ended=revoked" {
		t.Fatalf("switch: %d to %q", r.status, r.header.Get("Location"))
	}
	ck := r.header.Get("Set-Cookie")
	for _, want := range []string{"lang=de", "max-age=31536000", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(strings.ToLower(ck), strings.ToLower(want)) {
			t.Errorf("cookie %q lacks %s", ck, want)
		}
	}
	// Remembered: the browser still asks for English, the page is German.
	page = c.getIn("/login?ended=revoked", "en")
	if !strings.Contains(page.body, `<html lang="de">`) || !strings.Contains(page.body, `<option value="de" lang="de" selected>`) ||
		!strings.Contains(page.body, "von einem anderen Gerät aus beendet") {
		t.Error("the choice was not remembered")
	}

	c.signUp("switch@example.com")
	r = c.form("/settings/language", url.Values{"lang": {"es"}, "next": {"/app/settings/security"}})
	if r.status != 303 || r.header.Get("Location") != "/app/settings/security" {
		t.Fatalf("switch while signed in: %d to %q", r.status, r.header.Get("Location"))
	}
	assertLocalized(t, "es", c.getIn("/app/settings/security", "de"))
}

func TestLanguageSwitcherRefusals(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaChromeMac)
	t.Run("no csrf token", func(t *testing.T) {
		r := c.do("POST", "/settings/language", "lang=de&next=%2F",
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		if r.status != 403 || strings.Contains(r.header.Get("Set-Cookie"), "lang=") {
			t.Errorf("status %d, cookie %q", r.status, r.header.Get("Set-Cookie"))
		}
	})
	t.Run("unsupported language", func(t *testing.T) {
		r := c.form("/settings/language", url.Values{"lang": {"xx"}, "next": {"/"}})
		if r.status != 400 || strings.Contains(r.header.Get("Set-Cookie"), "lang=") {
			t.Errorf("status %d, cookie %q", r.status, r.header.Get("Set-Cookie"))
		}
	})
}

func TestLanguageSwitcherRefusesOpenRedirects(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaChromeMac)
	tests := []struct{ next, want string }{
		{"https://evil.example/", "/"},
		{"//evil.example/x", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{" //evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		{"http:/evil.example", "/"},
		{"", "/"},
		{"/" + strings.Repeat("a", 3000), "/"},
		{"/app/settings/security?tab=1#top", "/app/settings/security?tab=1"},
		{"/signup", "/signup"},
	}
	for _, tt := range tests {
		r := c.form("/settings/language", url.Values{"lang": {"fr"}, "next": {tt.next}})
		if r.status != 303 || r.header.Get("Location") != tt.want {
			t.Errorf("next %q: %d to %q, want %q", tt.next, r.status, r.header.Get("Location"), tt.want)
		}
	}
}

func TestAPIMessagesAreLocalizedCodesAreNot(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaChromeMac)
	r := c.do("POST", "/api/auth/sign-up/email", `{"name":"Ana","email":"ana@example.com","password":"short"}`,
		map[string]string{"Content-Type": "application/json", "Accept-Language": "es-ES"})
	var body struct{ Error, Message string }
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r.status/100 != 4 || body.Error != "invalid_password" || !strings.HasPrefix(body.Message, "Usa al menos") {
		t.Errorf("%d %+v", r.status, body)
	}
}
