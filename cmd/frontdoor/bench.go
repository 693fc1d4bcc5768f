package main

// frontdoor bench: the service's speed, measured in one run beside the
// ceilings it is judged against. It starts the real server (the whole
// router and middleware) on 127.0.0.1 with a fresh database in a temporary
// folder, drives it over HTTP from this process, and prints a table and the
// ratios. docs/benchmarks.md records its figures.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"frontdoor"
)

const benchSummary = `Measures the service through its real HTTP server on 127.0.0.1, with a fresh database in a
temporary folder: booking POSTs, slot GETs, check-ins, call-next and a call reaching lobby screens,
beside a bare SQLite transaction doing the booking's writes and a trivial chi handler, in the same run.
With --year it then adds a year of generated visits (about 250,000 bookings) and measures again.`

type benchOptions struct {
	requests int   // operations per measured step
	clients  []int // concurrent clients for bookings, slots and their ceilings
	screens  int   // lobby screens connected for the stream step
	rounds   int   // calls sent to the screens
	year     bool  // measure again over a year of generated data
	yearDays int   // how many days that "year" has (tests use a few)
	profile  string
	keep     bool
}

func benchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", benchSummary, stderr)
	var o benchOptions
	fs.IntVar(&o.requests, "requests", 6000, "requests in each measured step")
	clients := fs.String("clients", "16,64", "concurrent clients for bookings, slots and their ceilings (comma-separated)")
	fs.IntVar(&o.screens, "screens", 1000, "lobby screens connected to one site's event stream")
	fs.IntVar(&o.rounds, "rounds", 100, "calls sent to the lobby screens")
	fs.BoolVar(&o.year, "year", true, "then add a year of generated visits (about 250,000 bookings) and measure again")
	fs.IntVar(&o.yearDays, "year-days", 365, "days of generated visits before the bench's first day, 685 bookings each")
	fs.StringVar(&o.profile, "profile", "", "folder to write a CPU profile of each step into (go tool pprof FILE)")
	fs.BoolVar(&o.keep, "keep", false, "keep the benchmark's database folder and say where it is")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for _, c := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 || n > 1000 {
			return fmt.Errorf("--clients %q: give whole numbers from 1 to 1000, comma-separated", *clients)
		}
		o.clients = append(o.clients, n)
	}
	if o.requests < 20 || o.screens < 1 || o.rounds < 1 || o.yearDays < 1 || o.yearDays > 3650 {
		return fmt.Errorf("--requests must be 20 or more, --screens and --rounds 1 or more, --year-days 1 to 3650")
	}
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return fmt.Errorf("--profile: %w", err)
		}
	}
	dir, err := os.MkdirTemp("", "frontdoor-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintf(stdout, "database folder: %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	// The request log would write a line per request: it is not what is measured.
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.DiscardHandler))
	raiseOpenFiles()

	b := &bench{out: stdout, o: o, prof: profiler{o.profile}}
	b.machine()
	env, err := startBench(ctx, filepath.Join(dir, "frontdoor.db"))
	if err != nil {
		return err
	}
	defer env.close()
	b.env = env
	return b.run(ctx)
}

// benchEnv is the real service on loopback with the bench centre set up.
type benchEnv struct {
	app     *app
	srv     *http.Server
	url     string
	admin   string
	officer string
	kiosk   string
	clock   *frontdoor.FakeClock
	starts  []time.Time // every slot of the days being booked, in order (see plan)
	phone   int         // the next unused mobile number
}

// The bench starts on Monday 4 January 2027 at 8am in London; the year of
// generated visits (--year) is the 365 days before.
var (
	benchLondon, _ = time.LoadLocation("Europe/London") // the zone database is embedded (time/tzdata)
	benchNow       = time.Date(2027, 1, 4, 8, 0, 0, 0, time.UTC)
)

const benchDesks = 20

func startBench(ctx context.Context, path string) (*benchEnv, error) {
	e := &benchEnv{}
	if err := e.open(ctx, path, benchNow); err != nil {
		return nil, err
	}
	if err := e.setup(ctx); err != nil {
		e.close()
		return nil, fmt.Errorf("set up the bench centre: %w", err)
	}
	return e, nil
}

