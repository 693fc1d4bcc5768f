package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"frontdoor"
	"frontdoor/admin"
	"frontdoor/audit"
	"frontdoor/booking"
	"frontdoor/display"
	"frontdoor/notify"
	"frontdoor/queue"
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
	queue   *queue.Queue
	hub     *display.Hub // lobby screens and consoles follow the queue through it
	idem    *web.Idempotency
	limits  rateLimits     // --rate-limit, per client address
	streams *streamCap     // --max-streams, per client address
	lockout *staff.Lockout // sign-in lock-out after repeated failures
	handler http.Handler
	router  chi.Router

	sms      *notify.Sender       // sends the outbox through Twilio (or keeps it, unconfigured)
	twilio   notify.TwilioConfig  // from the environment (API.md, SMS settings)
	reminder booking.ReminderRule // --reminder

	retention  sync.Mutex // one retention run at a time
	vacuumedAt time.Time  // service time of the retention job's last VACUUM

	ctx  context.Context // cancelled when the service stops
	stop context.CancelFunc
}

// nav is the staff navigation; each part's pages add themselves here as they land.
var nav = []web.NavLink{
	{Text: "Staff pages", Href: "/staff", Roles: []string{frontdoor.RoleManager, frontdoor.RoleReception, frontdoor.RoleOfficer}},
	{Text: "Phone booking", Href: "/staff/phone-booking", Roles: []string{frontdoor.RoleManager, frontdoor.RoleReception, frontdoor.RoleOfficer}},
	{Text: "Reception", Href: "/staff/reception", Roles: []string{frontdoor.RoleManager, frontdoor.RoleReception}},
	{Text: "Desk", Href: "/staff/desk", Roles: []string{frontdoor.RoleManager, frontdoor.RoleReception, frontdoor.RoleOfficer}},
	{Text: "Kiosks", Href: "/staff/kiosk", Roles: []string{frontdoor.RoleManager, frontdoor.RoleReception}},
	{Text: "Reports", Href: "/staff/reports", Roles: []string{frontdoor.RoleManager}},
	{Text: "Audit", Href: "/staff/audit", Roles: []string{frontdoor.RoleManager}},
	{Text: "Admin", Href: admin.Path, Roles: []string{frontdoor.RoleAdmin}},
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
	a.booking.MaxPerPhone = cfg.MaxBookingsPerPhone
	a.limits = newRateLimits(cfg.RateLimit)
	a.streams = newStreamCap(cfg.MaxStreams)
	a.queue = queue.New(db, a.clock, a.booking, nil)
	a.hub = display.NewHub(a.ctx, a.queue)
	a.queue.Publisher = a.hub
	a.idem = web.NewIdempotency(db, a.clock)
	a.idem.Key = key // saved answers can hold new tokens and manage links
	if err := a.setupSMS(); err != nil {
		db.Close()
		return nil, err
	}
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
	reg.MustRegister(a.hub.Collectors()...)
	metrics := web.NewMetrics(reg)

	rd := &web.Renderer{ServiceName: a.cfg.ServiceName, Nav: nav}
	errorPages := rd.NewErrorPages()

	r := chi.NewRouter()
	r.Use(metrics.Observe)
	r.Use(web.Security{HTTPS: strings.HasPrefix(a.cfg.BaseURL, "https://"), CameraPath: web.KioskPath}.Middleware)
	r.Use(web.ClientIPs{Trusted: a.cfg.TrustedProxies}.Middleware)
	r.Use(web.Authenticate(a.staff))
	r.Use(a.limits.middleware(errorPages))
	r.Use(a.streams.middleware)
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
	secure := strings.HasPrefix(a.cfg.BaseURL, "https://")
	staffPages := staff.NewHandler(a.staff, rd, secure)
	a.lockout = staffPages.Lockout
	staffPages.Routes(r, create)
	a.auditHandler(rd).Routes(r)
	web.NewAbout(rd, web.About{Organisation: a.cfg.ServiceName, Contact: a.cfg.Contact,
		RetentionDays: a.cfg.retentionDays(), SMS: a.twilio.Configured()}).Routes(r)
	a.booking.SetupRoutes(r, create)
	a.booking.Routes(r, create)
	a.queue.Routes(r, create)
	a.queue.AlertRoutes(r)
	display.NewServer(a.ctx, a.hub, a.queue, errorPages).Routes(r)
	booking.NewPages(a.booking, rd).Routes(r, create)
	consoles := queue.NewPages(a.queue, rd, queue.KioskDevices{Authenticate: a.staff.Authenticate, Secure: secure,
		Issue: func(ctx context.Context, site, name string) (string, error) {
			secret, _, err := a.staff.CreateToken(ctx, frontdoor.RoleDevice, name, site)
			return secret, err
		},
		EndSession: func(w http.ResponseWriter, r *http.Request) error { return a.staff.EndSession(w, r, secure) }})
	consoles.SMSConfigured = a.twilio.Configured // reception lists unsent texts only when SMS is not set up
	consoles.Routes(r)
	adminPages := admin.New(a.booking, a.staff, rd, secure)
	adminPages.CloseDesk = func(ctx context.Context, desk string) error { return a.queue.SetDeskOpen(ctx, desk, false) }
	adminPages.Unlock = a.lockout.Unlock
	adminPages.Routes(r)
	(&notify.Handlers{DB: a.db, Clock: a.clock, AuthToken: a.twilio.AuthToken, BaseURL: func() string { return a.cfg.BaseURL },
		Cancel: a.booking.CancelForPhone, SiteName: a.siteName, Sender: a.sms}).Routes(r)
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
	// The clock saves itself in its own transaction, so this row follows it.
	if err := audit.RecordNow(r.Context(), a.db, a.clock.Now(), audit.Entry{Action: "clock.moved",
		Detail: map[string]any{"now": t.UTC().Format(time.RFC3339)}}); err != nil {
		slog.ErrorContext(r.Context(), "audit clock move", "err", err)
	}
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
	wg.Go(func() {
		// Every few seconds, so that after a clock move what became due runs within 5 s.
		every(a.ctx, 3*time.Second, func(ctx context.Context) {
			if err := a.queue.CheckDelays(ctx); err != nil {
				slog.ErrorContext(ctx, "check delays", "err", err)
			}
			if err := a.queue.CloseDays(ctx); err != nil {
				slog.ErrorContext(ctx, "close the day's queue", "err", err)
			}
		})
	})
	wg.Go(func() { a.sms.Run(a.ctx) })
	wg.Go(func() {
		// At start and hourly: a year's report must not wait for a year of tickets to be read.
		every(a.ctx, time.Hour, func(ctx context.Context) {
			if err := a.queue.KeepStandards(ctx); err != nil {
				slog.ErrorContext(ctx, "keep the standards of closed days", "err", err)
			}
		})
	})
	wg.Go(func() {
		// Hourly, though the period is in days: it only touches rows past the
		// cut-off, so a run that finds nothing is cheap, and a clock move is honoured.
		every(a.ctx, time.Hour, func(ctx context.Context) {
			if _, err := a.eraseExpired(ctx); err != nil {
				slog.ErrorContext(ctx, "erase personal data past the retention period", "err", err)
			}
		})
	})
	wg.Go(func() {
		// Every few seconds, so that after a clock move a reminder that became due goes within 5 s.
		every(a.ctx, 2*time.Second, func(ctx context.Context) {
			if n, err := a.booking.QueueReminders(ctx, a.clock.Now(), a.reminder); err != nil {
				slog.ErrorContext(ctx, "queue reminders", "err", err)
			} else if n > 0 {
				a.sms.Wake()
			}
		})
	})
	return &wg
}

