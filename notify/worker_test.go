package notify_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
	"github.com/docodego/sessions/device"
	"github.com/docodego/sessions/notify"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

const (
	uaChromeMac  = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	uaFirefoxWin = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
	password     = "correct horse battery"
	baseURL      = "https://sessions.example"
)

// smtpServer is a real SMTP server on a loopback port that keeps what it receives and
// refuses the first `refuse` messages with a temporary error.
type smtpServer struct {
	addr   string
	mu     sync.Mutex
	got    []*mail.Message
	bodies []string
	refuse int
}

func startSMTP(t *testing.T, refuse int) *smtpServer {
	t.Helper()
	s := &smtpServer{refuse: refuse}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// reset forgets the messages received so far.
func (s *smtpServer) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got, s.bodies = nil, nil
}

func (s *smtpServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s}, nil }

func (s *smtpServer) messages() ([]*mail.Message, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*mail.Message(nil), s.got...), append([]string(nil), s.bodies...)
}

type smtpSession struct{ s *smtpServer }

func (*smtpSession) Reset()                               {}
func (*smtpSession) Logout() error                        { return nil }
func (*smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.refuse > 0 {
		ss.s.refuse--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	var body []byte
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body, err = io.ReadAll(quotedprintable.NewReader(msg.Body))
	} else {
		body, err = io.ReadAll(msg.Body)
	}
	if err != nil {
		return err
	}
	ss.s.got = append(ss.s.got, msg)
	ss.s.bodies = append(ss.s.bodies, string(body))
	return nil
}

var parser struct {
	once sync.Once
	p    *device.Parser
	err  error
}

// newAuth is the auth service on a fresh database, with fast password hashes.
func newAuth(t *testing.T) (*auth.Service, *db.Store) {
	t.Helper()
	parser.once.Do(func() { parser.p, parser.err = device.NewParser("DoCodeGo") })
	if parser.err != nil {
		t.Fatal(parser.err)
	}
	store := dbtest.NewStore(t)
	cfg := auth.DefaultConfig()
	cfg.Password = auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1}
	svc, err := auth.NewService(store, parser.p, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return svc, store
}

