package device

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
	"unsafe"
)

// Building a parser allocates ~20 MB and keeps ~5 MB, so most tests share one.
var (
	sharedOnce   sync.Once
	sharedParser *Parser
	sharedErr    error
)

func testParser(tb testing.TB) *Parser {
	tb.Helper()
	sharedOnce.Do(func() { sharedParser, sharedErr = NewParser("DoCodeGo") })
	if sharedErr != nil {
		tb.Fatalf("NewParser: %v", sharedErr)
	}
	return sharedParser
}

// Platform UAs the desktop app builds on, with and without its token.
const (
	webView2UA  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0"
	wkWebViewUA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
	webKitGTKUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"
	appToken    = " DoCodeGo/1.4.0 Tauri/2.1.0"
)

func TestParse(t *testing.T) {
	p := testParser(t)
	tests := []struct {
		name, ua                string
		browser, os, typ, label string
	}{
		// Desktop browsers.
		{"chrome windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
			"Chrome", "Windows", "desktop", "Chrome on Windows"},
		{"chrome macos", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
			"Chrome", "macOS", "desktop", "Chrome on macOS"},
		{"chrome linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
			"Chrome", "Linux", "desktop", "Chrome on Linux"},
		{"chrome chromeos", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
			"Chrome", "ChromeOS", "desktop", "Chrome on ChromeOS"},
		{"firefox windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
			"Firefox", "Windows", "desktop", "Firefox on Windows"},
		{"firefox macos", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:125.0) Gecko/20100101 Firefox/125.0",
			"Firefox", "macOS", "desktop", "Firefox on macOS"},
		{"firefox linux", "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
			"Firefox", "Linux", "desktop", "Firefox on Linux"},
		// Distribution names are kept: people recognise them.
		{"firefox ubuntu", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
			"Firefox", "Ubuntu", "desktop", "Firefox on Ubuntu"},
		{"safari macos", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
			"Safari", "macOS", "desktop", "Safari on macOS"},
		{"edge windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
			"Edge", "Windows", "desktop", "Edge on Windows"},
		{"edge macos", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
			"Edge", "macOS", "desktop", "Edge on macOS"},
		{"opera windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 OPR/109.0.0.0",
			"Opera", "Windows", "desktop", "Opera on Windows"},
		{"vivaldi linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Vivaldi/6.7",
			"Vivaldi", "Linux", "desktop", "Vivaldi on Linux"},

		// Phones and tablets.
		{"safari iphone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
			"Safari", "iPhone", "mobile", "Safari on iPhone"},
		{"chrome iphone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
			"Chrome", "iPhone", "mobile", "Chrome on iPhone"},
		{"firefox iphone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15",
			"Firefox", "iPhone", "mobile", "Firefox on iPhone"},
		{"edge iphone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/124.0.2478.50 Mobile/15E148 Safari/605.1.15",
			"Edge", "iPhone", "mobile", "Edge on iPhone"},
		{"safari ipad", "Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
			"Safari", "iPad", "tablet", "Safari on iPad"},
		{"chrome ipad", "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
			"Chrome", "iPad", "tablet", "Chrome on iPad"},
		{"chrome android phone", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
			"Chrome", "Android", "mobile", "Chrome on Android"},
		// Android tablets leave out the "Mobile" token.
		{"chrome android tablet", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
			"Chrome", "Android", "tablet", "Chrome on Android"},
		{"firefox android", "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
			"Firefox", "Android", "mobile", "Firefox on Android"},
		{"samsung internet phone", "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
			"Samsung Internet", "Android", "mobile", "Samsung Internet on Android"},
		{"samsung internet tablet", "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Safari/537.36",
			"Samsung Internet", "Android", "tablet", "Samsung Internet on Android"},
		{"opera android", "Mozilla/5.0 (Linux; Android 10; VOG-L29) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.230 Mobile Safari/537.36 OPR/80.4.4244.77863",
			"Opera", "Android", "mobile", "Opera on Android"},
		{"edge android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.2478.64",
			"Edge", "Android", "mobile", "Edge on Android"},

		// Web views. WebView2 sends Edge's exact UA: it cannot be told apart,
		// so it is labelled Edge.
		{"windows webview2", webView2UA, "Edge", "Windows", "desktop", "Edge on Windows"},
		// uap-go says "Apple Mail" here; it is any app embedding WKWebView.
		{"macos wkwebview", wkWebViewUA, "Embedded browser", "macOS", "desktop", "Embedded browser on macOS"},
		{"ios wkwebview iphone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
			"Embedded browser", "iPhone", "mobile", "Embedded browser on iPhone"},
		{"ios wkwebview ipad", "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
			"Embedded browser", "iPad", "tablet", "Embedded browser on iPad"},
		{"android webview", "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ1A.230205.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36",
			"Embedded browser", "Android", "mobile", "Embedded browser on Android"},
		// WebKitGTK claims Safari, which does not exist on Linux; GNOME Web
		// and embedding apps send the same string, hence "Web browser".
		{"linux webkitgtk", webKitGTKUA, "Web browser", "Linux", "desktop", "Web browser on Linux"},

		// The desktop app: token present, on each platform.
		{"tauri linux token", webKitGTKUA + appToken, "DoCodeGo Desktop", "Linux", "app", "DoCodeGo Desktop on Linux"},
		{"tauri macos token", wkWebViewUA + appToken, "DoCodeGo Desktop", "macOS", "app", "DoCodeGo Desktop on macOS"},
		{"tauri windows token", webView2UA + appToken, "DoCodeGo Desktop", "Windows", "app", "DoCodeGo Desktop on Windows"},
		{"tauri token only", wkWebViewUA + " Tauri/2.1.0", "DoCodeGo Desktop", "macOS", "app", "DoCodeGo Desktop on macOS"},
		{"app token only", webView2UA + " DoCodeGo/1.4.0", "DoCodeGo Desktop", "Windows", "app", "DoCodeGo Desktop on Windows"},
		// Without the token the app is its platform's web view.
		{"tauri linux no token", webKitGTKUA, "Web browser", "Linux", "desktop", "Web browser on Linux"},
		{"tauri macos no token", wkWebViewUA, "Embedded browser", "macOS", "desktop", "Embedded browser on macOS"},
		{"tauri windows no token", webView2UA, "Edge", "Windows", "desktop", "Edge on Windows"},
		// A lookalike token must not count.
		{"not the app token", wkWebViewUA + " NotDoCodeGo/1.0", "Embedded browser", "macOS", "desktop", "Embedded browser on macOS"},

		// Bots and tools: the name alone, whatever platform they imitate.
		{"googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
			"Googlebot", "", "bot", "Googlebot"},
		{"googlebot smartphone", "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.118 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
			"Googlebot", "", "bot", "Googlebot"},
		{"bingbot", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
			"bingbot", "", "bot", "bingbot"},
		{"curl", "curl/8.5.0", "curl", "", "bot", "curl"},
		{"go http client", "Go-http-client/1.1", "Go-http-client", "", "bot", "Go-http-client"},
		{"python requests", "python-requests/2.31.0", "Python Requests", "", "bot", "Python Requests"},
		// uap-go copies the bot's self-chosen name; too long to show.
		{"bot with long name", "Mozilla/5.0 (compatible; VisitMyShopAtExampleDotComForCheapPillsbot/1.0)",
			"Bot", "", "bot", "Bot"},

		// Nothing usable.
		{"empty", "", "", "", "unknown", "Unknown device"},
		{"spaces", "   ", "", "", "unknown", "Unknown device"},
		{"garbage", "hello world", "", "", "unknown", "Unknown device"},
		{"bare mozilla", "Mozilla/5.0", "", "", "unknown", "Unknown device"},
		{"platform only", "Mozilla/5.0 (X11; Linux x86_64)", "", "Linux", "desktop", "Linux"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := Device{Browser: tt.browser, OS: tt.os, Type: tt.typ, Label: tt.label}
			if got := p.Parse(tt.ua); got != want {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.ua, got, want)
			}
		})
	}
}

