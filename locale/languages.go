package locale

// names are the languages' own names (autonyms): a reader looking for their language
// finds it written the way they write it, whatever language the page is in.
var names = map[string]string{
	"en": "English",
	"de": "Deutsch",
	"fr": "Français",
	"es": "Español",
}

// Choice is one entry of the language switcher.
type Choice struct {
	Code     string // "de", also the option's lang attribute
	Name     string // "Deutsch"
	Selected bool   // the language this page is in
}

// Choices lists every supported language for the switcher, this one selected.
func (l *Localizer) Choices() []Choice {
	out := make([]Choice, 0, len(Supported))
	for _, code := range Supported {
		out = append(out, Choice{Code: code, Name: names[code], Selected: code == l.lang})
	}
	return out
}

// Supports reports whether code is a language we ship, for validating a user's choice.
func Supports(code string) bool {
	_, ok := names[code]
	return ok
}
