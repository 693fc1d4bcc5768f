package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"frontdoor"
	"frontdoor/booking"
	"frontdoor/staff"
	"frontdoor/web"
)

// app is the wired service: database, clock, parts and the router.
type app struct {
	cfg     config
	db      *frontdoor.DB
	clock   frontdoor.Clock
	fake    *frontdoor.FakeClock // nil unless --fake-clock
	staff   *staff.Store
	booking *booking.Store
	idem    *web.Idempotency
	handler http.Handler
	router  chi.Router

	ctx  context.Context // cancelled when the service stops
	stop context.CancelFunc
}

// nav is the staff navigation; each part's pages add themselves here as they land.
var nav = []web.NavLink{
	{Text: "Staff pages", Href: "/staff", Roles: []string{frontdoor.RoleManager, frontdoor.RoleReception, frontdoor.RoleOfficer}},
}

func newApp(ctx context.Context, cfg config) (*app, error) {
	db, err := frontdoor.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, db: db, clock: frontdoor.SystemClock{}}
	if cfg.testClock != nil {
		a.fake, a.clock = cfg.testClock, cfg.testClock
	} else if cfg.FakeClock {
		if a.fake, err = frontdoor.NewFakeClock(ctx, db); err != nil {
			db.Close()
			return nil, err
		}
		a.clock = a.fake
	}
	a.ctx, a.stop = context.WithCancel(context.WithoutCancel(ctx))
	a.staff = staff.NewStore(db, a.clock)
	key, err := loadKey(keyPath(cfg))
	if err != nil {
		db.Close()
		return nil, err
	}
	a.booking = booking.NewStore(db, a.clock, key, cfg.BaseURL)
	a.idem = web.NewIdempotency(db, a.clock)
	a.router = a.routes()

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.WriteError(w, r, frontdoor.Errorf(frontdoor.Forbidden, "cross_origin",
			"This request came from another website, so it was refused. Go back to the page and try again."))
	}))
	a.handler = cop.Handler(a.router)
	return a, nil
}

func (a *app) routes() chi.Router {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := web.NewMetrics(reg)

	rd := &web.Renderer{ServiceName: a.cfg.ServiceName, Nav: nav}
	errorPages := rd.NewErrorPages()

	r := chi.NewRouter()
	r.Use(metrics.Observe)
	r.Use(web.Authenticate(a.staff))
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		err := frontdoor.Errorf(frontdoor.NotFound, "not_found", "There is nothing at this address.")
		if isAPI(r) {
			web.WriteError(w, r, err)
			return
		}
		errorPages.Render(w, r, err)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		web.WriteJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": map[string]string{
			"code": "method_not_allowed", "message": fmt.Sprintf("%s is not allowed here.", r.Method)}})
	})

	r.Handle("/assets/*", web.Static())
	r.Get("/healthz", a.healthz)
	r.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	r.Get("/api/v1/openapi.json", serveOpenAPI)

	create := a.idem.Middleware
	staff.NewHandler(a.staff, rd, strings.HasPrefix(a.cfg.BaseURL, "https://")).Routes(r, create)
	a.booking.SetupRoutes(r, create)
	a.booking.Routes(r, create)
	booking.NewPages(a.booking, rd).Routes(r)
	if a.fake != nil {
		r.Get("/api/v1/clock", a.getClock)
		r.With(web.Require(frontdoor.RoleAdmin)).Put("/api/v1/clock", a.putClock)
	}
	return r
}

func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/webhooks/")
}

func (a *app) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.db.Ping(ctx); err != nil {
		slog.ErrorContext(ctx, "health check failed", "err", err)
		web.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "not answering"})
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok", "database": "ok"})
}

type clockBody struct {
	Now string `json:"now"`
}

func (a *app) getClock(w http.ResponseWriter, r *http.Request) {
	web.WriteJSON(w, http.StatusOK, clockBody{Now: a.clock.Now().UTC().Format(time.RFC3339Nano)})
}

func (a *app) putClock(w http.ResponseWriter, r *http.Request) {
	var in clockBody
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	t, err := time.Parse(time.RFC3339Nano, in.Now)
	if err != nil {
		web.WriteError(w, r, &frontdoor.Error{Kind: frontdoor.Invalid, Code: "validation_failed",
			Message: "Give now as an RFC 3339 time, like 2026-12-01T09:00:00Z.", Fields: map[string]string{"now": "Enter a time like 2026-12-01T09:00:00Z"}})
		return
	}
	if err := a.fake.Set(r.Context(), t); err != nil {
		web.WriteError(w, r, err)
		return
	}
	slog.InfoContext(r.Context(), "clock moved", "now", t.UTC().Format(time.RFC3339))
	a.getClock(w, r)
}

// startBackground runs the periodic jobs until the app stops.
func (a *app) startBackground() *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Go(func() {
		every(a.ctx, time.Hour, func(ctx context.Context) {
			if err := a.idem.Expire(ctx); err != nil {
				slog.ErrorContext(ctx, "expire idempotency keys", "err", err)
			}
		})
	})
	return &wg
}

// every runs fn now and then each interval until ctx is done.
func every(ctx context.Context, interval time.Duration, fn func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close stops background work and closes the database.
func (a *app) Close() error {
	a.stop()
	return a.db.Close()
}
