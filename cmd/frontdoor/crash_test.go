package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// freeAddr is a loopback address nothing listens on just now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serveBinary starts `frontdoor serve --fake-clock` on db as a real process,
// as TestNotifyKilledProcess does: the test binary run again, whose test
// function sees crashServeEnv and runs main() with those arguments (so the
// process is the real program, built with the tests' flags, -race included,
// with no second build). It waits until /healthz answers; the process is
// killed at cleanup if still running.
func serveBinary(t *testing.T, test, db, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), crashServeEnv+"=serve --fake-clock --db "+db+" --addr "+addr+" --log-format json",
		"TWILIO_ACCOUNT_SID=", "TWILIO_AUTH_TOKEN=", "FRONTDOOR_SMS_FROM=")
	logs, err := os.Create(filepath.Join(t.TempDir(), "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logs.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logs.Name()); err == nil && len(b) > 0 {
				t.Logf("frontdoor serve (pid %d) logged:\n%s", cmd.Process.Pid, tail(string(b), 4000))
			}
		}
	})
	waitUntil(t, 30*time.Second, "frontdoor serve to answer on "+addr, func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	return cmd
}

// crashServeEnv carries the command line of a child process started by serveBinary.
const crashServeEnv = "FD_TEST_CRASH_SERVE"

