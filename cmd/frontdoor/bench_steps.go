package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/go-chi/chi/v5"
)

// bench runs the steps and prints what they measured.
type bench struct {
	out  io.Writer
	o    benchOptions
	prof profiler
	env  *benchEnv
	ping string // the trivial handler's URL
}

// dataset is the figures measured over one state of the database.
type dataset struct {
	label   string
	figures map[string]figure // by step name and clients
}

func key(name string, clients int) string { return fmt.Sprintf("%s/%d", name, clients) }

func (d *dataset) add(f figure) { d.figures[key(f.Name, f.Clients)] = f }

// The steps' names, as the table prints them.
const (
	stepTrivial  = "trivial chi handler (ceiling)"
	stepSlots    = "GET slots, one day (144)"
	stepRaw      = "raw SQLite booking tx (ceiling)"
	stepBooking  = "POST /api/v1/bookings"
	stepCallNext = "POST call-next, 500 waiting"
	stepCheckIn  = "POST /api/v1/checkins, 200 waiting"
	stepReport1  = "GET standards report, a year, first"
	stepReportKp = "  the same after a restart"
	stepReport   = "  the same again"
)

func (b *bench) machine() {
	cpu := "unknown CPU"
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(info), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	fmt.Fprintf(b.out, "frontdoor bench: %s, %d CPUs (%s), %s %s/%s, GOMAXPROCS %d\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), cpu, runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
	fmt.Fprintf(b.out, "%d requests per step; clients %v; %d lobby screens\n\n", b.o.requests, b.o.clients, b.o.screens)
}

func (b *bench) run(ctx context.Context) error {
	ping, stop, err := trivialServer()
	if err != nil {
		return err
	}
	defer stop()
	b.ping = ping

	empty := &dataset{label: "empty database", figures: map[string]figure{}}
	if err := b.steps(ctx, empty); err != nil {
		return err
	}
	stream, err := b.stream(ctx)
	if err != nil {
		return err
	}
	sets := []*dataset{empty}
	if b.o.year {
		t0 := time.Now()
		n, err := b.env.addYear(ctx, b.o.yearDays)
		if err != nil {
			return err
		}
		fmt.Fprintf(b.out, "added a year of visits in %.0f s: %s\n\n", time.Since(t0).Seconds(), n)
		if err := b.env.restart(ctx); err != nil {
			return err
		}
		year := &dataset{label: "after a year", figures: map[string]figure{}}
		if err := b.steps(ctx, year); err != nil {
			return err
		}
		sets = append(sets, year)
	}
	b.table(sets)
	fmt.Fprintln(b.out)
	fmt.Fprintln(b.out, stream)
	fmt.Fprintln(b.out)
	b.ratios(sets)
	return nil
}

// steps measures every step over the database as it stands. Each pair of a
// step and its ceiling runs in three alternating parts, so that a slow
// moment of a shared machine falls on both rather than on one.
func (b *bench) steps(ctx context.Context, d *dataset) error {
	e := b.env
	// Each set of steps books 60 days no earlier set has touched, so that
	// what differs between sets is the history, not the days being booked.
	now := e.clock.Now().In(benchLondon)
	first := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, benchLondon)
	if len(e.starts) > 0 {
		first = e.starts[len(e.starts)-1].AddDate(0, 0, 1)
		first = time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, benchLondon)
	}
	e.plan(first)
	tag := strings.Fields(d.label)[0]
	day := first.Format(time.DateOnly)
	slots := e.url + "/api/v1/sites/bench/services/HOU/slots?from=" + day + "&to=" + day
	for _, c := range b.o.clients {
		client := httpClient(c)
		if err := b.pair(ctx, d, c, tag,
			stepTrivial, func(int) error { return get(client, b.ping) },
			stepSlots, func(int) error { return get(client, slots) }); err != nil {
			return err
		}
	}
	for _, c := range b.o.clients {
		client := httpClient(c)
		// Each booking a new mobile, so none is answered as a retry of another.
		offset, rawPhone, phone := e.nextPhones(b.o.requests), e.nextPhones(b.o.requests), e.nextPhones(b.o.requests)
		if err := b.pair(ctx, d, c, tag,
			stepRaw, func(i int) error { return e.rawBooking(ctx, offset+i, rawPhone+i) },
			stepBooking, func(i int) error {
				_, err := expectStatus(client, e.request("POST", "/api/v1/bookings", "", e.bookingBody(offset+i, phone+i)), 201)
				return err
			}); err != nil {
			return err
		}
	}
	if err := b.callNext(ctx, d, tag); err != nil {
		return err
	}
	if err := b.checkIn(ctx, d, tag); err != nil {
		return err
	}
	return b.report(ctx, d, tag)
}

