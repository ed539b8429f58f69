package handlers

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// readyTimeout bounds the readiness probe's database ping: a slow database is not ready.
const readyTimeout = time.Second

// unavailableRetryAfter is what a 503 "unavailable" tells clients to wait: about the time a
// failover takes with production settings to be half over (docs/operations.md), so a
// retry lands near the new primary's first answers without a herd every second.
const unavailableRetryAfter = 2 * time.Second

// defaultRequestTimeout bounds how long a request may wait for the database (pool,
// connects and queries alike), so a stuck database gives fast 503s instead of piling up
// requests. The promise to clients is an answer within 3 s, through a proxy: the database
// gets 2.5 s of it, and the other 0.5 s are for what comes before and after the database
// work (the proxy's hop each way, reading the request, the 503's page, a busy core).
const defaultRequestTimeout = 2500 * time.Millisecond

// healthz answers while the process serves HTTP, whatever the database does.
func (h *Handler) healthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString("ok")
}

// readyz answers 200 when the database answers quickly and takes writes, 503 otherwise,
// so a load balancer takes an instance without a writable primary out.
func (h *Handler) readyz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	ctx, cancel := context.WithTimeout(c.UserContext(), readyTimeout)
	defer cancel()
	if err := h.auth.Ping(ctx); err != nil {
		h.log.Warn("not ready", "error", err)
		return c.Status(fiber.StatusServiceUnavailable).SendString("database unavailable")
	}
	return c.SendString("ready")
}

// deadline gives the request's context a deadline, which bounds both the wait for a pooled
// connection and every query; the error it causes maps to 503 (db.IsUnavailable).
func (h *Handler) deadline(timeout time.Duration) fiber.Handler {
	if timeout <= 0 {
		timeout = defaultRequestTimeout
	}
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), timeout)
		defer cancel()
		c.SetUserContext(ctx)
		return c.Next()
	}
}
