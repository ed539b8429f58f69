// Package device turns a User-Agent header into a short English label, such as
// "Chrome on macOS", for the page that lists where a user is signed in.
package device

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/ua-parser/uap-go/uaparser"
	"gopkg.in/yaml.v3"
)

// Device is what a user agent says about the browser and machine behind a session.
type Device struct {
	Browser string // "Chrome", "Safari", "Firefox", "Edge", "DoCodeGo Desktop", "Embedded browser", "" if unknown
	OS      string // "macOS", "Windows", "Linux", "iPhone", "iPad", "Android", "ChromeOS", "" if unknown
	Type    string // "desktop", "mobile", "tablet", "bot", "app" (DoCodeGo desktop app), "unknown"
	Label   string // English label: "Chrome on macOS", "Safari on iPhone", "DoCodeGo Desktop on Linux", "Unknown device"
}

const (
	typeDesktop = "desktop"
	typeMobile  = "mobile"
	typeTablet  = "tablet"
	typeBot     = "bot"
	typeApp     = "app"
	typeUnknown = "unknown"

	unknownLabel = "Unknown device"

	// maxUA bounds the regex work per header: uap-go runs hundreds of
	// patterns over the whole string, and every real UA fits well within it.
	maxUA = 512

	// maxEcho is the longest user agent a label may repeat verbatim; longer
	// ones would let a client write its own text onto someone's sessions page.
	maxEcho = 40

	// cacheSize is uap-go's default, set explicitly because 0 panics inside
	// uap-go. Keys are at most maxUA bytes, so the three caches stay ~2 MB.
	cacheSize = 1024
)