// retentionBatch bounds the rows of each kind one transaction erases, so
// that the first run on a large database never holds the writer for long.
const retentionBatch = 2000

// erased counts what one retention run blanked.
type erased struct{ Bookings, Queue, Messages int64 }

func (e erased) total() int64 { return e.Bookings + e.Queue + e.Messages }

// eraseExpired erases the personal data of visits that ended more than the
// retention period ago (DESIGN.md): bookings' names, phones, emails and
// needs, walk-ins' numbers, emergency notes and the texts (with their manage
// links). Each batch is one transaction in which every owner erases its own
// rows; what the statistics read is kept. A second run finds nothing.
//
// Blanking a column is not enough on its own: SQLite leaves freed bytes
// where they were, in the page and in the write-ahead log. The erasing
// transactions run with secure_delete, so what they free is zeroed, and the
// log is checkpointed and truncated after. Copies freed earlier by ordinary
// updates (a status change moves a row) are still in the file unless the
// database runs with secure_delete always on; until it does, a run that
// erased something also rebuilds the file with VACUUM, at most once a day.
func (a *app) eraseExpired(ctx context.Context) (erased, error) {
	a.retention.Lock()
	defer a.retention.Unlock()
	now := a.clock.Now()
	before := now.Add(-time.Duration(a.cfg.retentionDays()) * 24 * time.Hour)
	var secure int // the write connection's own setting, put back after each batch
	if err := a.db.Write.QueryRowContext(ctx, `PRAGMA secure_delete`).Scan(&secure); err != nil {
		return erased{}, fmt.Errorf("retention: %w", err)
	}
	var sum erased
	for {
		var n erased
		err := a.db.WithTx(ctx, func(tx *sql.Tx) (err error) {
			if secure == 0 {
				if _, err := tx.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
					return err
				}
				defer func() {
					if _, e := tx.ExecContext(ctx, `PRAGMA secure_delete = OFF`); err == nil {
						err = e
					}
				}()
			}
			if n.Bookings, err = booking.ErasePersonalData(ctx, tx, before, now, retentionBatch); err != nil {
				return err
			}
			if n.Queue, err = queue.ErasePersonalData(ctx, tx, before, retentionBatch); err != nil {
				return err
			}
			n.Messages, err = notify.ErasePersonalData(ctx, tx, before, now)
			return err
		})
		if err != nil {
			return sum, fmt.Errorf("retention: %w", err)
		}
		sum.Bookings, sum.Queue, sum.Messages = sum.Bookings+n.Bookings, sum.Queue+n.Queue, sum.Messages+n.Messages
		if n.Bookings < retentionBatch && n.Queue < retentionBatch {
			break
		}
	}
	if sum.total() == 0 {
		return sum, nil
	}
	slog.InfoContext(ctx, "personal data erased", "before", before.UTC().Format(time.RFC3339),
		"bookings", sum.Bookings, "tickets_and_notes", sum.Queue, "messages", sum.Messages)
	if secure == 0 && (a.vacuumedAt.IsZero() || now.Sub(a.vacuumedAt).Abs() >= 24*time.Hour) {
		started := time.Now()
		if _, err := a.db.Write.ExecContext(ctx, `VACUUM`); err != nil {
			return sum, fmt.Errorf("retention: rebuild the database file: %w", err)
		}
		a.vacuumedAt = now
		slog.InfoContext(ctx, "database file rebuilt after erasure", "took", time.Since(started).Round(time.Millisecond))
	}
	var busy, frames, copied int
	if err := a.db.Write.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied); err != nil {
		return sum, fmt.Errorf("retention: checkpoint: %w", err)
	}
	if busy != 0 {
		slog.WarnContext(ctx, "retention: readers kept the write-ahead log from being truncated; erased data stays in it until the next checkpoint")
	}
	return sum, nil
}