func newWorker(t *testing.T, store *db.Store, smtpURL string, logs io.Writer) *notify.Worker {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	w, err := notify.New(store, slog.New(slog.NewTextHandler(logs, nil)), notify.Options{
		SMTPURL: smtpURL, From: "DoCodeGo <no-reply@sessions.example>", BaseURL: baseURL, AppName: "DoCodeGo",
		BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, SendTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// enqueue queues n "new sign-in" mails directly, as a sign-in would.
func enqueue(t *testing.T, store *db.Store, n int) {
	t.Helper()
	ctx := context.Background()
	err := store.InTx(ctx, func(tx *db.Tx) error {
		for i := range n {
			err := tx.EnqueueMail(ctx, db.MailNewSignIn, "person@example.com", auth.NewSignIn{
				Device: "Firefox on Windows", IP: "192.0.2.7",
				At: time.Date(2026, 3, 4, 10, 32, i, 0, time.UTC),
			}, time.Now())
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// drainUntil runs Drain until want messages are marked sent; failed attempts are
// rescheduled a few milliseconds ahead, so this loops briefly after a refusal.
func drainUntil(t *testing.T, w *notify.Worker, store *db.Store, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := w.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		if sent := countSent(t, store); sent >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d mails sent", countSent(t, store), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func countSent(t *testing.T, store *db.Store) int {
	t.Helper()
	rows, err := store.OutboxRows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if r.SentAt.Valid {
			n++
		}
	}
	return n
}

// The mail speaks the language of the page the sign-in came from.
func TestNewSignInMailInTheSignInLanguage(t *testing.T) {
	svc, store := newAuth(t)
	server := startSMTP(t, 0)
	ctx := context.Background()
	mac := auth.Client{UserAgent: uaChromeMac, IP: "198.51.100.1", DeviceID: "mac-device-id"}
	win := auth.Client{UserAgent: uaFirefoxWin, IP: "192.0.2.7", DeviceID: "windows-device-id", Lang: "de"}
	if _, _, err := svc.SignUp(ctx, "Person", "person@example.com", password, mac); err != nil {
		t.Fatal(err)
	}
	w := newWorker(t, store, "smtp://"+server.addr, nil)
	verifyByMail(t, svc, w, store, server)
	at := time.Now().UTC()
	if _, _, err := svc.SignIn(ctx, "person@example.com", password, win); err != nil {
		t.Fatal(err)
	}
	drainUntil(t, w, store, 2) // the verification mail and this one
	msgs, bodies := server.messages()
	if len(msgs) != 1 {
		t.Fatalf("want 1 message delivered, got %d", len(msgs))
	}
	if subject := msgs[0].Header.Get("Subject"); !strings.Contains(subject, "Neue Anmeldung") &&
		!strings.Contains(subject, "=?") {
		t.Errorf("Subject = %q", subject)
	}
	for _, want := range []string{"Hallo,", "Firefox unter Windows", at.Format("02.01.2006"), "Passwort"} {
		if !strings.Contains(bodies[0], want) {
			t.Errorf("German mail lacks %q:\n%s", want, bodies[0])
		}
	}
	if strings.Contains(bodies[0], "If this was you") {
		t.Error("English left in the German mail")
	}
}

func TestNewDeviceSignInMailIsDelivered(t *testing.T) {
	svc, store := newAuth(t)
	server := startSMTP(t, 0)
	ctx := context.Background()
	mac := auth.Client{UserAgent: uaChromeMac, IP: "198.51.100.1", DeviceID: "mac-device-id"}
	win := auth.Client{UserAgent: uaFirefoxWin, IP: "192.0.2.7", DeviceID: "windows-device-id"}
	if _, _, err := svc.SignUp(ctx, "Person", "person@example.com", password, mac); err != nil {
		t.Fatal(err)
	}
	w := newWorker(t, store, "smtp://"+server.addr, nil)
	verifyByMail(t, svc, w, store, server)
	// Known device (the one that signed up): no mail.
	if _, _, err := svc.SignIn(ctx, "person@example.com", password, mac); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC()
	cur, _, err := svc.SignIn(ctx, "person@example.com", password, win)
	if err != nil {
		t.Fatal(err)
	}
	// The same browser again is no longer new.
	if _, _, err := svc.SignIn(ctx, "person@example.com", password, win); err != nil {
		t.Fatal(err)
	}
	rows := rowsOfKind(t, store, db.MailNewSignIn)
	if len(rows) != 1 {
		t.Fatalf("want exactly one queued sign-in mail (the new Windows device), got %d", len(rows))
	}
	drainUntil(t, w, store, 2) // the verification mail and this one
	msgs, bodies := server.messages()
	if len(msgs) != 1 {
		t.Fatalf("want 1 message delivered, got %d", len(msgs))
	}
	h := msgs[0].Header
	if h.Get("To") != "<person@example.com>" && !strings.Contains(h.Get("To"), "person@example.com") {
		t.Errorf("To = %q", h.Get("To"))
	}
	if !strings.Contains(h.Get("Subject"), "Firefox on Windows") {
		t.Errorf("Subject = %q", h.Get("Subject"))
	}
	body := bodies[0]
	for _, want := range []string{
		"Firefox on Windows", "192.0.2.7", baseURL + "/app/settings/security",
		at.Format("Jan 2, 2006"), cur.Session.CreatedAt.UTC().Format("15:04 UTC"),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("mail body lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, password) {
		t.Error("the mail contains the password")
	}
	after := rowsOfKind(t, store, db.MailNewSignIn)
	if !after[0].SentAt.Valid || after[0].SentVia != "smtp" || after[0].Attempts != 1 {
		t.Errorf("outbox row not marked sent once via smtp: %+v", after[0])
	}
}

func TestMailIsRetriedAfterTheServerRefusedAndSurvivesARestart(t *testing.T) {
	_, store := newAuth(t)
	server := startSMTP(t, 1) // the first delivery is refused with 451
	enqueue(t, store, 1)

	first := newWorker(t, store, "smtp://"+server.addr, nil)
	if _, err := first.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows, _ := store.OutboxRows(context.Background())
	if rows[0].SentAt.Valid || rows[0].Attempts != 1 || !strings.Contains(rows[0].LastError, "451") {
		t.Fatalf("a refused mail must stay queued with its error: %+v", rows[0])
	}
	// The app restarts: a new worker picks the mail up from the database.
	restarted := newWorker(t, store, "smtp://"+server.addr, nil)
	drainUntil(t, restarted, store, 1)
	if msgs, _ := server.messages(); len(msgs) != 1 {
		t.Fatalf("want the mail delivered once after the retry, got %d", len(msgs))
	}
	rows, _ = store.OutboxRows(context.Background())
	if rows[0].Attempts != 2 || rows[0].LastError != "" {
		t.Errorf("want 2 attempts and no error left, got %+v", rows[0])
	}
}

func TestMailIsQueuedWhileTheServerIsDown(t *testing.T) {
	_, store := newAuth(t)
	enqueue(t, store, 2)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downAddr := ln.Addr().String()
	ln.Close() // nothing listens there now
	down := newWorker(t, store, "smtp://"+downAddr, nil)
	if _, err := down.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if countSent(t, store) != 0 {
		t.Fatal("nothing can be sent while the server is down")
	}
	rows, _ := store.OutboxRows(context.Background())
	for _, r := range rows {
		if r.Attempts != 1 || r.LastError == "" {
			t.Fatalf("failed attempt not recorded: %+v", r)
		}
	}
	server := startSMTP(t, 0)
	drainUntil(t, newWorker(t, store, "smtp://"+server.addr, nil), store, 2)
	if msgs, _ := server.messages(); len(msgs) != 2 {
		t.Fatalf("want both queued mails delivered, got %d", len(msgs))
	}
}

func TestNoDuplicateAcrossTwoWorkersAndARestart(t *testing.T) {
	_, store := newAuth(t)
	server := startSMTP(t, 0)
	const n = 12
	enqueue(t, store, n)
	url := "smtp://" + server.addr
	a, b := newWorker(t, store, url, nil), newWorker(t, store, url, nil)
	var wg sync.WaitGroup
	for _, w := range []*notify.Worker{a, b} {
		wg.Go(func() {
			if _, err := w.Drain(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// After a restart, a fresh worker finds nothing left to send.
	if sent, err := newWorker(t, store, url, nil).Drain(context.Background()); err != nil || sent != 0 {
		t.Fatalf("after a restart: sent %d more (%v)", sent, err)
	}
	msgs, _ := server.messages()
	ids := map[string]int{}
	for _, m := range msgs {
		ids[m.Header.Get("Message-Id")]++
	}
	if len(msgs) != n || len(ids) != n {
		t.Fatalf("want %d distinct messages, got %d messages with %d distinct ids", n, len(msgs), len(ids))
	}
	if countSent(t, store) != n {
		t.Fatalf("want all %d marked sent", n)
	}
}

func TestWithoutSMTPTheWorkerLogsWhatItWouldSend(t *testing.T) {
	_, store := newAuth(t)
	enqueue(t, store, 1)
	var logs bytes.Buffer
	w := newWorker(t, store, "", &logs)
	if sent, err := w.Drain(context.Background()); err != nil || sent != 1 {
		t.Fatalf("sent %d (%v)", sent, err)
	}
	out := logs.String()
	for _, want := range []string{"SMTP_URL is not set", "to=person@example.com", "Firefox on Windows", baseURL + "/app/settings/security"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q: %s", want, out)
		}
	}
	rows, _ := store.OutboxRows(context.Background())
	if !rows[0].SentAt.Valid || rows[0].SentVia != "log" {
		t.Errorf("want the row marked handled via log: %+v", rows[0])
	}
	if _, err := notify.New(store, slog.Default(), notify.Options{SMTPURL: "http://nope"}); err == nil {
		t.Error("a malformed SMTP_URL must fail at start-up")
	}
}