// step measures op as one figure of d, with a CPU profile named profile.
func (b *bench) step(ctx context.Context, d *dataset, profile, name string, clients, n int, prep, op func(int) error) error {
	return b.prof.run(profile, func() error {
		f, err := measure(ctx, name, clients, n, prep, op)
		if err == nil {
			d.add(f)
		}
		return err
	})
}

func (b *bench) pair(ctx context.Context, d *dataset, clients int, tag, nameA string, a func(int) error, nameB string, op func(int) error) error {
	const parts = 3
	n := b.o.requests / parts
	var fa, fb figure
	for part := range parts {
		for _, s := range []struct {
			name string
			op   func(int) error
			into *figure
		}{{nameA, a, &fa}, {nameB, op, &fb}} {
			err := b.prof.run(fmt.Sprintf("%s-%s-%d-part%d", tag, slug(s.name), clients, part+1), func() error {
				f, err := measure(ctx, s.name, clients, n, nil, func(i int) error { return s.op(part*n + i) })
				if err == nil {
					*s.into = s.into.join(f)
				}
				return err
			})
			if err != nil {
				return err
			}
		}
	}
	fa.Name, fa.Clients, fb.Name, fb.Clients = nameA, clients, nameB, clients
	d.add(fa)
	d.add(fb)
	return nil
}

// slug names a step's profile file: "GET slots, one day" → "get-slots-one-day".
func slug(s string) string {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9') })
	return strings.Join(words, "-")
}

// rawBooking is the storage ceiling: the booking's own reads and writes
// (same-phone check, places taken, reference check, booking, its text) as a
// bare go-sqlite3 transaction on the one write connection with the same
// durability (WAL, synchronous=FULL, BEGIN IMMEDIATE), one per booking, no
// HTTP and none of the service's Go.
func (e *benchEnv) rawBooking(ctx context.Context, i, phoneNo int) error {
	at := e.starts[i%len(e.starts)].UnixMilli()
	phone := fmt.Sprintf("+4474%08d", phoneNo)
	return e.app.db.WithTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM bookings WHERE site_id = 'bench' AND service_code = 'HOU' AND start_at = ? AND phone = ? AND status <> 'cancelled'`, at, phone).Scan(&n); err != nil {
			return err
		}
		if err := tx.QueryRow(`SELECT COUNT(*) FROM bookings WHERE site_id = 'bench' AND service_code = 'HOU' AND start_at = ? AND status <> 'cancelled'`, at).Scan(&n); err != nil {
			return err
		}
		ref := "R" + rand.Text()[:9]
		if err := tx.QueryRow(`SELECT COUNT(*) FROM bookings WHERE reference = ?`, ref).Scan(&n); err != nil {
			return err
		}
		res, err := tx.Exec(`INSERT INTO bookings(reference, site_id, service_code, start_at, end_at, name, phone, email, needs, people, channel, status, salt, manage_hash, checkin_hash, created_by, created_at, updated_at)
			VALUES (?, 'bench', 'HOU', ?, ?, 'Load Test', ?, '', '{}', 1, 'online', 'booked', ?, ?, ?, 'public', ?, ?)`,
			ref, at, at+300000, phone, []byte(ref), []byte(ref), []byte(rand.Text()), at, at)
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		_, err = tx.Exec(`INSERT INTO messages(dedupe_key, purpose, site_id, booking_id, recipient, body, send_after, created_at, updated_at)
			VALUES (?, 'confirmation', 'bench', ?, ?, 'Booked: Housing, Tue 5 Jan, 9:00am at Bench Centre. Ref ABCDEF. Change or cancel: http://127.0.0.1/manage/ABCDEF/abcdefghijklmnopqrstuvwxyz', ?, ?, ?)`,
			fmt.Sprintf("booking:%d:confirmation:0", id), id, phone, at, at, at)
		return err
	})
}

// callNext: 20 desks pressing call-next, with the queue kept at 500 waiting
// tickets by writing one new arrival before each call (untimed, but it
// competes for the one writer as real arrivals do).
func (b *bench) callNext(ctx context.Context, d *dataset, tag string) error {
	e := b.env
	now := e.clock.Now()
	if err := e.addWaiting(ctx, 500, now); err != nil {
		return err
	}
	client := httpClient(benchDesks)
	err := b.step(ctx, d, tag+"-call-next", stepCallNext, benchDesks, b.o.requests/3,
		func(int) error { return e.addWaiting(ctx, 1, now) },
		func(i int) error {
			_, err := expectStatus(client, e.request("POST", fmt.Sprintf("/api/v1/desks/desk-%d/call-next", i%benchDesks+1), e.officer, nil), 200)
			return err
		})
	if err != nil {
		return err
	}
	return e.withdrawWaiting(ctx)
}

// addWaiting writes n waiting walk-in tickets straight into the table: the
// step measures calling, not the making of its queue.
func (e *benchEnv) addWaiting(ctx context.Context, n int, now time.Time) error {
	day := now.In(benchLondon).Format(time.DateOnly)
	return e.app.db.WithTx(ctx, func(tx *sql.Tx) error {
		var seq int
		if err := tx.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM tickets WHERE site_id = 'bench' AND local_day = ? AND letter = 'W'`, day).Scan(&seq); err != nil {
			return err
		}
		for i := range n {
			seq++
			arrived := now.Add(-time.Duration((seq*7919)%2400) * time.Second)
			if _, err := tx.Exec(`INSERT INTO tickets(site_id, service_code, local_day, letter, seq, number, kind, channel, arrived_at, due_at,
				appointment_target_s, first_contact_s, walk_in_target_s, status, updated_at, priority)
				VALUES ('bench', 'HOU', ?, 'W', ?, ?, 'walk_in', 'walk_in', ?, ?, 600, 600, 1800, 'waiting', ?, ?)`,
				day, seq, fmt.Sprintf("W%03d", seq), arrived.UnixMilli(), arrived.Add(30*time.Minute).UnixMilli(), arrived.UnixMilli(), i%50 == 0); err != nil {
				return err
			}
		}
		return nil
	})
}