// setupSMS reads the SMS settings from the environment and makes the sender.
// Without Twilio credentials texts stay in the outbox, shown to staff.
func (a *app) setupSMS() error {
	a.twilio = notify.TwilioConfigFromEnv(os.Getenv)
	var provider notify.Provider
	if a.twilio.Configured() {
		tw, err := notify.NewTwilio(a.twilio)
		if err != nil {
			return err
		}
		provider = tw
	} else if a.twilio.AccountSID != "" || a.twilio.AuthToken != "" || a.twilio.From != "" {
		slog.Warn("SMS is not configured: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and FRONTDOOR_SMS_FROM are all needed; texts stay in the outbox")
	}
	a.sms = notify.NewSender(a.db, a.clock, provider)
	a.sms.Superseded = a.booking.TextSuperseded
	a.sms.StatusCallback = func() string {
		if strings.HasPrefix(a.cfg.BaseURL, "https://") { // Twilio can only call a public https URL
			return a.cfg.BaseURL + "/webhooks/twilio/status"
		}
		return ""
	}
	var err error
	if a.reminder, err = booking.ParseReminder(a.cfg.Reminder); err != nil {
		return fmt.Errorf("--reminder %q: %w", a.cfg.Reminder, err)
	}
	return nil
}

func (a *app) siteName(ctx context.Context, id string) (string, error) {
	st, err := a.booking.Site(ctx, id)
	return st.Name, err
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
