package firstrun_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

const (
	securityPath = "/app/settings/security"
	password     = "correct horse battery staple"
)

// browser is a browser without JavaScript: its own cookies and user agent, following
// redirects, sending forms as they are in the page.
type browser struct {
	t      *testing.T
	base   string
	ua     string
	client *http.Client
}

func newBrowser(t *testing.T, base, ua string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: base, ua: ua, client: &http.Client{Jar: jar}}
}

// page is a fetched page: where it ended after redirects and its parsed document.
type page struct {
	url  *url.URL
	body string
	doc  *html.Node
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// submit sends the form whose action starts with action, with its hidden fields and the
// values given, as the browser would on a click of its button.
func (b *browser) submit(p page, action string, values map[string]string) page {
	b.t.Helper()
	f, ok := findForm(p.doc, action)
	if !ok {
		b.t.Fatalf("%s: no form with action %s in:\n%s", p.url, action, p.body)
	}
	for k, v := range values {
		f.values.Set(k, v)
	}
	target := p.url.ResolveReference(&url.URL{Path: f.action})
	var req *http.Request
	var err error
	if f.method == http.MethodPost {
		req, err = http.NewRequest(http.MethodPost, target.String(), strings.NewReader(f.values.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", b.base)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
		}
	} else {
		target.RawQuery = f.values.Encode()
		req, err = http.NewRequest(http.MethodGet, target.String(), nil)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	req.Header.Set("User-Agent", b.ua)
	req.Header.Set("Accept", "text/html")
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("%s %s: %s\n%s", req.Method, resp.Request.URL, resp.Status, body)
	}
	doc, err := html.Parse(strings.NewReader(string(body)))
	if err != nil {
		b.t.Fatal(err)
	}
	return page{url: resp.Request.URL, body: string(body), doc: doc}
}

// signUp creates the account with the sign-up form; it lands on the security page.
func (b *browser) signUp(email string) page {
	b.t.Helper()
	p := b.submit(b.get("/signup"), "/signup", map[string]string{"name": "First Run", "email": email, "password": password})
	b.mustBeOn(p, securityPath)
	return p
}

// signIn uses the sign-in form; it lands on the security page.
func (b *browser) signIn(email string) page {
	b.t.Helper()
	p := b.submit(b.get("/login"), "/login", map[string]string{"email": email, "password": password})
	b.mustBeOn(p, securityPath)
	return p
}

func (b *browser) mustBeOn(p page, path string) {
	b.t.Helper()
	if p.url.Path != path {
		b.t.Fatalf("on %s, want %s:\n%s", p.url, path, p.body)
	}
}

// form is one <form> of a page: where it goes, how, and the values of its hidden fields.
type form struct {
	action, method string
	values         url.Values
}

// findForm finds the first form whose action starts with prefix.
func findForm(doc *html.Node, prefix string) (form, bool) {
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.Data != "form" || !strings.HasPrefix(attr(n, "action"), prefix) {
			continue
		}
		f := form{action: attr(n, "action"), method: strings.ToUpper(attr(n, "method")), values: url.Values{}}
		if f.method == "" {
			f.method = http.MethodGet
		}
		for in := range n.Descendants() {
			if in.Type == html.ElementNode && in.Data == "input" && attr(in, "type") == "hidden" {
				f.values.Set(attr(in, "name"), attr(in, "value"))
			}
		}
		return f, true
	}
	return form{}, false
}

// forms lists the actions of every form whose action starts with prefix.
func forms(doc *html.Node, prefix string) []string {
	var actions []string
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "form" && strings.HasPrefix(attr(n, "action"), prefix) {
			actions = append(actions, attr(n, "action"))
		}
	}
	return actions
}

// hasPassword reports whether the page asks for the password again.
func hasPassword(doc *html.Node) bool {
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "input" && attr(n, "type") == "password" {
			return true
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
