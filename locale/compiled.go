package locale

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// compiledMessage is a catalog message split, once at start, into text and placeholders
// per plural form ("other" for a plain string). Rendering one is a few string copies;
// go-i18n executes a text/template and builds a map per call, ~10 such calls per row of
// the sessions table (~10% of a page view's CPU).
type compiledMessage map[plural.Form][]piece

// piece is literal text, or the placeholder arg ({{.Arg}}) when arg is set.
type piece struct{ text, arg string }

var simplePlaceholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

// formNames are the catalog's names of the plural forms.
var formNames = map[string]plural.Form{
	"zero": plural.Zero, "one": plural.One, "two": plural.Two, "few": plural.Few, "many": plural.Many, "other": plural.Other,
}

// compileCatalog compiles every message of a catalog whose forms use nothing but
// {{.Name}} placeholders; any other message is left to go-i18n.
func compileCatalog(data []byte) (map[string]compiledMessage, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	out := make(map[string]compiledMessage, len(raw))
	for id, msg := range raw {
		forms := map[string]string{}
		var plain string
		if json.Unmarshal(msg, &plain) == nil {
			forms["other"] = plain
		} else if json.Unmarshal(msg, &forms) != nil {
			continue
		}
		if m, ok := compileForms(forms); ok {
			out[id] = m
		}
	}
	return out, nil
}

func compileForms(forms map[string]string) (compiledMessage, bool) {
	m := compiledMessage{}
	for name, text := range forms {
		form, ok := formNames[name]
		if !ok {
			return nil, false
		}
		var pieces []piece
		at := 0
		for _, loc := range simplePlaceholder.FindAllStringSubmatchIndex(text, -1) {
			pieces = append(pieces, piece{text: text[at:loc[0]]}, piece{arg: text[loc[2]:loc[3]]})
			at = loc[1]
		}
		pieces = append(pieces, piece{text: text[at:]})
		for _, p := range pieces {
			if strings.Contains(p.text, "{{") || strings.Contains(p.text, "}}") {
				return nil, false // template syntax beyond a placeholder
			}
		}
		m[form] = pieces
	}
	return m, true
}

// render is the message with args (name/value pairs) in the form for count (nil: not a
// plural message); false when it is go-i18n's to render: a count outside [0, 1e6) (the
// CLDR rules of golang.org/x/text and go-i18n differ at a million in French and Spanish),
// an argument that is neither string nor int, or one the message names but args lack.
func (m compiledMessage) render(tag language.Tag, count any, args []any) (string, bool) {
	form := plural.Other
	if count != nil {
		n, ok := count.(int)
		if !ok || n < 0 || n >= 1_000_000 {
			return "", false
		}
		form = plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)
	}
	pieces, ok := m[form]
	if !ok {
		return "", false
	}
	if text, ok := onePiece(pieces); ok {
		return text, true // most of a page's words: no copy
	}
	// The values first, to size the result once: a row's label or "Revoke ..." grew its
	// builder two or three times.
	var room [8]string // on the stack: catalog messages have at most a few pieces
	values := room[:0]
	n := 0
	for _, p := range pieces {
		v := p.text
		if p.arg != "" {
			if v, ok = argValue(args, p.arg); !ok {
				return "", false
			}
		}
		values = append(values, v)
		n += len(v)
	}
	var b strings.Builder
	b.Grow(n)
	for _, v := range values {
		b.WriteString(v)
	}
	return b.String(), true
}

// onePiece is the text of a form with no placeholder.
func onePiece(pieces []piece) (string, bool) {
	if len(pieces) == 1 && pieces[0].arg == "" {
		return pieces[0].text, true
	}
	return "", false
}

// argValue is the value of name among name/value pairs, as text/template prints it.
func argValue(args []any, name string) (string, bool) {
	for i := 0; i+1 < len(args); i += 2 {
		if k, _ := args[i].(string); k != name {
			continue
		}
		switch v := args[i+1].(type) {
		case string:
			return v, true
		case int:
			return strconv.Itoa(v), true
		}
		return "", false
	}
	return "", false
}
