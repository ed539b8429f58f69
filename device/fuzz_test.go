package device

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, ua := range []string{
		"",
		"curl/8.5.0",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
		"Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ1A.230205.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36",
		webKitGTKUA + appToken,
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Mozilla/5.0 (compatible; Some Long Name Chosen By A Client bot/1.0) on Linux",
		"\xff\xfe\x00\x1b",
	} {
		f.Add(ua)
	}
	p := testParser(f)
	f.Fuzz(func(t *testing.T, ua string) {
		d := p.Parse(ua)
		if d.Label == "" || !utf8.ValidString(d.Label) {
			t.Fatalf("Parse(%q): label %q is empty or not valid UTF-8", ua, d.Label)
		}
		for _, s := range []string{d.Browser, d.OS, d.Type} {
			if !utf8.ValidString(s) {
				t.Fatalf("Parse(%q): field %q is not valid UTF-8", ua, s)
			}
		}
		if len(ua) > maxEcho && strings.Contains(d.Label, ua) {
			t.Fatalf("Parse(%q): label %q repeats the whole user agent", ua, d.Label)
		}
	})
}
