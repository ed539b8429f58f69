package device

import "strings"

const (
	embeddedBrowser = "Embedded browser"

	// webBrowser labels WebKitGTK. Apple never shipped Safari for Linux, so a
	// "Safari" token there is WebKitGTK's compatibility claim, shared by GNOME
	// Web, Tauri and any other app embedding the engine. "Safari" would be
	// false and "Embedded browser" a guess, so we say only what we know.
	webBrowser = "Web browser"

	// maxName caps names copied from the header (bots, rare browsers): enough
	// for "facebookexternalhit", too short for a sentence.
	maxName = 24
)

// browserNames maps uap-go families to the name people know the product by.
// Families not listed here pass through safeName.
var browserNames = map[string]string{
	"Chrome":            "Chrome",
	"Chrome Mobile":     "Chrome",
	"Chrome Mobile iOS": "Chrome",
	"Chromium":          "Chromium",
	"Safari":            "Safari",
	"Mobile Safari":     "Safari",
	"Firefox":           "Firefox",
	"Firefox Mobile":    "Firefox",
	"Firefox iOS":       "Firefox",
	"Firefox Focus":     "Firefox Focus",
	"Edge":              "Edge",
	"Edge Mobile":       "Edge",
	"Opera":             "Opera",
	"Opera Mobile":      "Opera",
	"Opera Touch":       "Opera",
	"Samsung Internet":  "Samsung Internet",
	"DuckDuckGo Mobile": "DuckDuckGo",
	"Brave":             "Brave",
	"Vivaldi":           "Vivaldi",
	"Yandex Browser":    "Yandex Browser",
	"UC Browser":        "UC Browser",
	"Other":             "",

	// uap-go calls a macOS WKWebView without a Safari token "Apple Mail", but
	// Mail does not sign in to websites: it is an app embedding WebKit, such
	// as our desktop app before it adds its token.
	"Apple Mail":                 embeddedBrowser,
	"Mobile Safari UI/WKWebView": embeddedBrowser,
	"Chrome Mobile WebView":      embeddedBrowser,
}

// toolFamilies are HTTP libraries and command-line clients: not people at a
// browser, so they count as bots even though uap-go has no Spider rule for them.
var toolFamilies = map[string]bool{
	"curl":              true,
	"Wget":              true,
	"Go-http-client":    true,
	"Python Requests":   true,
	"Python-urllib":     true,
	"PostmanRuntime":    true,
	"okhttp":            true,
	"Apache-HttpClient": true,
	"HeadlessChrome":    true,
}

// mobileOSes are phone platforms other than iOS and Android, which
// deviceType handles itself because they also come as tablets.
var mobileOSes = map[string]bool{
	"iPhone":        true,
	"iPod":          true,
	"Windows Phone": true,
	"BlackBerry OS": true,
	"KaiOS":         true,
	"Symbian OS":    true,
	"Firefox OS":    true,
	"Tizen":         true,
	"HarmonyOS":     true,
}

// browserName turns a uap-go family into a friendly browser name, given the
// friendly OS it runs on.
func browserName(family, os string) string {
	name, ok := browserNames[family]
	if !ok {
		return safeName(family)
	}
	if name == "Safari" && os != "macOS" && os != "iPhone" && os != "iPad" && os != "iPod" {
		return webBrowser
	}
	return name
}

// osName turns a uap-go OS family into a friendly name; hwFamily and ua
// tell an iPad from an iPhone, which share the family "iOS".
func osName(family, hwFamily, ua string) string {
	switch {
	case family == "Mac OS X" || family == "macOS":
		return "macOS"
	case family == "iOS":
		switch {
		case strings.HasPrefix(hwFamily, "iPad") || strings.Contains(ua, "iPad"):
			return "iPad"
		case strings.HasPrefix(hwFamily, "iPod") || strings.Contains(ua, "iPod"):
			return "iPod"
		}
		return "iPhone"
	case family == "Chrome OS":
		return "ChromeOS"
	case strings.HasPrefix(family, "Windows Phone"):
		return "Windows Phone"
	case strings.HasPrefix(family, "Windows"):
		// Older uap-go data says "Windows 10"; versions are noise on this page.
		return "Windows"
	case family == "Other":
		return ""
	}
	// Android, Linux and distribution names ("Ubuntu", "Fedora") are already
	// what people call them.
	return safeName(family)
}

// botName is the crawler or tool name uap-go found, or "Bot" when that name
// is not fit to show.
func botName(family string) string {
	// uap-go's catch-all rule reports a bare "bot" when it finds nothing better.
	name := safeName(family)
	if name == "" || name == "Other" || strings.EqualFold(name, "bot") {
		return "Bot"
	}
	return name
}

// safeName passes a name copied from the header only if it is short and
// plain: letters, digits, spaces, "-" and "_". Dots, slashes and "@" are
// refused so a client cannot put a web address or e-mail on the page.
func safeName(s string) string {
	if s == "" || len(s) > maxName {
		return ""
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == ' ' || r == '-' || r == '_'
		if !ok {
			return ""
		}
	}
	return s
}
