package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the Prometheus series the app exports on its separate metrics listener.
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	unread      *prometheus.CounterVec
	signIns     prometheus.Counter
	revocations prometheus.Counter
	shed        prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sessions_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sessions_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
		unread: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sessions_http_unread_requests_total",
			Help: "Requests the server could not read (the client's fault), by reason: tls_handshake, malformed, headers_too_large, body_too_large, timeout, connection.",
		}, []string{"reason"}),
		signIns: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sessions_sign_ins_total",
			Help: "Sessions started by a sign-in or sign-up.",
		}),
		revocations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sessions_revocations_total",
			Help: "Sessions revoked from another session (one, or all others).",
		}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sessions_http_shed_total",
			Help: "Requests refused with 503 busy because the in-flight limit stayed full for the admission wait.",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.unread, m.signIns, m.revocations, m.shed,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watchRoundTrips exports a counter the store keeps, such as its database round trips.
func (m *metrics) watchRoundTrips(count func() int64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "sessions_db_round_trips_total",
		Help: "Request-response exchanges with PostgreSQL.",
	}, func() float64 { return float64(count()) }))
}

// MetricsHandler serves the metrics in the Prometheus text format; main puts it on its own
// listener (METRICS_ADDR), never on the public one.
func (h *Handler) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(h.metrics.reg, promhttp.HandlerOpts{})
}

// observe counts and times every request. It runs the error handler itself, so the status
// it records is the one sent.
func (h *Handler) observe(c *fiber.Ctx) error {
	start := time.Now()
	if err := c.Next(); err != nil {
		if err := h.ErrorHandler(c, err); err != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	// c.Method() points into fasthttp's reused buffer: a label must own its string.
	route, method := c.Route().Path, stableMethod(c.Method())
	h.metrics.requests.WithLabelValues(route, method, strconv.Itoa(c.Response().StatusCode())).Inc()
	h.metrics.latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	return nil
}

// countRevoked records sessions a request ended.
func (h *Handler) countRevoked(n int) { h.metrics.revocations.Add(float64(n)) }

// stableMethod returns the method as a constant string, never one aliasing a request buffer.
func stableMethod(m string) string {
	for _, known := range []string{fiber.MethodGet, fiber.MethodPost, fiber.MethodDelete, fiber.MethodHead,
		fiber.MethodPut, fiber.MethodPatch, fiber.MethodOptions} {
		if m == known {
			return known
		}
	}
	return "other"
}
