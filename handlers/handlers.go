// Package handlers is the HTTP edge: pages, htmx fragments and the JSON API.
package handlers

import (
	"cmp"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/internal/gate"
	"github.com/docodego/sessions/live"
	"github.com/docodego/sessions/locale"
)

// Config is what the handlers need to know about the deployment.
type Config struct {
	AppName string
	BaseURL string // an https address makes cookies Secure and __Host- prefixed
	CSRFKey []byte // shared by every instance: tokens verify wherever they land
	// Live is this instance's hub of live updates; nil turns the stream off (503).
	Live *live.Hub
	// Heartbeat is how often a stream sends a comment and re-checks its session.
	Heartbeat time.Duration
	DBSC      bool // invite browsers to bind sessions to a device key (needs https)
	// MaxInFlight is how many requests that read the session run at once (admit); 0 is
	// 32, four per connection of the default pool on two cores.
	MaxInFlight int
}

// Handler holds the dependencies of every handler; it is built once in main.
type Handler struct {
	auth    *auth.Service
	catalog *locale.Catalog
	log     *slog.Logger
	cfg     Config
	cookies cookieNames
	// crossOrigin decides cross-site requests the way net/http does.
	crossOrigin *http.CrossOriginProtection
	metrics     *metrics
	openapi     []byte // GET /api/openapi.json
	admission   *gate.Gate
	shed        shedLog
}

// New builds the handlers.
func New(authSvc *auth.Service, catalog *locale.Catalog, log *slog.Logger, cfg Config) *Handler {
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	return &Handler{auth: authSvc, catalog: catalog, log: log, cfg: cfg, cookies: newCookieNames(cfg.BaseURL),
		crossOrigin: http.NewCrossOriginProtection(), metrics: newMetrics(), openapi: openAPIJSON(),
		admission: gate.New(cmp.Or(cfg.MaxInFlight, 32), admitWait)}
}

// DefaultHeartbeat is how often a live stream sends a comment and re-checks its session.
const DefaultHeartbeat = 20 * time.Second

// secure reports whether the app is served over https.
func (h *Handler) secure() bool { return strings.HasPrefix(h.cfg.BaseURL, "https://") }

// scheme is the scheme of the site's public address.
func (h *Handler) scheme() string {
	if h.secure() {
		return "https"
	}
	return "http"
}

// dbscEnabled reports whether page sign-ins invite the browser to bind the session.
func (h *Handler) dbscEnabled() bool { return h.cfg.DBSC && h.secure() }

