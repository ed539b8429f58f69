package notify

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/locale"
)

// message is a rendered mail, ready to send or to log.
type message struct {
	ID      string // Message-ID, the same on every attempt
	To      string
	Subject string
	Body    string
}

// newSignIn is the outbox payload of a "new sign-in" mail (auth.NewSignIn).
type newSignIn struct {
	Device  string    `json:"device"`
	IP      string    `json:"ip"`
	At      time.Time `json:"at"`
	Browser string    `json:"browser"`
	OS      string    `json:"os"`
	Lang    string    `json:"lang"`
	// SessionID is the public id of the new session: the link highlights its row.
	SessionID string `json:"session_id"`
	// Where the sign-in came from, and whether it was the account's first from there.
	City        string `json:"city"`
	CountryCode string `json:"country_code"`
	NewCountry  bool   `json:"new_country"`
}

// renderNewSignIn writes the mail in the language of the sign-in page (English when the
// row predates languages or names one we do not ship).
func renderNewSignIn(opt Options, catalog *locale.Catalog, m db.OutboxMail, p newSignIn) (message, error) {
	l := mailLang(catalog, p.Lang)
	device, place := p.device(l), p.place(l)
	intro := l.T("mail.new_sign_in.intro_device", "App", opt.AppName)
	if p.NewCountry && p.CountryCode != "" {
		intro = l.T("mail.new_sign_in.intro_country", "App", opt.AppName, "Place", place, "Country", l.Country(p.CountryCode))
	}
	body := l.T("mail.new_sign_in.body", "App", opt.AppName, "Intro", intro, "Device", device,
		"Place", place, "Time", l.DateTime(p.At), "IP", p.ip(l), "Link", securityLink(opt)+"?session="+url.QueryEscape(p.SessionID))
	if body == "mail.new_sign_in.body" {
		return message{}, fmt.Errorf("render mail %d: no message mail.new_sign_in.body", m.ID)
	}
	return message{
		ID:      messageID(opt, m),
		To:      m.Recipient,
		Subject: l.T("mail.new_sign_in.subject", "App", opt.AppName, "Device", device),
		Body:    body + "\n",
	}, nil
}

// mailDomain is the host of the public address, for Message-IDs.
func mailDomain(baseURL string) string {
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "localhost"
}

// smtpSender sends over SMTP with go-mail, one connection per message.
type smtpSender struct {
	addr string // host:port, for logs (never the password)
	opts []gomail.Option
	host string
}

// newSMTPSender reads SMTP_URL: smtp://[user:pass@]host[:port] uses STARTTLS when the
// server offers it (?starttls=required insists; default port 587), smtps:// uses TLS
// from the start (default port 465).
func newSMTPSender(raw string, timeout time.Duration) (*smtpSender, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("SMTP_URL: want smtp://user:pass@host:port or smtps://…")
	}
	opts := []gomail.Option{gomail.WithTimeout(timeout)}
	port := 587
	switch u.Scheme {
	case "smtp":
		policy := gomail.TLSOpportunistic
		if u.Query().Get("starttls") == "required" {
			policy = gomail.TLSMandatory
		}
		opts = append(opts, gomail.WithTLSPolicy(policy))
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("SMTP_URL: scheme %q, want smtp or smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("SMTP_URL: port %q", p)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	return &smtpSender{addr: u.Hostname() + ":" + strconv.Itoa(port), opts: opts, host: u.Hostname()}, nil
}

func (s *smtpSender) send(ctx context.Context, from string, msg message) error {
	m := gomail.NewMsg()
	if err := m.From(from); err != nil {
		return fmt.Errorf("from %q: %w", from, err)
	}
	if err := m.To(msg.To); err != nil {
		return fmt.Errorf("to: %w", err)
	}
	m.Subject(msg.Subject)
	m.SetMessageIDWithValue(msg.ID)
	m.SetDate()
	m.SetBodyString(gomail.TypeTextPlain, msg.Body)
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("smtp %s: %w", s.addr, err)
	}
	return nil
}
