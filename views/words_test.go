package views

import (
	"regexp"
	"testing"

	"github.com/docodego/sessions/locale"
)

// TestEveryWordIsInEveryLanguage: each {{.L.W.key}} of a template names a one-piece
// message of every catalog. A key that is missing renders as nothing, with no error, so
// only this test would notice.
func TestEveryWordIsInEveryLanguage(t *testing.T) {
	catalog, err := locale.New()
	if err != nil {
		t.Fatal(err)
	}
	word := regexp.MustCompile(`\.W\.(\w+)`)
	used := 0
	eachTemplate(t, func(path string, src []byte) {
		for _, m := range word.FindAllStringSubmatch(string(src), -1) {
			used++
			for _, lang := range locale.Supported {
				if _, ok := catalog.Lang(lang).W[m[1]]; !ok {
					t.Errorf("%s: %s is not a one-piece message of %s", path, m[1], lang)
				}
			}
		}
	})
	if used < 100 {
		t.Fatalf("found %d words in the templates, want the page's 100 and more", used)
	}
}
