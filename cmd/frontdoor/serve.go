package main

import (
	"context"
	"errors"
	"fmt"
	"frontdoor"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// config is what serve is told by flags and the environment.
type config struct {
	Addr        string
	DB          string
	Demo        bool
	FakeClock   bool
	BaseURL     string
	ServiceName string
	Contact     string // how residents reach the council, on the privacy and accessibility pages
	Reminder    string // when the reminder text goes before an appointment (booking.ParseReminder); "" is the default
	LogFormat   string
	SecretFile  string

	RateLimit           int          // booking, check-in and sign-in requests a minute per client address; 0 = off
	MaxStreams          int          // lobby event streams one client address may hold open without a token; 0 = no limit
	TrustedProxies      []*net.IPNet // proxies whose X-Forwarded-For is believed
	MaxBookingsPerPhone int          // future bookings one phone may hold when a resident books; 0 = no limit

	RetentionDays int // personal data is erased this many days after the visit; 0 means the default

	testClock *frontdoor.FakeClock // tests: a fake clock set to a day of their choosing
}

// defaultRetentionDays is how long personal data is kept after a visit.
const defaultRetentionDays = 90

// retentionDays is the retention period; tests that leave it unset get the default.
func (c config) retentionDays() int {
	if c.RetentionDays <= 0 {
		return defaultRetentionDays
	}
	return c.RetentionDays
}

func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "Runs Frontdoor: the resident pages, staff pages, lobby screens and the JSON API.", stderr)
	var cfg config
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&cfg.DB, "db", defaultDB, "SQLite database file (its folder is created if missing)")
	fs.BoolVar(&cfg.Demo, "demo", false, "on an empty database, add a demo customer centre and print a staff sign-in")
	fs.BoolVar(&cfg.FakeClock, "fake-clock", false, "read time from a clock that admins move with PUT /api/v1/clock (for tests and training)")
	fs.StringVar(&cfg.BaseURL, "base-url", "", "public URL of this service, used in texts, QR codes, calendar files and Twilio signatures (default http://ADDR)")
	fs.StringVar(&cfg.ServiceName, "service-name", "Frontdoor", "name shown in the page header, e.g. the council's name")
	fs.StringVar(&cfg.Contact, "contact", "", "how residents reach the council about this service (email, phone or web address), shown on the privacy notice and accessibility statement; without it they are told to ask at reception")
	fs.StringVar(&cfg.Reminder, "reminder", "-1d@10:00", "when the one reminder text goes before each appointment: -Nd@HH:MM (N days before at that local time), -2h or -90m (that long before), or off")
	fs.StringVar(&cfg.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&cfg.SecretFile, "secret-file", "", "key that derives booking links and QR codes; created if missing (default secret.key beside the database)")
	fs.IntVar(&cfg.RateLimit, "rate-limit", 60, "booking, check-in and sign-in requests a minute per client address, each; 0 = off (off by default with --fake-clock)")
	fs.IntVar(&cfg.MaxStreams, "max-streams", 50, "lobby event streams one client address may hold open without a device token; 0 = no limit (off by default with --fake-clock)")
	proxies := fs.String("trusted-proxy", "", "CIDRs (comma-separated) of reverse proxies whose X-Forwarded-For names the client; without it the header is ignored")
	fs.IntVar(&cfg.MaxBookingsPerPhone, "max-bookings-per-phone", 3, "future bookings one phone number may hold when residents book (staff are exempt); 0 = no limit")
	fs.IntVar(&cfg.RetentionDays, "retention-days", defaultRetentionDays, "days after a visit that its personal data (names, phones, emails, needs, texts) is erased; the statistics are kept")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := rateLimitDefaults(fs, &cfg, *proxies); err != nil {
		return err
	}
	if cfg.RetentionDays <= 0 {
		return fmt.Errorf("--retention-days %d: give a whole number of days, 1 or more (the default is %d)", cfg.RetentionDays, defaultRetentionDays)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + cfg.Addr
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--base-url %q: give an absolute http or https URL", cfg.BaseURL)
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")

	var h slog.Handler = slog.NewTextHandler(stderr, nil)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(stderr, nil)
	}
	slog.SetDefault(slog.New(h))

	a, err := newApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if cfg.Demo {
		if err := a.demo(ctx, stdout); err != nil {
			return err
		}
	} else if sites, err := a.booking.Sites(ctx); err == nil && len(sites) == 0 {
		fmt.Fprintln(stdout, "The database has no customer centre yet. To look around, start again with --demo;")
		fmt.Fprintln(stdout, "to set up your own, create an admin with: frontdoor user create --role admin --name NAME")
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	slog.Info("frontdoor serving", "addr", ln.Addr().String(), "db", cfg.DB, "fake_clock", cfg.FakeClock)
	return a.serve(ctx, ln)
}

// serve answers on ln until ctx is done, then lets in-flight requests finish.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		// No WriteTimeout: event streams stay open; ordinary handlers are short.
		BaseContext: func(net.Listener) context.Context { return a.ctx },
		ErrorLog:    slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
	bg := a.startBackground()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		a.stop()
		bg.Wait()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	slog.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a.stop() // ends long-lived streams so Shutdown need not wait for them
	err := srv.Shutdown(shutdownCtx)
	bg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	slog.Info("stopped")
	return nil
}