func TestParseHostile(t *testing.T) {
	p := testParser(t)
	chrome := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
	tests := []struct {
		name, ua, label string
	}{
		{"invalid utf8", chrome + "\xff\xfe\xfd", "Chrome on Windows"},
		{"only invalid utf8", "\xff\xfe\xfd\xc3", "Unknown device"},
		{"control chars", "curl/8.5.0\x00\r\n\x1b[31m", "curl"},
		// Only the first maxUA bytes are read, so a huge header costs no more.
		{"huge after real ua", chrome + strings.Repeat("A", 1<<20), "Chrome on Windows"},
		{"huge garbage", strings.Repeat("\xe2\x82", 1<<18), "Unknown device"},
		{"token past the cap", strings.Repeat(" ", maxUA) + appToken, "Unknown device"},
		{"injected markup", "<script>alert(1)</script>bot/1.0", "Bot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Parse(tt.ua)
			if got.Label != tt.label {
				t.Errorf("Label = %q, want %q (device %+v)", got.Label, tt.label, got)
			}
			if !utf8.ValidString(got.Label) {
				t.Errorf("Label %q is not valid UTF-8", got.Label)
			}
		})
	}
}

func TestNewParserAppName(t *testing.T) {
	for _, name := range []string{"", " lead", "Do$1Go", "a/b", "x\x00", strings.Repeat("a", 33), "caf\xe9", "DoCodeGo "} {
		if _, err := NewParser(name); err == nil {
			t.Errorf("NewParser(%q) succeeded, want an error", name)
		}
	}
}