// trimWaiting withdraws the oldest waiting tickets beyond the newest keep.
func (e *benchEnv) trimWaiting(ctx context.Context, keep int) error {
	return e.app.db.WithTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE tickets SET status = 'withdrawn', updated_at = ? WHERE site_id = 'bench' AND status = 'waiting'
			AND id NOT IN (SELECT id FROM tickets WHERE site_id = 'bench' AND status = 'waiting' ORDER BY id DESC LIMIT ?)`, e.clock.Now().UnixMilli(), keep)
		return err
	})
}

// withdrawWaiting ends a step's queue so that the next step starts with none.
func (e *benchEnv) withdrawWaiting(ctx context.Context) error {
	return e.app.db.WithTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE tickets SET status = 'withdrawn', updated_at = ? WHERE site_id = 'bench' AND status = 'waiting'`, e.clock.Now().UnixMilli())
		return err
	})
}

// checkIn: 16 kiosks checking in a day's bookings with about 200 people
// waiting, a very bad day at a large centre. The bookings are made first
// through the API (untimed), on the second day being booked, and the clock
// moves to that morning. Each check-in forecasts its wait by playing the
// whole queue forward, so its cost grows with the square of the queue:
// the oldest waiting beyond 200 are withdrawn between check-ins (untimed).
func (b *bench) checkIn(ctx context.Context, d *dataset, tag string) error {
	e := b.env
	n := b.o.requests / 3
	const first = 144 // the second day's first slot
	day := e.starts[first]
	phone := e.nextPhones(n)
	codes := make([]string, n)
	client := httpClient(64)
	if _, err := measure(ctx, "booking the day", 64, n, nil, func(i int) error {
		body, err := expectStatus(client, e.request("POST", "/api/v1/bookings", "", e.bookingBody(first+i%144, phone+i)), 201)
		if err != nil {
			return err
		}
		var a struct {
			Code string `json:"checkin_code"`
		}
		if err := json.Unmarshal(body, &a); err != nil || a.Code == "" {
			return fmt.Errorf("no check-in code in %.200s", body)
		}
		codes[i] = a.Code
		return nil
	}); err != nil {
		return err
	}
	if err := e.clock.Set(ctx, day.Add(-30*time.Minute)); err != nil {
		return err
	}
	kiosks := httpClient(16)
	trim := func(i int) error {
		if i%16 != 0 {
			return nil
		}
		return e.trimWaiting(ctx, 200)
	}
	err := b.step(ctx, d, tag+"-check-in", stepCheckIn, 16, n, trim, func(i int) error {
		_, err := expectStatus(kiosks, e.request("POST", "/api/v1/checkins", e.kiosk, map[string]string{"code": codes[i]}), 201)
		return err
	})
	if err != nil {
		return err
	}
	return e.withdrawWaiting(ctx)
}

