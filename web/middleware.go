package web

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"frontdoor"
)

// RoutePattern is the matched route ("/manage/{reference}"), never the path
// itself: paths can carry references and secrets that must not reach logs.
func RoutePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" {
			return p
		}
	}
	return "unmatched"
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach Flush on the real writer (for SSE).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Metrics counts requests and times them per route in Prometheus form.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers the request metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "frontdoor_http_requests_total",
			Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "frontdoor_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// Observe logs each request (route pattern, never the path or query) and records metrics.
// Streams (text/event-stream) are logged when they end like any other request.
func (m *Metrics) Observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		info := &requestInfo{who: "public"}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				slog.ErrorContext(r.Context(), "panic", "route", RoutePattern(r), "panic", v)
				if rec.status == 0 {
					WriteError(rec, r, frontdoor.Errorf(frontdoor.Internal, "internal", "Something went wrong on our side. Please try again."))
				}
			}
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			route := RoutePattern(r)
			d := time.Since(start)
			m.requests.WithLabelValues(route, r.Method, strconv.Itoa(rec.status)).Inc()
			m.latency.WithLabelValues(route, r.Method).Observe(d.Seconds())
			level := slog.LevelInfo
			if rec.status >= 500 {
				level = slog.LevelError
			}
			slog.Log(r.Context(), level, "http", "method", r.Method, "route", route, "status", rec.status,
				"bytes", rec.bytes, "ms", float64(d.Microseconds())/1000, "who", info.who)
		}()
		next.ServeHTTP(rec, r)
	})
}

// requestInfo carries what inner middleware learns back out to the log line.
type requestInfo struct{ who string }

type requestInfoKey struct{}

// Authenticator turns a request's credentials (bearer token or session
// cookie) into a Principal; nil, nil when it carries none that are valid.
type Authenticator interface {
	Authenticate(r *http.Request) (*frontdoor.Principal, error)
}

// Authenticate attaches the request's principal, if any, to its context.
// Routes decide for themselves what they need (frontdoor.Authorize), so an
// unknown token on a public route does no harm.
func Authenticate(a Authenticator) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, err := a.Authenticate(r)
			if err != nil {
				WriteError(w, r, err)
				return
			}
			if p != nil {
				if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
					info.who = p.Label()
				}
				r = r.WithContext(frontdoor.WithPrincipal(r.Context(), p))
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Require is middleware refusing requests whose principal lacks roles
// (admins pass any). Site scoping is checked by handlers that know the site.
func Require(roles ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			site := chi.URLParam(r, "site")
			p, err := frontdoor.Authorize(r.Context(), site, roles...)
			if err != nil {
				WriteError(w, r, err)
				return
			}
			// Admin work that is not about one site (new sites, staff, tokens,
			// the clock) is for admins of every site, not one site's admin.
			if site == "" && p.Site != "" && len(roles) == 1 && roles[0] == frontdoor.RoleAdmin {
				WriteError(w, r, frontdoor.Errorf(frontdoor.Forbidden, "forbidden", "Your access is limited to one site; this needs an admin of every site."))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
