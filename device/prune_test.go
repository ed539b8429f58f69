package device

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/ua-parser/uap-go/uaparser"
)

// User agents of devices, consoles, TVs, e-readers and bots that exercise the device rules
// NewParser keeps (and the ones it drops), next to uap-go's own corpus.
var pruneCorpusExtra = []string{
	"Mozilla/5.0 (Linux; Android 11; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/118.3.1 like Chrome/118.0.5993.159 Safari/537.36",
	"Mozilla/5.0 (Linux; U; Android 4.0.3; en-us; KFTT Build/IML74K) AppleWebKit/535.19 (KHTML, like Gecko) Silk/3.4 Mobile Safari/535.19 Silk-Accelerated=true",
	"Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10_6_3; en-us; Silk/1.0.146.3-Gen4_12000410) AppleWebKit/533.16 (KHTML, like Gecko) Version/5.0 Safari/533.16 Silk-Accelerated=true",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Silk/118.3.1 like Chrome/118.0.5993.159 Safari/537.36",
	"Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 YJApp-IOS jp.co.yahoo.ipn.appli/4.62.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 YJApp-IOS jp.co.yahoo.ipn.appli/4.62.0",
	"Mozilla/5.0 (Linux; Android 12; CUBOT KINGKONG 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 DaumApps/6.4.3",
	"Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko)",
	"Mozilla/5.0 (PlayStation 4 11.00) AppleWebKit/605.1.15 (KHTML, like Gecko)",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edge/44.18363.8131",
	"Mozilla/5.0 (Nintendo Switch; WifiWebAuthApplet) AppleWebKit/609.4 (KHTML, like Gecko) NF/6.0.2.21.3 NintendoBrowser/5.1.0.22474",
	"Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) 76.0.3809.146/6.0 TV Safari/537.36",
	"Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/94.0.4606.128 Safari/537.36 WebAppManager",
	"Mozilla/5.0 (X11; Linux armv7l) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 CrKey/1.56.500000",
	"Mozilla/5.0 (Mobile; LYF/F300B/LYF-F300B-001-01-15-130718-i;Android; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5",
	"Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063",
	"Mozilla/5.0 (Linux; Tizen 2.3; SAMSUNG SM-Z130H) AppleWebKit/537.3 (KHTML, like Gecko) Version/2.3 Mobile Safari/537.3",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.130 Safari/537.36 Tesla/2023.44.30",
	"Mozilla/5.0 (Linux; Android 9; AFTMM Build/PS7233) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (Android 14; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0",
	"Mozilla/5.0 (iPod touch; CPU iPhone OS 15_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (BB10; Touch) AppleWebKit/537.35+ (KHTML, like Gecko) Version/10.3.3.2205 Mobile Safari/537.35+",
	"Mozilla/5.0 (Linux; U; en-US) AppleWebKit/528.5+ (KHTML, like Gecko, Safari/528.5+) Version/4.0 Kindle/3.0 (screen 600X800; rotate)",
	"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; ARM; Lumia 950 XL) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0 Mobile Safari/537.36 Edge/15.15063",
	"Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5.25 Version/10.54",
	"Mozilla/5.0 (Linux; Android 10; HarmonyOS; ELS-AN00; HMSCore 6.11.0.302) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 HuaweiBrowser/13.0.5.303 Mobile Safari/537.36",
}

// uapCorpus is a sample of the user agents uap-go ships in its module (file "uas"), or nil
// when the module's source is not in the module cache.
func uapCorpus(t *testing.T, every int) []string {
	t.Helper()
	dir := filepath.Dir(filepath.Dir(uaparserSourceFile()))
	data, err := os.ReadFile(filepath.Join(dir, "uas"))
	if err != nil {
		t.Logf("uap-go corpus not found (%v): comparing the extra agents only", err)
		return nil
	}
	var out []string
	for i, line := range strings.Split(string(data), "\n") {
		if line != "" && i%every == 0 {
			out = append(out, line)
		}
	}
	return out
}

// uaparserSourceFile is a source file of the uaparser package, from the binary's own
// line table (the module cache path, as tests are built without -trimpath).
func uaparserSourceFile() string {
	pc := reflect.ValueOf(uaparser.New).Pointer()
	file, _ := runtime.FuncForPC(pc).FileLine(pc)
	return file
}

// Keeping only the device rules Parse needs changes no answer for people's devices: the
// pruned parser and one with every stock device rule agree on uap-go's corpus and on agents
// that carry words a crawler rule matches ("bot", "Silk", "Yahoo"...) inside a real
// device's string. The one difference allowed is for the better: a self-declared robot
// that a phone model's rule used to claim is now labelled as the robot it says it is.
func TestPrunedDeviceRulesGiveTheSameAnswers(t *testing.T) {
	pruned, err := NewParser("DoCodeGo")
	if err != nil {
		t.Fatal(err)
	}
	full, err := newParser("DoCodeGo", nil)
	if err != nil {
		t.Fatal(err)
	}
	base := append(uapCorpus(t, 100), pruneCorpusExtra...)
	agents := append([]string(nil), base...)
	for i, ua := range base {
		if i%10 != 0 {
			continue
		}
		for _, word := range []string{"bot", "Silk/1.0", "Yahoo", "crawler", "spider"} {
			agents = append(agents, word+" "+ua, ua+" "+word)
			if j := strings.Index(ua, "("); j >= 0 {
				agents = append(agents, ua[:j+1]+word+"; "+ua[j+1:])
			}
		}
	}
	differ := 0
	for _, ua := range agents {
		a, b := full.Parse(ua), pruned.Parse(ua)
		if a != b && b.Type == typeBot && strings.Contains(strings.ToLower(ua), "robot") {
			continue
		}
		if a != b {
			differ++
			if differ <= 10 {
				t.Errorf("%q:\n all rules: %+v\n pruned:    %+v", ua, a, b)
			}
		}
	}
	t.Logf("%d agents compared, %d differ", len(agents), differ)
}

// TestParserRetainedHeap guards the pruning: a parser keeps ~5.2 MB, one with every
// stock device rule ~12.1 MB. The bound leaves room for uap-go's regexes to grow.
func TestParserRetainedHeap(t *testing.T) {
	before := liveHeap()
	p, err := NewParser("DoCodeGo")
	if err != nil {
		t.Fatal(err)
	}
	retained := int64(liveHeap()) - int64(before)
	runtime.KeepAlive(p)
	t.Logf("parser retains %.1f MB", float64(retained)/1e6)
	if retained > 8e6 {
		t.Errorf("parser retains %.1f MB, want under 8 MB", float64(retained)/1e6)
	}
}

// BenchmarkParserRetainedHeap reports what a parser keeps alive once built.
func BenchmarkParserRetainedHeap(b *testing.B) {
	for _, tc := range []struct {
		name   string
		brands map[string]bool
	}{{"pruned", deviceBrands}, {"all-device-rules", nil}} {
		b.Run(tc.name, func(b *testing.B) {
			var retained uint64
			for b.Loop() {
				before := liveHeap()
				p, err := newParser("DoCodeGo", tc.brands)
				if err != nil {
					b.Fatal(err)
				}
				retained = liveHeap() - before
				runtime.KeepAlive(p)
			}
			b.ReportMetric(float64(retained)/1e6, "MB-retained")
		})
	}
}

// liveHeap is the heap still in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
