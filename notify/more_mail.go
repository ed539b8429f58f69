package notify

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/geo"
	"github.com/docodego/sessions/locale"
)

// The verification mail and the digest of new sign-ins. Like the "new sign-in" mail they
// carry nothing a person typed (no name): only our words, device names parsed from the
// user agent, addresses, times and our own links.

// mailLang is the catalog language of a mail (English when the row names none we ship).
func mailLang(catalog *locale.Catalog, lang string) *locale.Localizer {
	if l := catalog.Lang(lang); l != nil {
		return l
	}
	return catalog.Lang("en")
}

// securityLink is the security page, where sessions are revoked.
func securityLink(opt Options) string {
	return strings.TrimRight(opt.BaseURL, "/") + "/app/settings/security"
}

// device is the sign-in's device label in the mail's language.
func (p newSignIn) device(l *locale.Localizer) string {
	if p.Browser != "" || p.OS != "" {
		return l.Device(p.Browser, p.OS)
	}
	return p.Device
}

// ip is the sign-in's address, or words saying it is unknown.
func (p newSignIn) ip(l *locale.Localizer) string {
	if p.IP == "" {
		return l.T("sessions.unknown_ip")
	}
	return p.IP
}

// place is where the sign-in came from, in the mail's language.
func (p newSignIn) place(l *locale.Localizer) string {
	switch {
	case p.CountryCode != "":
		return l.Place(p.City, p.CountryCode)
	case geo.IsLocalIP(p.IP):
		return l.T("geo.local")
	}
	return l.T("geo.unknown")
}

// messageID is the Message-ID of an outbox row, the same on every attempt.
func messageID(opt Options, m db.OutboxMail) string {
	return fmt.Sprintf("outbox-%d-%d@%s", m.ID, m.CreatedAt.UnixMicro(), mailDomain(opt.BaseURL))
}

// verifyEmail is the outbox payload of a verification mail (auth.VerifyEmailMail).
type verifyEmail struct {
	Token string `json:"token"`
	Hours int    `json:"hours"`
	Lang  string `json:"lang"`
}

// VerifyPath is where a verification link lands (better-auth's route); after it the
// browser goes to the security page, which says whether it worked.
const VerifyPath = "/api/auth/verify-email"

// verifyLink is the link the mail carries.
func verifyLink(opt Options, token string) string {
	q := url.Values{"token": {token}, "callbackURL": {"/app/settings/security?done=verified"}}
	return strings.TrimRight(opt.BaseURL, "/") + VerifyPath + "?" + q.Encode()
}

func renderVerifyEmail(opt Options, catalog *locale.Catalog, m db.OutboxMail, p verifyEmail) (message, error) {
	if p.Token == "" {
		return message{}, fmt.Errorf("render mail %d: the link's token is gone", m.ID)
	}
	l := mailLang(catalog, p.Lang)
	return message{
		ID: messageID(opt, m), To: m.Recipient,
		Subject: l.T("mail.verify.subject", "App", opt.AppName),
		Body:    l.T("mail.verify.body", "App", opt.AppName, "Hours", p.Hours, "Link", verifyLink(opt, p.Token)) + "\n",
	}, nil
}

// signInDigest is the outbox payload of a digest (auth.SignInDigest).
type signInDigest struct {
	Lang     string      `json:"lang"`
	SignIns  []newSignIn `json:"sign_ins"`
	Interval int         `json:"interval_minutes"`
}

func renderDigest(opt Options, catalog *locale.Catalog, m db.OutboxMail, p signInDigest) (message, error) {
	if len(p.SignIns) == 0 {
		return message{}, fmt.Errorf("render mail %d: empty digest", m.ID)
	}
	l := mailLang(catalog, p.Lang)
	lines := make([]string, 0, len(p.SignIns))
	for _, s := range p.SignIns {
		lines = append(lines, l.T("mail.digest.line", "Time", l.DateTime(s.At), "Device", s.device(l), "Place", s.place(l), "IP", s.ip(l)))
	}
	n := len(p.SignIns)
	return message{
		ID: messageID(opt, m), To: m.Recipient,
		Subject: l.N("mail.digest.subject", n, "App", opt.AppName),
		Body: l.N("mail.digest.body", n, "App", opt.AppName, "Minutes", p.Interval,
			"List", strings.Join(lines, "\n"), "Link", securityLink(opt)) + "\n",
	}, nil
}