// open starts the service on the database at path, its clock stopped at now.
func (e *benchEnv) open(ctx context.Context, path string, now time.Time) error {
	e.clock = frontdoor.NewStoppedClock(now)
	a, err := newApp(ctx, config{DB: path, ServiceName: "Frontdoor", testClock: e.clock})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.Close()
		return err
	}
	e.app, e.url = a, "http://"+ln.Addr().String()
	a.cfg.BaseURL, a.booking.BaseURL = e.url, e.url
	// The handler alone, as the tests run it: the background jobs (reminders,
	// the outbox, retention) would add their own writes at moments of their choosing.
	e.srv = &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return a.ctx }}
	go e.srv.Serve(ln)
	return nil
}

// restart stops the service and starts it again on the same database, as
// after an upgrade: nothing it has worked out and kept survives (the data
// written behind its back must not be mistaken for what it had seen).
func (e *benchEnv) restart(ctx context.Context) error {
	now, path := e.clock.Now(), e.app.cfg.DB
	e.close()
	return e.open(ctx, path, now)
}

func (e *benchEnv) close() {
	e.app.stop()
	e.srv.Close()
	e.app.Close()
}

// setup makes the bench centre through the API: open 08:00–20:00 every day,
// one service in 5-minute slots of 100 places (so every booking finds room),
// no minimum notice, a year's horizon (each set of steps books days of its
// own), and 20 desks.
func (e *benchEnv) setup(ctx context.Context) error {
	var err error
	if e.admin, _, err = e.app.staff.CreateToken(ctx, frontdoor.RoleAdmin, "bench admin", ""); err != nil {
		return err
	}
	c := httpClient(1)
	call := func(method, path string, body any, want int) error {
		_, err := expectStatus(c, e.request(method, path, e.admin, body), want)
		return err
	}
	var weekly, bands []map[string]any
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		weekly = append(weekly, map[string]any{"weekday": d, "open": "08:00", "close": "20:00"})
		bands = append(bands, map[string]any{"weekday": d, "from": "08:00", "to": "20:00", "parallel": 100})
	}
	steps := []func() error{
		func() error {
			return call("POST", "/api/v1/sites", map[string]any{"id": "bench", "name": "Bench Centre", "address": "1 Load Street", "timezone": "Europe/London"}, 201)
		},
		func() error {
			return call("POST", "/api/v1/sites/bench/services", map[string]any{"code": "HOU", "name": "Housing", "duration_minutes": 5, "ticket_prefix": "H", "min_notice_minutes": 0, "horizon_days": 365}, 201)
		},
		func() error { return call("PUT", "/api/v1/sites/bench/hours", map[string]any{"weekly": weekly}, 200) },
		func() error {
			return call("PUT", "/api/v1/sites/bench/services/HOU/capacity", map[string]any{"weekly": bands}, 200)
		},
	}
	for d := 1; d <= benchDesks; d++ {
		steps = append(steps, func() error {
			return call("POST", "/api/v1/sites/bench/desks", map[string]any{"id": fmt.Sprintf("desk-%d", d), "name": fmt.Sprintf("Desk %d", d), "services": []string{"HOU"}}, 201)
		})
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	if e.officer, _, err = e.app.staff.CreateToken(ctx, frontdoor.RoleOfficer, "bench officer", "bench"); err != nil {
		return err
	}
	if e.kiosk, _, err = e.app.staff.CreateToken(ctx, frontdoor.RoleDevice, "bench kiosk", "bench"); err != nil {
		return err
	}
	return nil
}

// plan lists the slots of the 60 days from first, which the next steps book.
// The service's clock only moves forwards, so each set of steps books days
// after the last set's.
func (e *benchEnv) plan(first time.Time) {
	e.starts = e.starts[:0]
	for d := range 60 {
		for m := 8 * 60; m < 20*60; m += 5 {
			e.starts = append(e.starts, wallClock(first.AddDate(0, 0, d), m))
		}
	}
}

// wallClock is the instant at minute m of day's wall clock in London, right
// on the days the clocks change (where adding hours to midnight is not).
func wallClock(day time.Time, m int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, benchLondon)
}

func (e *benchEnv) request(method, path, token string, body any) *http.Request {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		r = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, e.url+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// nextPhones hands out n mobile numbers nobody has used yet in this run, so
// that no booking is taken for a retry of another.
func (e *benchEnv) nextPhones(n int) int {
	first := e.phone
	e.phone += n
	return first
}

func (e *benchEnv) bookingBody(i, phone int) string {
	return fmt.Sprintf(`{"site":"bench","service":"HOU","start":%q,"name":"Load Test","phone":"+4474%08d"}`,
		e.starts[i%len(e.starts)].Format(time.RFC3339), phone)
}