// Register adds every route to app, in one table.
func (h *Handler) Register(app *fiber.App) {
	// Probes: before the session middleware, so they never touch the sessions table. The
	// security headers are set on every answer by the server's handler (NewApp).
	app.Get("/healthz", h.healthz)
	app.Get("/readyz", h.readyz)

	app.Use(h.crossOriginCheck)

	// Static files are embedded (app.go); served before the session middleware, so a
	// request for one never looks its cookie up.
	h.registerStatic(app)
	// The OpenAPI document of the JSON routes below (api/openapi.yaml); no session needed.
	app.Get("/api/openapi.json", h.openAPIDocument)

	app.Use(h.admit, h.loadSession)

	// Pages and forms (work without JavaScript).
	app.Get("/", h.home)
	app.Get("/signup", h.signupPage)
	app.Post("/signup", h.checkCSRF, h.signup)
	app.Get("/login", h.loginPage)
	app.Post("/login", h.checkCSRF, h.login)
	app.Post("/logout", h.requirePage, h.checkCSRF, h.logout)
	app.Post("/settings/language", h.checkCSRF, h.setLanguage)

	// The security page and its htmx fragments.
	app.Get("/app/settings/security", h.requirePage, h.securityPage)
	app.Get("/settings/sessions", h.requirePage, h.securityPage)
	app.Get("/app/settings/security/sessions/revoke-others", h.requirePage, h.confirmRevokeOthers)
	app.Post("/app/settings/security/sessions/revoke-others", h.requirePage, h.checkCSRF, h.revokeOtherSessions)
	app.Get("/app/settings/security/sessions/:id/revoke", h.requirePage, h.confirmRevoke)
	app.Post("/app/settings/security/sessions/:id/revoke", h.requirePage, h.checkCSRF, h.revokeSession)
	app.Delete("/app/settings/security/sessions/:id", h.requirePage, h.checkCSRF, h.revokeSession)
	app.Post("/app/settings/security/sessions/confirm", h.requirePage, h.checkCSRF, h.confirmSession) // a row's, id in the form
	app.Post("/app/settings/security/sessions/:id/confirm", h.requirePage, h.checkCSRF, h.confirmSession)
	app.Get("/app/settings/security/sessions/:id/secure", h.requirePage, h.confirmSecure)
	app.Post("/app/settings/security/sessions/:id/secure", h.requirePage, h.checkCSRF, h.secureAccount)
	app.Post("/app/settings/security/password", h.requirePage, h.checkCSRF, h.changePassword)
	app.Get("/app/settings/security/activity", h.requirePage, h.moreActivity)
	app.Get("/app/settings/security/ended", h.requirePage, h.allEndedSessions)
	app.Get("/app/settings/security/export", h.requirePage, h.exportActivity)
	app.Get("/app/settings/security/names", h.requirePage, h.sessionNames)
	app.Post("/app/settings/security/sessions/:id/name", h.requirePage, h.checkCSRF, h.renameSession)
	// Live updates (live.go): the stream every signed-in page opens, and the fragment a
	// page fetches when the stream says something changed.
	app.Get("/app/settings/security/events", h.securityEvents)
	app.Get("/app/settings/security/live", h.requirePage, h.liveUpdate)
	app.Post("/app/settings/security/notices/dismiss", h.requirePage, h.checkCSRF, h.dismissNotices)
	app.Post("/app/settings/security/notices/:id/dismiss", h.requirePage, h.checkCSRF, h.dismissNotice)
	app.Post("/app/settings/security/verify-email", h.requirePage, h.checkCSRF, h.resendVerification)

	// Administrators (admin_*.go): one guard for everything under /admin and /api/admin
	// (admin_guard.go); the prompt it shows posts to the re-authentication form below.
	app.Post("/app/settings/security/reauthenticate", h.requirePage, h.checkCSRF, h.adminReauthenticate)
	adminPages := app.Group(adminPath, h.requireAdmin)
	adminPages.Get("/", h.adminHome)
	adminPages.Get("/security/policies", h.adminPolicies)
	adminPages.Post("/security/policies", h.setPolicies)
	adminPages.Get("/users", h.adminUsers)
	adminPages.Get("/users/:id", h.adminUser)
	adminPages.Post("/users/:id/sessions/end", h.adminEndSessions)
	adminPages.Post("/users/:id/sessions/:sid/end", h.adminEndSessions)
	adminAPI := app.Group(adminAPIPath, h.requireAdmin)
	adminAPI.Get("/me", h.apiAdminMe)
	adminAPI.Get("/policies", h.apiAdminPolicies)
	adminAPI.Put("/policies", requireJSON, h.apiSetAdminPolicies)
	adminAPI.Get("/users", h.apiAdminUsers)
	adminAPI.Get("/users/:id", h.apiAdminUser)
	adminAPI.Post("/users/:id/sessions/end", requireJSON, h.apiAdminEndSessions)
	adminAPI.Post("/users/:id/sessions/:sid/end", requireJSON, h.apiAdminEndSessions)

	// Device-bound sessions (dbsc.go): Chrome calls these by itself, with cookies.
	app.Post(dbscRegisterPath, h.dbscRegister)
	app.Post(dbscRefreshPath, h.dbscRefresh)

	// JSON API: better-auth shaped sign-in, and the sessions resource.
	app.Post("/api/auth/sign-up/email", requireJSON, h.apiSignUp)
	app.Post("/api/auth/sign-in/email", requireJSON, h.apiSignIn)
	app.Post("/api/auth/sign-out", h.apiSignOut)
	app.Post("/api/auth/change-password", h.requireAPI, requireJSON, h.apiChangePassword)
	app.Post("/api/auth/reauthenticate", h.requireAPI, requireJSON, h.apiReauthenticate)
	app.Get("/api/auth/sessions", h.requireAPI, h.apiListSessions)
	app.Delete("/api/auth/sessions", h.requireAPI, h.apiRevokeOtherSessions)
	app.Get("/api/auth/sessions/:id/status", h.requireAPI, h.apiSessionStatus)
	app.Delete("/api/auth/sessions/:id", h.requireAPI, h.apiRevokeSession)
	app.Get("/api/users/me/current-session", h.requireAPI, h.apiCurrentSession)
	app.Get("/api/users/me/security-events", h.requireAPI, h.apiSecurityEvents)

	// better-auth 1.x client routes (betterauth.go); "token" there is the public session id.
	app.Get("/api/auth/get-session", h.baGetSession)
	app.Get("/api/auth/list-sessions", h.requireBetterAuth, h.baListSessions)
	app.Post("/api/auth/revoke-session", h.requireBetterAuth, requireJSON, h.baRevokeSession)
	app.Post("/api/auth/revoke-other-sessions", h.requireBetterAuth, h.baRevokeOtherSessions)
	app.Post("/api/auth/revoke-sessions", h.requireBetterAuth, h.baRevokeSessions)
	app.Post("/api/auth/send-verification-email", requireJSON, h.baSendVerificationEmail)
	app.Get("/api/auth/verify-email", h.baVerifyEmail)

	app.Use(h.notFound)
}