// appNamePattern keeps the app name safe to put in a label and in a regex
// replacement, where "$" would be expanded.
var appNamePattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9 ._-]{0,30}[A-Za-z0-9])?$`)

// deviceBrands picks the uap-go device rules that Parse needs, by the brand
// they report. Parse reads two things from the device lookup: "Spider" and an
// iPad or iPod. The last Spider rule is a catch-all for words such as "bot",
// "Silk" or "Yahoo", which real phones, tablets and TVs carry too; in uap-go's
// order their rules come first and win. The Generic rules (any Android,
// Windows Phone, Symbian...), Apple's (an iPad matches no Generic rule) and
// Amazon's (the Silk browser) keep that for them. The other ~600 rules name
// models we never show, and their regexes held 7 of the parser's 12 MB.
var deviceBrands = map[string]bool{"Spider": true, "Generic": true, "Apple": true, "Amazon": true}

// Parser labels user agents. It is safe for concurrent use; build one and share it.
type Parser struct {
	uap       *uaparser.Parser
	appFamily string // appName + " Desktop", the family our custom rule reports
}

// NewParser builds the uap-go parser (it allocates ~20 MB and keeps ~5 MB, so
// once per process) with a rule for the appName desktop app placed ahead of
// the stock ones.
func NewParser(appName string) (*Parser, error) {
	return newParser(appName, deviceBrands)
}

// newParser is NewParser keeping only the device rules of brands, or all of
// them if brands is nil (the tests compare the two).
func newParser(appName string, brands map[string]bool) (*Parser, error) {
	if !appNamePattern.MatchString(appName) {
		return nil, fmt.Errorf("device: invalid app name %q", appName)
	}
	appFamily := appName + " Desktop"
	custom, err := appRules(appName, appFamily)
	if err != nil {
		return nil, err
	}
	var def uaparser.RegexDefinitions
	if err := yaml.Unmarshal(uaparser.DefinitionYaml, &def); err != nil {
		return nil, fmt.Errorf("device: load uap-go regexes: %w", err)
	}
	def.UA = append(custom.UA, def.UA...)
	if brands != nil {
		keepDeviceRules(&def, brands)
	}
	uap, err := uaparser.New(
		uaparser.WithRegexDefinitions(def),
		uaparser.WithCacheSize(cacheSize),
	)
	if err != nil {
		return nil, fmt.Errorf("device: build uap-go parser: %w", err)
	}
	return &Parser{uap: uap, appFamily: appFamily}, nil
}

// keepDeviceRules drops the device rules whose brand is not in brands,
// keeping the order of the others: uap-go takes the first rule that matches.
func keepDeviceRules(def *uaparser.RegexDefinitions, brands map[string]bool) {
	kept := def.Device[:0:0] // a new array, so the dropped rules can be freed
	for _, r := range def.Device {
		if brands[r.BrandReplacement] {
			kept = append(kept, r)
		}
	}
	def.Device = kept
}

// appRules builds the rule that spots our desktop app. The app appends
// "<AppName>/<version> Tauri/<version>" to its platform UA; either token is
// enough. The YAML is marshalled rather than written by hand so that no app
// name can break its quoting.
func appRules(appName, appFamily string) (uaparser.RegexDefinitions, error) {
	token := regexp.QuoteMeta(strings.ReplaceAll(appName, " ", ""))
	rules := map[string][]map[string]string{
		"user_agent_parsers": {{
			"regex":              `(?:^|[\s;(])(?:` + token + `|Tauri)/(\d+)(?:\.(\d+)(?:\.(\d+)|)|)`,
			"family_replacement": appFamily,
			"v1_replacement":     "$1",
			"v2_replacement":     "$2",
			"v3_replacement":     "$3",
		}},
	}
	var def uaparser.RegexDefinitions
	raw, err := yaml.Marshal(rules)
	if err == nil {
		err = yaml.Unmarshal(raw, &def)
	}
	if err == nil && len(def.UA) != 1 {
		err = errors.New("rule did not load")
	}
	if err != nil {
		return def, fmt.Errorf("device: app rule: %w", err)
	}
	return def, nil
}

// Parse describes the client behind ua. It never panics and always returns a
// non-empty, valid UTF-8 Label, whatever the header holds.
func (p *Parser) Parse(ua string) Device {
	// uap-go stores its argument as a cache key, even on a hit. A header from
	// Fiber aliases a buffer the next request overwrites, and a cut one would
	// pin the whole header, so uap-go gets a copy of its own.
	clean := strings.Clone(cleanUA(ua))
	if clean == "" {
		return Device{Type: typeUnknown, Label: unknownLabel}
	}
	// The three lookups are called directly: uaparser.Parse would start three
	// goroutines per call for work that takes microseconds on a cache hit.
	agent := p.uap.ParseUserAgent(clean)
	osInfo := p.uap.ParseOs(clean)
	hw := p.uap.ParseDevice(clean)

	d := Device{OS: osName(osInfo.Family, hw.Family, clean)}
	switch {
	case agent.Family == p.appFamily:
		d.Browser, d.Type = p.appFamily, typeApp
	case hw.Family == "Spider" || toolFamilies[agent.Family]:
		// A crawler's platform is whatever it imitates (Googlebot claims a
		// Nexus 5X), so only its name is worth showing.
		d.Browser, d.OS, d.Type = botName(agent.Family), "", typeBot
	default:
		d.Browser = browserName(agent.Family, d.OS)
		d.Type = deviceType(d.OS, clean)
	}
	if d.Browser == "" && d.OS == "" {
		d.Type = typeUnknown
	}
	d.Label = Compose(d.Browser, d.OS)
	if len(ua) > maxEcho && strings.Contains(d.Label, ua) {
		// The names are filtered already; this is the last word on never
		// echoing a whole client-chosen string.
		d = Device{Type: typeUnknown, Label: unknownLabel}
	}
	return d
}

// Compose is the English label rule used by Parse: "Browser on OS", just the
// one that is known if the other is empty, and "Unknown device" if neither is.
func Compose(browser, os string) string {
	switch {
	case browser == "" && os == "":
		return unknownLabel
	case os == "":
		return browser
	case browser == "":
		return os
	}
	return browser + " on " + os
}

// cleanUA bounds and repairs a header before any regex sees it: headers are
// client-controlled, and uap-go echoes captured text into family names.
func cleanUA(ua string) string {
	if len(ua) > maxUA {
		ua = ua[:maxUA] // may split a rune; ToValidUTF8 drops the remainder
	}
	ua = strings.ToValidUTF8(ua, "")
	ua = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, ua)
	return strings.TrimSpace(ua)
}

// deviceType guesses the form factor from the friendly OS name.
func deviceType(os, ua string) string {
	switch {
	case os == "":
		return typeUnknown
	case os == "iPad":
		return typeTablet
	case os == "Android":
		// Android tablets leave "Mobile" out of the UA (Chrome, Samsung,
		// Firefox say "Tablet"); phones always include it.
		if strings.Contains(ua, "Mobile") {
			return typeMobile
		}
		return typeTablet
	case mobileOSes[os]:
		return typeMobile
	}
	return typeDesktop
}
