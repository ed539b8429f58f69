package locale

import (
	"fmt"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Localizer renders messages, dates and device labels in one language.
type Localizer struct {
	W    Words // first: text/template finds a field by a scan of the struct's fields
	lang string
	tag  language.Tag
	loc  *i18n.Localizer
	msgs map[string]compiledMessage // this language's catalog, compiled (compiled.go)
	// regions names countries (place.go): CLDR data, not a table of ours.
	regions display.Namer
}

func newLocalizer(b *i18n.Bundle, tag language.Tag, msgs map[string]compiledMessage) *Localizer {
	base, _ := tag.Base()
	return &Localizer{W: wordsOf(msgs), lang: base.String(), tag: tag, loc: i18n.NewLocalizer(b, tag.String()), msgs: msgs,
		regions: display.Regions(tag)}
}

// Lang is the language code, for <html lang>.
func (l *Localizer) Lang() string { return l.lang }

// T renders a message; args are name/value pairs for its placeholders.
func (l *Localizer) T(id string, args ...any) string {
	return l.render(id, nil, args)
}

// N renders a message whose wording depends on count (plural rules of the language).
func (l *Localizer) N(id string, count int, args ...any) string {
	return l.render(id, count, append(args, "Count", count))
}

func (l *Localizer) render(id string, count any, args []any) string {
	if m, ok := l.msgs[id]; ok {
		if s, ok := m.render(l.tag, count, args); ok {
			return s
		}
	}
	return l.localize(id, count, args)
}

// localize renders through go-i18n: what the compiled catalog leaves to it, and what
// TestCompiledMessagesMatchGoI18n compares the compiled catalog against.
func (l *Localizer) localize(id string, count any, args []any) string {
	data := make(map[string]any, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		data[fmt.Sprint(args[i])] = args[i+1]
	}
	msg, err := l.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil {
		// A missing message shows its id rather than breaking the page; tests catch it.
		return id
	}
	return msg
}

// appleHandhelds are the "OS" names package device gives Apple's phones and tablets.
var appleHandhelds = map[string]bool{"iPhone": true, "iPad": true, "iPod": true}

// genericBrowsers are the words package device uses when it knows only what kind of
// client it saw, not its product name; they are translated, product names are not.
var genericBrowsers = map[string]string{
	"Embedded browser": "device.embedded_browser",
	"Web browser":      "device.web_browser",
	"Bot":              "device.bot",
}

// Device renders a device label from its browser and OS names ("Chrome on macOS",
// "Chrome unter macOS"). Product and system names stay as they are; the generic names
// package device produces ("Embedded browser", "Bot") are translated.
func (l *Localizer) Device(browser, os string) string {
	if id, ok := genericBrowsers[browser]; ok {
		browser = l.T(id)
	}
	switch {
	case browser == "" && os == "":
		return l.T("device.unknown")
	case os == "":
		return browser
	case browser == "":
		return l.T("device.on_os_only", "OS", os)
	case appleHandhelds[os]:
		// A device, not a system: German says "Safari auf dem iPhone", not "unter".
		return l.T("device.browser_on_apple", "Browser", browser, "OS", os)
	default:
		return l.T("device.browser_on_os", "Browser", browser, "OS", os)
	}
}

// Ago renders how long before now t was: "just now", "3 minutes ago", "vor 2 Tagen".
func (l *Localizer) Ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return l.T("time.just_now")
	case d < time.Hour:
		return l.N("time.minutes_ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return l.N("time.hours_ago", int(d/time.Hour))
	default:
		return l.N("time.days_ago", int(d/(24*time.Hour)))
	}
}

// In renders how long after now t is: "in 7 days".
func (l *Localizer) In(t, now time.Time) string {
	// Rounded to the nearest unit: a 7-day session seconds old reads "in 7 days", not 6.
	d := t.Sub(now)
	round := func(unit time.Duration) int { return int((d + unit/2) / unit) }
	switch {
	case d < time.Hour-30*time.Second:
		return l.N("time.in_minutes", max(round(time.Minute), 1))
	case d < 24*time.Hour-30*time.Minute:
		return l.N("time.in_hours", round(time.Hour))
	default:
		return l.N("time.in_days", round(24*time.Hour))
	}
}

// DateTime renders an absolute time in the language's usual numeric form, in UTC.
func (l *Localizer) DateTime(t time.Time) string {
	return t.UTC().Format(l.T("format.datetime"))
}
