package auth

import (
	"net/mail"
	"strings"
	"unicode"
)

// validateEmail accepts a plain address we can mail and returns it with the domain in
// lower case (domains are case-insensitive; the local part is the receiving server's
// business, so it stays as typed). Refused: display names, quoted or spaced local parts,
// control characters, IP literals (x@[10.0.0.5]) and anything but a dotted host name
// whose last label has a letter (so no bare IPs and no intranet names).
func validateEmail(email string) (string, error) {
	bad := &InputError{Field: "email", Code: "error.email_invalid"}
	email = strings.TrimSpace(email)
	if len(email) > maxEmailLength || !oneLine(email) {
		return "", bad
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		return "", bad
	}
	at := strings.LastIndexByte(email, '@')
	local, domain := email[:at], strings.ToLower(email[at+1:])
	if local == "" || len(local) > 64 || strings.ContainsAny(local, "\" \t") || !validDomain(domain) {
		return "", bad
	}
	return local + "@" + domain, nil
}

// validDomain reports whether d is a host name of at least two labels: letters (any
// script, for internationalised names), digits and inner hyphens, the last with a letter.
func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(d) > 253 || len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	return strings.IndexFunc(labels[len(labels)-1], unicode.IsLetter) >= 0
}
