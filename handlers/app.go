package handlers

import (
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/docodego/sessions/static"
	"github.com/docodego/sessions/views"
)

// AppOptions are the HTTP server settings that are not the handlers' business.
type AppOptions struct {
	TrustedProxies []string      // peers whose X-Forwarded-For is believed
	RequestTimeout time.Duration // how long a request may wait on the database; default 2.5 s (defaultRequestTimeout)
}

// NewApp builds the Fiber app with templates, limits, the error handler and every route.
func (h *Handler) NewApp(opt AppOptions) *fiber.App {
	engine, err := views.NewEngine()
	if err != nil {
		// The templates are embedded in the binary: one that does not parse is a build
		// defect every test meets first, like template.Must.
		panic(err)
	}
	app := fiber.New(fiber.Config{
		Views:                 engine,
		ErrorHandler:          h.ErrorHandler,
		DisableStartupMessage: true,
		BodyLimit:             64 * 1024,
		ReadBufferSize:        16 * 1024, // request line + headers; larger gets 431
		// Headers and a 50-session list (~21 KB) leave in one write, not a flush per 4 KB.
		WriteBufferSize:         32 * 1024,
		ReadTimeout:             15 * time.Second,
		WriteTimeout:            15 * time.Second,
		IdleTimeout:             60 * time.Second,
		ProxyHeader:             fiber.HeaderXForwardedFor,
		EnableTrustedProxyCheck: true,
		TrustedProxies:          opt.TrustedProxies,
		EnableIPValidation:      true,
	})
	app.Server().Handler = h.withSecurityHeaders(app.Server().Handler)
	// Request ids are random (UUIDv4): Fiber's default counts up from a random start, so
	// one id would tell the next ones and how many requests came in between.
	h.catchUnread(app)
	app.Use(dropUnsafeRequestID, requestid.New(requestid.Config{Generator: utils.UUIDv4}), h.observe, recover.New(), h.deadline(opt.RequestTimeout))
	h.Register(app)
	return app
}

// registerStatic serves the embedded static files.
func (h *Handler) registerStatic(app *fiber.App) {
	app.Use("/static", filesystem.New(filesystem.Config{
		Root:   http.FS(static.FS),
		MaxAge: 3600,
	}))
}
