package auth

import "testing"

// Sign-up takes plain, mailable addresses only, with the domain lower-cased (issue 14.5).
func TestValidateEmail(t *testing.T) {
	good := map[string]string{
		"person@example.com":         "person@example.com",
		" Person@Example.COM ":       "Person@example.com",
		"a.b+tag@mail.example.co.uk": "a.b+tag@mail.example.co.uk",
		"jürgen@münchen.example":     "jürgen@münchen.example",
		"x@sub-domain.example":       "x@sub-domain.example",
	}
	for in, want := range good {
		if got, err := validateEmail(in); err != nil || got != want {
			t.Errorf("validateEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"x@[10.0.0.5]", "x@[IPv6:::1]", "x@10.0.0.5", "x@localhost", "x@example", "x@-example.com",
		"x@example-.com", "x@exa_mple.com", "x@example..com", "x@.example.com",
		"Bob <bob@example.com>", "\"bob smith\"@example.com", "bob\x00@example.com",
		"bob@example.com\r\nBcc: evil@example.com", "bob\u0085@example.com", "@example.com", "bob@",
		"bob@example.com\x7f", "bob@exam\u200bple.com",
	} {
		if got, err := validateEmail(in); err == nil {
			t.Errorf("validateEmail(%q) accepted as %q", in, got)
		}
	}
}