func TestCompose(t *testing.T) {
	tests := []struct{ browser, os, want string }{
		{"Chrome", "macOS", "Chrome on macOS"},
		{"Googlebot", "", "Googlebot"},
		{"", "Linux", "Linux"},
		{"", "", "Unknown device"},
	}
	for _, tt := range tests {
		if got := Compose(tt.browser, tt.os); got != tt.want {
			t.Errorf("Compose(%q, %q) = %q, want %q", tt.browser, tt.os, got, tt.want)
		}
	}
}

// TestParseConcurrent is meant for -race: handlers share one Parser.
func TestParseConcurrent(t *testing.T) {
	p := testParser(t)
	uas := []string{webView2UA, wkWebViewUA, webKitGTKUA + appToken, "curl/8.5.0", ""}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				ua := uas[(g+i)%len(uas)]
				if d := p.Parse(ua); d.Label == "" {
					t.Errorf("Parse(%q): empty label", ua)
				}
			}
		})
	}
	wg.Wait()
}

// TestParseKeepsNoReference: Fiber's c.Get returns a string over a buffer the next
// request overwrites, and uap-go keeps the string it is given as a cache key.
func TestParseKeepsNoReference(t *testing.T) {
	p, err := NewParser("DoCodeGo") // a cache of its own, so the test sees its growth
	if err != nil {
		t.Fatal(err)
	}
	const first = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
	firefox := "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0 "
	second := firefox + strings.Repeat("x", len(first)-len(firefox))
	buf := []byte(first)
	if d := p.Parse(unsafe.String(&buf[0], len(buf))); d.Label != "Chrome on Windows" {
		t.Fatalf("first: %+v", d)
	}
	copy(buf, second) // the next request reuses the buffer
	// New keys make uap-go's cache maps grow, which files every key again by its bytes.
	for i := range 300 {
		p.Parse("curl/" + strconv.Itoa(i))
	}
	if d := p.Parse(second); d.Label != "Firefox on Linux" {
		t.Errorf("Parse(%q) = %+v: a cache key changed under uap-go", second, d)
	}
}

func BenchmarkParse(b *testing.B) {
	p := testParser(b)
	const ua = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
	b.Run("hit", func(b *testing.B) {
		p.Parse(ua)
		for b.Loop() {
			p.Parse(ua)
		}
	})
	b.Run("miss", func(b *testing.B) {
		// A new build number each time defeats uap-go's cache.
		for i := 0; b.Loop(); i++ {
			p.Parse(ua + " Build/" + strconv.Itoa(i))
		}
	})
}
