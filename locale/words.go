package locale

import (
	"strings"

	"golang.org/x/text/feature/plural"
)

// Words are one language's messages of one piece (no placeholder, no plural forms), for
// templates, keyed by the message id with each '.' as '_': {{.L.W.sessions_heading}} is
// "sessions.heading". text/template reaches a map's value in a little over half the time
// it takes to call the variadic T by reflection, and the security page shows ~40 such words
// (BENCHMARKS.md, issue 28, has the times). A message with a placeholder or plural forms
// stays T's or N's.
type Words map[string]string

// wordKey is message id's key in Words.
func wordKey(id string) string { return strings.ReplaceAll(id, ".", "_") }

func wordsOf(msgs map[string]compiledMessage) Words {
	w := make(Words, len(msgs))
	for id, m := range msgs {
		if len(m) != 1 {
			continue // plural forms
		}
		if text, ok := onePiece(m[plural.Other]); ok {
			w[wordKey(id)] = text
		}
	}
	return w
}