// report: the standards report for the year before the bench's first day,
// as a manager asks for it: the first time (every ticket read), after a
// restart (closed days read back from standards_days), and again (from
// memory).
func (b *bench) report(ctx context.Context, d *dataset, tag string) error {
	e := b.env
	for _, step := range []struct {
		name    string
		n       int
		restart bool
	}{{stepReport1, 1, false}, {stepReportKp, 1, true}, {stepReport, 5, false}} {
		if step.restart {
			if err := e.restart(ctx); err != nil {
				return err
			}
		}
		client := httpClient(1)
		err := b.step(ctx, d, tag+"-"+slug(step.name), step.name, 1, step.n, nil, func(int) error {
			_, err := expectStatus(client, e.request("GET", "/api/v1/sites/bench/reports/standards?from=2026-01-04&to=2027-01-03", e.admin, nil), 200)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func get(c *http.Client, u string) error {
	req, _ := http.NewRequest("GET", u, nil)
	_, err := expectStatus(c, req, 200)
	return err
}

// trivialServer is the HTTP ceiling: chi answering a small JSON body on loopback.
func trivialServer() (string, func(), error) {
	r := chi.NewRouter()
	r.Get("/ping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: r}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/ping", func() { srv.Close() }, nil
}

// raiseOpenFiles lifts the open-files limit to its hard maximum: each lobby
// screen is two sockets in this process.
func raiseOpenFiles() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

func (b *bench) table(sets []*dataset) {
	w := tabwriter.NewWriter(b.out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(w, "step\tclients\t")
	for _, s := range sets {
		fmt.Fprintf(w, "%s: req/s\tp50 ms\tp99 ms\t", s.label)
	}
	fmt.Fprintln(w)
	seen := map[string]bool{}
	order := []string{stepTrivial, stepSlots, stepRaw, stepBooking, stepCallNext, stepCheckIn, stepReport1, stepReportKp, stepReport}
	for _, name := range order {
		for _, c := range append(append([]int{}, b.o.clients...), benchDesks, 16, 1) {
			k := key(name, c)
			if _, ok := sets[0].figures[k]; !ok || seen[k] {
				continue
			}
			seen[k] = true
			fmt.Fprintf(w, "%s\t%d\t", name, c)
			for _, s := range sets {
				f := s.figures[k]
				fmt.Fprintf(w, "%s\t%.2f\t%.2f\t", thousands(f.Rate()), f.Pct(50), f.Pct(99))
			}
			fmt.Fprintln(w)
		}
	}
	w.Flush()
}

// ratios prints each target of the issues beside what this run measured.
func (b *bench) ratios(sets []*dataset) {
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	for _, s := range sets {
		fmt.Fprintf(b.out, "%s:\n", s.label)
		for _, c := range b.o.clients {
			bk, raw := s.figures[key(stepBooking, c)], s.figures[key(stepRaw, c)]
			r := bk.Rate() / raw.Rate()
			fmt.Fprintf(b.out, "  booking / raw SQLite at %d clients: %.2f × (target ≥ 0.6: %s)", c, r, verdict(r >= 0.6))
			if c == 16 {
				fmt.Fprintf(b.out, "; p99 %.1f ms (target < 25 ms: %s)", bk.Pct(99), verdict(bk.Pct(99) < 25))
			}
			fmt.Fprintln(b.out)
		}
		for _, c := range b.o.clients {
			sl, tr := s.figures[key(stepSlots, c)], s.figures[key(stepTrivial, c)]
			r := sl.Rate() / tr.Rate()
			fmt.Fprintf(b.out, "  slots GET / trivial handler at %d clients: %.2f × (target ≥ 0.25: %s)\n", c, r, verdict(r >= 0.25))
		}
		first, kept, rep := s.figures[key(stepReport1, 1)], s.figures[key(stepReportKp, 1)], s.figures[key(stepReport, 1)]
		fmt.Fprintf(b.out, "  standards report over the year (target < 1 s): first %.0f ms (%s), after a restart %.0f ms (%s), again p50 %.0f ms (%s)\n",
			first.Pct(50), verdict(first.Pct(50) < 1000), kept.Pct(50), verdict(kept.Pct(50) < 1000), rep.Pct(50), verdict(rep.Pct(50) < 1000))
	}
}

func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