// runAsChild runs main() with the arguments in crashServeEnv and exits, when
// this process is a child started by serveBinary.
func runAsChild() {
	if args, ok := os.LookupEnv(crashServeEnv); ok {
		os.Args = append([]string{"frontdoor"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// crashServices are the centre's services and how many appointments of each
// can run at once: small, so that clients racing for a slot get 409s.
var crashServices = []struct {
	Code, Letter string
	Minutes      int
	Parallel     int
}{
	{"HOU", "H", 20, 2},
	{"CTX", "C", 15, 3},
	{"BEN", "B", 30, 2},
}

const crashDesks = 4

// setupCrashCentre creates site "crash": three services, four desks serving
// them all, open 08:00–18:00 on weekdays, appointments 09:00–17:00.
func setupCrashCentre(s *testServer) {
	s.t.Helper()
	s.must(201, "POST", "/api/v1/sites", s.Admin, map[string]any{"id": "crash", "name": "Crash Centre", "address": "1 Test Street", "timezone": "Europe/London"})
	var codes []string
	for _, sv := range crashServices {
		s.must(201, "POST", "/api/v1/sites/crash/services", s.Admin, map[string]any{"code": sv.Code, "name": "Service " + sv.Code,
			"duration_minutes": sv.Minutes, "ticket_prefix": sv.Letter})
		codes = append(codes, sv.Code)
	}
	for i := 1; i <= crashDesks; i++ {
		s.must(201, "POST", "/api/v1/sites/crash/desks", s.Admin, map[string]any{"id": fmt.Sprintf("crash-desk-%d", i), "name": fmt.Sprintf("Desk %d", i), "services": codes})
	}
	days := []string{"monday", "tuesday", "wednesday", "thursday", "friday"}
	var weekly []map[string]string
	for _, d := range days {
		weekly = append(weekly, map[string]string{"weekday": d, "open": "08:00", "close": "18:00"})
	}
	s.must(200, "PUT", "/api/v1/sites/crash/hours", s.Admin, map[string]any{"weekly": weekly})
	for _, sv := range crashServices {
		var bands []map[string]any
		for _, d := range days {
			bands = append(bands, map[string]any{"weekday": d, "from": "09:00", "to": "17:00", "parallel": sv.Parallel})
		}
		s.must(200, "PUT", "/api/v1/sites/crash/services/"+sv.Code+"/capacity", s.Admin, map[string]any{"weekly": bands})
	}
}

type crashSlot struct {
	Service string
	Start   time.Time
}

// crashLoad is what the clients saw: what the server confirmed, and the
// requests the kill cut off.
type crashLoad struct {
	mu        sync.Mutex
	booked    []crashBooking            // 201s
	full      int                       // 409 slot_full
	cutOff    []map[string]any          // booking bodies in flight at the kill
	tickets   []string                  // walk-in tickets that got a 201
	calls     map[string]string         // ticket id → desk, from call-next 200s
	inFlight  int                       // requests of any kind started before the kill that got no answer
	requests  int                       // requests answered
	unexpects []string                  // answers no rule allows
	kill      atomic.Pointer[time.Time] // when the kill was sent
}

type crashBooking struct {
	Ref, Token, Phone string
	Slot              crashSlot
}

func (l *crashLoad) unexpected(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.unexpects) < 20 {
		l.unexpects = append(l.unexpects, fmt.Sprintf(format, args...))
	}
}

// sent records the end of a request begun at began; it reports whether an
// answer came (false: the connection died, the kill cut it off).
func (l *crashLoad) sent(began time.Time, err error) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.requests++
		return true
	}
	switch k := l.kill.Load(); {
	case k == nil:
		if len(l.unexpects) < 20 {
			l.unexpects = append(l.unexpects, fmt.Sprintf("request failed before the kill: %v", err))
		}
	case began.Before(*k):
		l.inFlight++
	}
	return false
}

// TestCrashKilledUnderLoad runs the real binary, drives bookings, walk-ins
// and calls from many clients at full speed, kills it with SIGKILL mid-load
// and starts it again on the same file: what the server confirmed is there,
// and no rule (capacity, one desk per ticket, one text per purpose) broke.
func TestCrashKilledUnderLoad(t *testing.T) {
	runAsChild()
	if testing.Short() {
		t.Skip("starts the real program and loads it for a few seconds")
	}
	began := time.Now()
	phase := func(what string) { t.Logf("%6.2fs %s", time.Since(began).Seconds(), what) }
	db := filepath.Join(t.TempDir(), "frontdoor.db")
	out, stderr, err := runCLI(t, "token", "create", "--role", "admin", "--name", "crash test", "--db", db)
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, stderr)
	}
	addr := freeAddr(t)
	const test = "TestCrashKilledUnderLoad"
	first := serveBinary(t, test, db, addr)
	s := &testServer{t: t, URL: "http://" + addr, Admin: strings.TrimSpace(out)}
	phase("started")

	// A Monday 09:00 at least a week ahead (the clock only moves forwards):
	// walk-ins arrive today, bookings go into Tuesday to Friday.
	day := time.Now().In(london).AddDate(0, 0, 7)
	for day.Weekday() != time.Monday {
		day = day.AddDate(0, 0, 1)
	}
	y, m, d := day.Date()
	s.must(200, "PUT", "/api/v1/clock", s.Admin, map[string]string{"now": time.Date(y, m, d, 9, 0, 0, 0, london).Format(time.RFC3339)})
	setupCrashCentre(s)
	capacity := map[string]int{}
	var slots []crashSlot
	for _, sv := range crashServices {
		capacity[sv.Code] = sv.Parallel
		var list struct {
			Slots []struct {
				Start time.Time `json:"start"`
			} `json:"slots"`
		}
		from, to := day.AddDate(0, 0, 1).Format("2006-01-02"), day.AddDate(0, 0, 4).Format("2006-01-02")
		s.must(200, "GET", "/api/v1/sites/crash/services/"+sv.Code+"/slots?from="+from+"&to="+to, "", nil).JSON(t, &list)
		for _, sl := range list.Slots {
			slots = append(slots, crashSlot{sv.Code, sl.Start})
		}
	}
	if len(slots) < 50 {
		t.Fatalf("only %d slots offered", len(slots))
	}

	phase("set up")
	load := &crashLoad{calls: map[string]string{}}
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	post := func(path, token string, body any) (response, error) {
		return s.clientSend(client, "POST", path, token, body)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var phones atomic.Int64
	// Residents booking: each request a new phone, a random slot.
	for range 8 {
		wg.Go(func() {
			for !stop.Load() {
				sl := slots[rand.IntN(len(slots))]
				phone := fmt.Sprintf("07400 %06d", phones.Add(1))
				body := map[string]any{"site": "crash", "service": sl.Service, "start": sl.Start.Format(time.RFC3339),
					"name": "Crash Resident", "phone": phone, "channel": "online"}
				began := time.Now()
				r, err := post("/api/v1/bookings", "", body)
				if !load.sent(began, err) {
					if k := load.kill.Load(); k != nil && began.Before(*k) {
						load.mu.Lock()
						load.cutOff = append(load.cutOff, body)
						load.mu.Unlock()
					}
					continue
				}
				switch r.Status {
				case http.StatusCreated:
					var b bookingAnswer
					if err := jsonUnmarshal(r.Body, &b); err != nil || b.Reference == "" || b.ManageToken == "" {
						load.unexpected("booking 201 without a reference: %s", r.Body)
						continue
					}
					load.mu.Lock()
					load.booked = append(load.booked, crashBooking{Ref: b.Reference, Token: b.ManageToken, Phone: b.Phone, Slot: sl})
					load.mu.Unlock()
				case http.StatusConflict:
					load.mu.Lock()
					load.full++
					load.mu.Unlock()
				default:
					load.unexpected("booking: %d %s", r.Status, r.Body)
				}
			}
		})
	}
	// Reception issuing walk-in tickets, some with a mobile for the "called" text.
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				body := map[string]any{"service": crashServices[rand.IntN(len(crashServices))].Code}
				if rand.IntN(2) == 0 {
					body["phone"] = fmt.Sprintf("07400 %06d", phones.Add(1))
				}
				began := time.Now()
				r, err := post("/api/v1/sites/crash/tickets", s.Admin, body)
				if !load.sent(began, err) {
					continue
				}
				var a arrivalAnswer
				if r.Status != http.StatusCreated || jsonUnmarshal(r.Body, &a) != nil || a.Ticket.ID == "" {
					load.unexpected("walk-in: %d %s", r.Status, r.Body)
					continue
				}
				load.mu.Lock()
				load.tickets = append(load.tickets, a.Ticket.ID)
				load.mu.Unlock()
			}
		})
	}
	// Desk officers pressing "call next" as fast as answers come.
	for i := 1; i <= crashDesks; i++ {
		desk := fmt.Sprintf("crash-desk-%d", i)
		wg.Go(func() {
			for !stop.Load() {
				began := time.Now()
				r, err := post("/api/v1/desks/"+desk+"/call-next", s.Admin, nil)
				if !load.sent(began, err) {
					continue
				}
				switch r.Status {
				case http.StatusOK:
					var a arrivalAnswer
					if jsonUnmarshal(r.Body, &a) != nil || a.Ticket.ID == "" {
						load.unexpected("call-next 200 without a ticket: %s", r.Body)
						continue
					}
					load.mu.Lock()
					if prev, ok := load.calls[a.Ticket.ID]; ok {
						load.unexpects = append(load.unexpects, fmt.Sprintf("ticket %s called at %s and again at %s", a.Ticket.ID, prev, desk))
					}
					load.calls[a.Ticket.ID] = desk
					load.mu.Unlock()
				case http.StatusNoContent:
					time.Sleep(2 * time.Millisecond)
				default:
					load.unexpected("call-next %s: %d %s", desk, r.Status, r.Body)
				}
			}
		})
	}

	// Let the load build, then kill the process where it stands.
	waitUntil(t, 15*time.Second, "the first bookings and calls", func() bool {
		load.mu.Lock()
		defer load.mu.Unlock()
		return len(load.booked) >= 20 && len(load.calls) >= 5
	})
	phase("load running")
	time.Sleep(time.Duration(1200+rand.IntN(800)) * time.Millisecond)
	killAt := time.Now()
	load.kill.Store(&killAt)
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	stop.Store(true)
	wg.Wait()
	client.CloseIdleConnections()
	for _, u := range load.unexpects {
		t.Errorf("under load: %s", u)
	}

	phase("killed")
	serveBinary(t, test, db, addr)
	phase("restarted")

	// Every booking the server confirmed is there, read with its own manage token.
	var found atomic.Int64
	var lost []string
	var lostMu sync.Mutex
	var check sync.WaitGroup
	work := make(chan crashBooking)
	for range 8 {
		check.Go(func() {
			for b := range work {
				r, err := s.clientSend(client, "GET", "/api/v1/bookings/"+b.Ref, b.Token, nil)
				var got bookingAnswer
				if err == nil && r.Status == 200 && jsonUnmarshal(r.Body, &got) == nil && got.Reference == b.Ref &&
					got.Start.Equal(b.Slot.Start) && got.Status == "booked" {
					found.Add(1)
					continue
				}
				lostMu.Lock()
				lost = append(lost, fmt.Sprintf("%s (%v %d %s)", b.Ref, err, r.Status, r.Body))
				lostMu.Unlock()
			}
		})
	}
	for _, b := range load.booked {
		work <- b
	}
	close(work)
	check.Wait()
	for _, l := range lost {
		t.Errorf("booking confirmed before the kill is gone: %s", l)
	}

	// A resident whose request the kill cut off tries again: they get their
	// booking (made before the kill, or now) or a full slot, never two.
	retried := map[int]int{}
	for _, body := range load.cutOff {
		r, err := s.clientSend(client, "POST", "/api/v1/bookings", "", body)
		if err != nil {
			t.Fatal(err)
		}
		retried[r.Status]++
		if r.Status != 200 && r.Status != 201 && r.Status != 409 {
			t.Errorf("retry after restart: %d %s", r.Status, r.Body)
		}
	}

	// The rules, read straight from the file while the restarted server runs.
	sqlDB, err := sql.Open("sqlite3", "file:"+db+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	rows := func(query string, args ...any) []string {
		t.Helper()
		rs, err := sqlDB.Query(query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rs.Close()
		cols, _ := rs.Columns()
		var out []string
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(vals...))
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := rows(`PRAGMA integrity_check`); len(got) != 1 || got[0] != "ok" {
		t.Errorf("integrity_check: %v", got)
	}
	for _, sv := range crashServices {
		for _, r := range rows(`SELECT start_at, COUNT(*) FROM bookings WHERE site_id = 'crash' AND service_code = ? AND status <> 'cancelled'
			GROUP BY start_at HAVING COUNT(*) > ?`, sv.Code, capacity[sv.Code]) {
			t.Errorf("%s slot over its capacity of %d: start_at, bookings = %s", sv.Code, capacity[sv.Code], r)
		}
	}
	for _, r := range rows(`SELECT phone, COUNT(*) FROM bookings GROUP BY phone HAVING COUNT(*) > 1`) {
		t.Errorf("one resident's request booked twice: phone, bookings = %s", r)
	}
	for _, r := range rows(`SELECT b.reference, (SELECT COUNT(*) FROM messages m WHERE m.booking_id = b.id AND m.purpose = 'confirmation') AS n
		FROM bookings b WHERE n <> 1`) {
		t.Errorf("booking without exactly one confirmation text: reference, texts = %s", r)
	}
	for _, r := range rows(`SELECT dedupe_key, COUNT(*) FROM messages GROUP BY dedupe_key HAVING COUNT(*) > 1`) {
		t.Errorf("text queued twice: %s", r)
	}
	for _, r := range rows(`SELECT ticket_id, COUNT(*), COUNT(DISTINCT desk_id) FROM ticket_events WHERE kind = 'called'
		GROUP BY ticket_id HAVING COUNT(*) > 1 OR COUNT(DISTINCT desk_id) > 1`) {
		t.Errorf("ticket called more than once or to two desks: ticket, calls, desks = %s", r)
	}
	for _, r := range rows(`SELECT desk_id, COUNT(*) FROM tickets WHERE status IN ('called', 'serving') GROUP BY desk_id HAVING COUNT(*) > 1`) {
		t.Errorf("desk with two visits open: %s", r)
	}
	for _, r := range rows(`SELECT t.number, (SELECT COUNT(*) FROM messages m WHERE m.ticket_id = t.id AND m.purpose = 'called') AS n
		FROM tickets t WHERE t.phone <> '' AND t.first_called_at IS NOT NULL AND n <> 1`) {
		t.Errorf("called ticket with a mobile without exactly one \"called\" text: number, texts = %s", r)
	}
	calledAt := map[string]string{}
	for _, r := range rows(`SELECT ticket_id || ' ' || desk_id FROM ticket_events WHERE kind = 'called'`) {
		id, desk, _ := strings.Cut(r, " ")
		calledAt[id] = desk
	}
	for id, desk := range load.calls {
		if calledAt[id] != desk {
			t.Errorf("call of ticket %s to %s was answered 200 but the event log has %q", id, desk, calledAt[id])
		}
	}
	issued := map[string]bool{}
	for _, r := range rows(`SELECT id FROM tickets WHERE site_id = 'crash'`) {
		issued[r] = true
	}
	for _, id := range load.tickets {
		if !issued[id] {
			t.Errorf("walk-in ticket %s got a 201 but is gone", id)
		}
	}
	phase("checked")
	// The restarted server carries on.
	if r := s.do("POST", "/api/v1/desks/crash-desk-1/call-next", s.Admin, nil); r.Status != 200 && r.Status != 204 {
		t.Errorf("call-next after restart: %d %s", r.Status, r.Body)
	}

	summary := fmt.Sprintf("crash test: %d requests in flight at the kill, %d bookings confirmed, %d found after restart, "+
		"%d tickets called once each (%d answered requests, %d slot_full, %d walk-ins; retries of cut-off bookings: %v)",
		load.inFlight, len(load.booked), found.Load(), len(calledAt), load.requests, load.full, len(load.tickets), retried)
	t.Log(summary)
	fmt.Fprintln(os.Stdout, summary)
	if len(load.booked) == 0 || len(load.calls) == 0 {
		t.Errorf("the load did too little to prove anything")
	}
}

// clientSend is send through a given client (a bigger connection pool);
// body is nil or a value sent as JSON.
func (s *testServer) clientSend(c *http.Client, method, path, token string, body any) (response, error) {
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return roundTrip(c, req)
}

func jsonUnmarshal(b []byte, v any) error {
	if len(b) == 0 {
		return errors.New("empty body")
	}
	return json.Unmarshal(b, v)
}
