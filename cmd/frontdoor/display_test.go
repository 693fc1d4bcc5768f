package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"frontdoor"
)

// The display's tests: the lobby and staff event streams over real HTTP
// on 127.0.0.1, against the real queue and a real SQLite file.

// sseEvent is one dispatched server-sent event.
type sseEvent struct {
	ID    string // its id field, "" when it had none
	Event string
	Data  string
}

func (e sseEvent) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(e.Data), &m); err != nil {
		t.Fatalf("event %s: data is not JSON: %v\n%s", e.Event, err, e.Data)
	}
	return m
}

func (e sseEvent) id(t testing.TB) int64 {
	t.Helper()
	n, err := strconv.ParseInt(e.ID, 10, 64)
	if err != nil {
		t.Fatalf("event %s has id %q", e.Event, e.ID)
	}
	return n
}

// parseSSE reads events from r until it ends, calling fn for each; comments
// and retry lines are skipped.
func parseSSE(r *bufio.Reader, fn func(sseEvent) bool) error {
	var ev sseEvent
	var data []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			if len(data) > 0 || ev.Event != "" {
				ev.Data = strings.Join(data, "\n")
				if !fn(ev) {
					return nil
				}
			}
			ev, data = sseEvent{}, nil
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			ev.ID = value
		case "event":
			ev.Event = value
		case "data":
			data = append(data, value)
		}
	}
}

// sseClient is a stream opened with net/http, every byte kept.
type sseClient struct {
	t      testing.TB
	Status int
	Header http.Header
	events chan sseEvent
	done   chan struct{}
	cancel context.CancelFunc
	mu     sync.Mutex
	raw    bytes.Buffer
}

type teeReader struct {
	r io.Reader
	c *sseClient
}

func (t teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.c.mu.Lock()
	t.c.raw.Write(p[:n])
	t.c.mu.Unlock()
	return n, err
}

// openStream opens path (a stream) with token (as a bearer token, if any)
// and headers as name, value pairs. A refusal is read whole.
func (s *testServer) openStream(path, token string, headers ...string) *sseClient {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", s.URL+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	c := &sseClient{t: s.t, events: make(chan sseEvent, 4096), done: make(chan struct{}), cancel: cancel}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		s.t.Fatalf("GET %s: %v", path, err)
	}
	c.Status, c.Header = resp.StatusCode, resp.Header
	s.t.Cleanup(c.close)
	if resp.StatusCode != http.StatusOK {
		io.Copy(&c.raw, resp.Body)
		resp.Body.Close()
		close(c.events)
		close(c.done)
		return c
	}
	go func() {
		defer close(c.done)
		defer close(c.events)
		defer resp.Body.Close()
		parseSSE(bufio.NewReader(teeReader{resp.Body, c}), func(e sseEvent) bool {
			c.events <- e
			return true
		})
	}()
	return c
}

// close hangs up and waits for the reader to finish.
func (c *sseClient) close() {
	c.cancel()
	<-c.done
}

// Raw is every byte received so far.
func (c *sseClient) Raw() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.raw.String()
}

// eventGuard bounds a wait for an event, so that a broken stream fails the
// test instead of hanging it. It is not a timing assertion.
const eventGuard = 30 * time.Second

// next is the next event; the test fails if the stream ends first.
func (c *sseClient) next() sseEvent {
	c.t.Helper()
	select {
	case e, ok := <-c.events:
		if !ok {
			c.t.Fatalf("the stream ended; it sent:\n%s", c.Raw())
		}
		return e
	case <-time.After(eventGuard):
		c.t.Fatalf("no event in %s; the stream sent:\n%s", eventGuard, c.Raw())
	}
	return sseEvent{}
}

// until reads events up to and including the first that match accepts, and
// returns them all.
func (c *sseClient) until(match func(sseEvent) bool) []sseEvent {
	c.t.Helper()
	var got []sseEvent
	for {
		e := c.next()
		got = append(got, e)
		if match(e) {
			return got
		}
	}
}

// callOf matches a called or recalled event for ticket number.
func callOf(kind, number string) func(sseEvent) bool {
	return func(e sseEvent) bool {
		if e.Event != kind {
			return false
		}
		var d struct{ Number string }
		json.Unmarshal([]byte(e.Data), &d)
		return d.Number == number
	}
}

func kindIs(kind string) func(sseEvent) bool {
	return func(e sseEvent) bool { return e.Event == kind }
}

// calls keeps the called and recalled events of evs.
func calls(evs []sseEvent) []sseEvent {
	var out []sseEvent
	for _, e := range evs {
		if e.Event == "called" || e.Event == "recalled" {
			out = append(out, e)
		}
	}
	return out
}

// displayServer is queueServer (City Hall on a Monday at 09:00, two desks),
// with the app stopped before the HTTP server closes: httptest's Close waits
// for open streams, and the streams end when the app stops.
func displayServer(t *testing.T) *testServer {
	t.Helper()
	s := queueServer(t, time.Date(2026, 11, 30, 9, 0, 0, 0, london))
	t.Cleanup(s.app.stop) // runs before the harness's stop: cleanups run last-registered first
	return s
}

func TestDisplayStreamShowsCallsWithNumberAndDesk(t *testing.T) {
	s := displayServer(t)
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	st := s.openStream("/api/v1/sites/city-hall/events", "")
	if st.Status != 200 || !strings.HasPrefix(st.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", st.Status, st.Header.Get("Content-Type"))
	}
	board := st.next()
	if board.Event != "board" {
		t.Fatalf("first event %q, want the board", board.Event)
	}
	if cs := board.json(t)["calls"].([]any); len(cs) != 0 {
		t.Errorf("board before any call: %v", cs)
	}
	if e := st.next(); e.Event != "figures" {
		t.Errorf("second event %q, want figures", e.Event)
	}

	s.walkIn("HOU")
	before := time.Now()
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil)
	got := st.until(kindIs("called"))
	called := got[len(got)-1]
	var d struct {
		Number, Desk, At, Name, Phone string
	}
	json.Unmarshal([]byte(called.Data), &d)
	if d.Number != "H001" || d.Desk != "Desk 1" {
		t.Errorf("called %s, want H001 to Desk 1", called.Data)
	}
	if _, err := time.Parse(time.RFC3339, d.At); err != nil {
		t.Errorf("at %q: %v", d.At, err)
	}
	var logged int64
	s.app.db.Read.QueryRow(`SELECT id FROM ticket_events WHERE kind = 'called'`).Scan(&logged)
	if called.id(t) != logged {
		t.Errorf("event id %s, want the log's %d", called.ID, logged)
	}
	t.Logf("call reached the stream %s after the API call began", time.Since(before))
	metrics := string(s.must(200, "GET", "/metrics", "", nil).Body)
	for _, want := range []string{"frontdoor_display_streams 1\n", "frontdoor_display_events_published_total 2\n", "frontdoor_display_streams_dropped_total 0\n"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics has no %q", strings.TrimSpace(want))
		}
	}

	s.must(200, "POST", "/api/v1/tickets/"+strconv.FormatInt(ticketOf(t, called), 10)+"/recall", officer, nil)
	if e := st.until(kindIs("recalled")); !callOf("recalled", "H001")(e[len(e)-1]) {
		t.Errorf("recall: %v", e[len(e)-1])
	}
	// Figures follow the changes, with the waiting count per service.
	figs := st.until(kindIs("figures"))
	var f struct {
		Services []struct {
			Service  string `json:"service"`
			Waiting  *int   `json:"waiting"`
			WaitText string `json:"wait_text"`
		} `json:"services"`
	}
	json.Unmarshal([]byte(figs[len(figs)-1].Data), &f)
	if len(f.Services) != 2 || f.Services[0].Waiting == nil || f.Services[0].WaitText == "" {
		t.Errorf("figures %s", figs[len(figs)-1].Data)
	}
}

func ticketOf(t *testing.T, e sseEvent) int64 {
	t.Helper()
	id, err := strconv.ParseInt(fmt.Sprint(e.json(t)["ticket"]), 10, 64)
	if err != nil {
		t.Fatalf("event without a ticket: %s", e.Data)
	}
	return id
}

func TestDisplayStreamResumesWithLastEventID(t *testing.T) {
	s := displayServer(t)
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	for range 5 {
		s.walkIn("HOU")
	}
	st := s.openStream("/api/v1/sites/city-hall/events", "")
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil) // H001
	first := st.until(kindIs("called"))
	resumeAt := first[len(first)-1].ID
	st.close()

	// While the screen is away: two calls, a recall, and staff events
	// (the visit finished by the next call, a start) it must not see.
	s.must(200, "POST", "/api/v1/desks/desk-2/call-next", officer, nil) // H002
	var h1 int64
	s.app.db.Read.QueryRow(`SELECT id FROM tickets WHERE number = 'H001'`).Scan(&h1)
	s.must(200, "POST", fmt.Sprintf("/api/v1/tickets/%d/recall", h1), officer, nil)
	s.must(200, "POST", fmt.Sprintf("/api/v1/tickets/%d/start", h1), officer, nil)
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil) // finishes H001, calls H003
	var missed []int64
	rows, err := s.app.db.Read.Query(`SELECT id FROM ticket_events WHERE kind IN ('called', 'recalled') AND id > ? ORDER BY id`, resumeAt)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		missed = append(missed, id)
	}
	rows.Close()
	if len(missed) != 3 {
		t.Fatalf("the log has %d calls after %s, want 3", len(missed), resumeAt)
	}

	for _, how := range []struct {
		name    string
		path    string
		headers []string
	}{
		{"Last-Event-ID header", "/api/v1/sites/city-hall/events", []string{"Last-Event-ID", resumeAt}},
		{"last_event_id query", "/api/v1/sites/city-hall/events?last_event_id=" + resumeAt, nil},
		// EventSource puts the first id in the URL and later ones in the header: the header wins.
		{"header over query", "/api/v1/sites/city-hall/events?last_event_id=0", []string{"Last-Event-ID", resumeAt}},
	} {
		func() {
			back := s.openStream(how.path, "", how.headers...)
			// The replay, then a live call: every call once, in order.
			var live string
			switch how.name {
			case "Last-Event-ID header":
				s.must(200, "POST", "/api/v1/desks/desk-2/call-next", officer, nil) // H004
				live = "H004"
			case "last_event_id query":
				s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil) // H005
				live = "H005"
			default:
				s.must(201, "POST", "/api/v1/sites/city-hall/tickets", s.Admin, map[string]any{"service": "CTX"})
				s.must(200, "POST", "/api/v1/desks/desk-2/call-next", officer, nil) // C001
				live = "C001"
			}
			got := back.until(callOf("called", live))
			for _, e := range got {
				if e.Event == "board" {
					t.Errorf("%s: a resuming screen got the board: %s", how.name, e.Data)
				}
			}
			cs := calls(got)
			var ids []int64
			for _, e := range cs {
				ids = append(ids, e.id(t))
			}
			if len(ids) != len(missed)+1 {
				t.Fatalf("%s: calls after resuming: %v, want the missed %v then the live one\n%s", how.name, ids, missed, back.Raw())
			}
			for i, id := range missed {
				if ids[i] != id {
					t.Errorf("%s: call %d: id %d, want %d", how.name, i, ids[i], id)
				}
				if cs[i].json(t)["replay"] != true {
					t.Errorf("%s: missed call %d not marked as a replay: %s", how.name, id, cs[i].Data)
				}
			}
			liveID := ids[len(ids)-1]
			if liveID <= missed[len(missed)-1] || cs[len(cs)-1].json(t)["replay"] != nil {
				t.Errorf("%s: live call %d is not a new event after the replay", how.name, liveID)
			}
			// The next resume from the same point misses this one too.
			missed = append(missed, liveID)
			back.close()
		}()
	}
}

// Screens that keep dropping and resuming while a desk calls one visitor
// after another still see every call exactly once, in the log's order.
func TestDisplayStreamResumeUnderLoadLosesNothing(t *testing.T) {
	s := displayServer(t)
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	const visitors = 40
	for i := range visitors {
		s.walkIn([]string{"HOU", "CTX"}[i%2])
	}
	var desks sync.WaitGroup
	callAll := func() {
		for i := range visitors {
			r, err := s.send("POST", "/api/v1/desks/desk-1/call-next", officer, nil)
			if err != nil || r.Status != 200 {
				t.Errorf("call %d: %v %d", i, err, r.Status)
				return
			}
			if i%5 == 0 {
				var a arrivalAnswer
				json.Unmarshal(r.Body, &a)
				s.send("POST", "/api/v1/tickets/"+a.Ticket.ID+"/recall", officer, nil)
			}
		}
	}
	var seen []int64
	last := ""
	finished := make(chan struct{})
	lastCall := func() int64 {
		var id int64
		s.app.db.Read.QueryRow(`SELECT COALESCE(MAX(id), 0) FROM ticket_events WHERE kind IN ('called', 'recalled')`).Scan(&id)
		return id
	}
	done := false
	for round := 0; ; round++ {
		var headers []string
		if last != "" {
			headers = []string{"Last-Event-ID", last}
		}
		st := s.openStream("/api/v1/sites/city-hall/events", "", headers...)
		if round == 0 {
			// The desk starts once the first screen is connected, so every
			// call reaches it live or by resume, none only through its board.
			desks.Go(callAll)
			go func() { desks.Wait(); close(finished) }()
		}
		take := 1 + round%3 // calls to read before hanging up
		wait := finished
		if done {
			wait = nil
		}
		for (take > 0 || done) && !(done && len(seen) > 0 && seen[len(seen)-1] == lastCall()) {
			select {
			case e, ok := <-st.events:
				if !ok {
					t.Fatalf("round %d: the stream ended", round)
				}
				if e.ID != "" {
					last = e.ID
				}
				if e.Event == "board" && round > 0 {
					t.Fatalf("round %d: a resuming screen got the board", round)
				}
				if e.Event == "called" || e.Event == "recalled" {
					seen = append(seen, e.id(t))
					take--
				}
			case <-wait:
				done, wait = true, nil // the desk has finished: read on to its last call
			case <-time.After(eventGuard):
				t.Fatalf("round %d: no event in %s", round, eventGuard)
			}
		}
		st.close()
		if done && len(seen) > 0 && seen[len(seen)-1] == lastCall() {
			break
		}
	}
	var logged []int64
	rows, err := s.app.db.Read.Query(`SELECT id FROM ticket_events WHERE kind IN ('called', 'recalled') ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		logged = append(logged, id)
	}
	rows.Close()
	if !slices.Equal(seen, logged) {
		t.Errorf("the screens saw %d calls %v\nthe log has %d %v", len(seen), seen, len(logged), logged)
	}
}

func TestDisplayLobbyStreamNeverCarriesStaffEvents(t *testing.T) {
	s := displayServer(t)
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	reception := s.token(frontdoor.RoleReception, "city-hall")
	lobby := s.openStream("/api/v1/sites/city-hall/events", "")
	console := s.openStream("/api/v1/sites/city-hall/staff-events", reception)
	if console.Status != 200 {
		t.Fatalf("staff stream: %d %s", console.Status, console.Raw())
	}

	// Every kind of change the queue makes.
	a := s.walkIn("HOU") // H001
	b := s.walkIn("CTX") // C001
	s.walkIn("HOU")      // H002
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil)
	s.must(200, "POST", "/api/v1/tickets/"+a.Ticket.ID+"/recall", officer, nil)
	s.must(200, "POST", "/api/v1/tickets/"+a.Ticket.ID+"/start", officer, nil)
	s.must(201, "POST", "/api/v1/desks/desk-1/emergency", officer, map[string]string{"message": "Need help at desk 1"})
	s.must(200, "POST", "/api/v1/tickets/"+a.Ticket.ID+"/finish", officer, map[string]any{"outcome": "resolved"})
	s.must(200, "POST", "/api/v1/tickets/"+b.Ticket.ID+"/transfer", officer, map[string]any{"service": "HOU"})
	s.must(200, "POST", "/api/v1/desks/desk-2/call-next", officer, nil)
	var called arrivalAnswer
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil).JSON(t, &called)
	s.must(200, "POST", "/api/v1/tickets/"+called.Ticket.ID+"/no-show", officer, nil)
	// A marker: the last call, after everything else.
	s.walkIn("CTX") // C002
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil)
	marker := callOf("called", "C002")

	public := map[string]bool{"board": true, "figures": true, "called": true, "recalled": true}
	check := func(name string, evs []sseEvent) {
		for _, e := range evs {
			if !public[e.Event] {
				t.Errorf("%s carried a %q event: %s", name, e.Event, e.Data)
			}
		}
	}
	check("the lobby stream", lobby.until(marker))

	staffKinds := map[string]bool{}
	for _, e := range console.until(marker) {
		staffKinds[e.Event] = true
	}
	for _, k := range []string{"arrived", "called", "recalled", "started", "emergency", "finished", "transferred", "no_show"} {
		if !staffKinds[k] {
			t.Errorf("the staff stream carried no %q event (it carried %v)", k, staffKinds)
		}
	}

	// Nor does a replay of the whole log.
	replay := s.openStream("/api/v1/sites/city-hall/events", "", "Last-Event-ID", "0")
	check("the lobby replay", replay.until(marker))
	if !strings.Contains(console.Raw(), "Need help at desk 1") || strings.Contains(lobby.Raw()+replay.Raw(), "emergency") {
		t.Error("the emergency alert is not where it belongs")
	}
}

func TestDisplayStreamAccess(t *testing.T) {
	s := displayServer(t)
	s.must(201, "POST", "/api/v1/sites", s.Admin, map[string]any{"id": "annexe", "name": "Annexe", "address": "2 Side Street",
		"timezone": "Europe/London", "display_token_required": true})
	s.must(201, "POST", "/api/v1/sites/annexe/services", s.Admin, map[string]any{"code": "HOU", "name": "Housing options", "duration_minutes": 20, "ticket_prefix": "H"})
	screen := s.token(frontdoor.RoleDevice, "annexe")
	otherScreen := s.token(frontdoor.RoleDevice, "city-hall")
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	officerThere := s.token(frontdoor.RoleOfficer, "annexe")

	for _, c := range []struct {
		name, path, token string
		status            int
	}{
		{"lobby, open site, no token", "/api/v1/sites/city-hall/events", "", 200},
		{"lobby, unknown site", "/api/v1/sites/nowhere/events", "", 404},
		{"lobby, token site, no token", "/api/v1/sites/annexe/events", "", 401},
		{"lobby, token site, another site's screen", "/api/v1/sites/annexe/events", otherScreen, 403},
		{"lobby, token site, bearer", "/api/v1/sites/annexe/events", screen, 200},
		{"lobby, token site, ?token=", "/api/v1/sites/annexe/events?token=" + screen, "", 200},
		{"lobby, token site, staff of the site", "/api/v1/sites/annexe/events", officerThere, 200},
		{"lobby, bad Last-Event-ID", "/api/v1/sites/city-hall/events?last_event_id=yesterday", "", 400},
		{"staff, no credentials", "/api/v1/sites/city-hall/staff-events", "", 401},
		{"staff, a screen's token", "/api/v1/sites/city-hall/staff-events", otherScreen, 403},
		{"staff, ?token= is not for consoles", "/api/v1/sites/city-hall/staff-events?token=" + officer, "", 401},
		{"staff, another site's officer", "/api/v1/sites/city-hall/staff-events", officerThere, 403},
		{"staff, officer", "/api/v1/sites/city-hall/staff-events", officer, 200},
		{"page, open site", "/sites/city-hall/display", "", 200},
		{"page, token site, no token", "/sites/annexe/display", "", 401},
		{"page, token site, ?token=", "/sites/annexe/display?token=" + screen, "", 200},
		{"page, unknown site", "/sites/nowhere/display", "", 404},
	} {
		if strings.HasPrefix(c.path, "/sites/") {
			if r := s.do("GET", c.path, c.token, nil); r.Status != c.status {
				t.Errorf("%s: %d, want %d", c.name, r.Status, c.status)
			}
			continue
		}
		st := s.openStream(c.path, c.token)
		if st.Status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.name, st.Status, c.status, st.Raw())
		}
		st.close()
	}
	// A token-requiring screen's page hands its token on to its stream.
	page := string(s.do("GET", "/sites/annexe/display?token="+screen, "", nil).Body)
	if !strings.Contains(page, `data-stream="/api/v1/sites/annexe/events?token=`+screen+`"`) {
		t.Errorf("the page does not pass its token to the stream")
	}
}

func TestDisplayEmergencyAlert(t *testing.T) {
	s := displayServer(t)
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	console := s.openStream("/api/v1/sites/city-hall/staff-events", officer)
	s.walkIn("HOU")
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil)

	var a struct {
		Alert struct {
			ID     int64  `json:"id"`
			Desk   string `json:"desk"`
			Number string `json:"number"`
			Logged bool   `json:"logged"`
		} `json:"alert"`
	}
	s.must(201, "POST", "/api/v1/desks/desk-1/emergency", officer, nil).JSON(t, &a)
	if !a.Alert.Logged || a.Alert.Desk != "desk-1" || a.Alert.Number != "H001" {
		t.Errorf("alert %+v", a.Alert)
	}
	got := console.until(kindIs("emergency"))
	e := got[len(got)-1]
	if e.id(t) != a.Alert.ID || e.json(t)["desk"] != "Desk 1" {
		t.Errorf("emergency event %s %s, want id %d at Desk 1", e.ID, e.Data, a.Alert.ID)
	}
	// A console that reconnects gets it from the log.
	again := s.openStream("/api/v1/sites/city-hall/staff-events", officer, "Last-Event-ID", strconv.FormatInt(a.Alert.ID-1, 10))
	if e := again.until(kindIs("emergency")); e[len(e)-1].ID != strconv.FormatInt(a.Alert.ID, 10) {
		t.Errorf("replayed emergency %v", e)
	}

	for _, c := range []struct {
		name, desk, token string
		body              any
		status            int
	}{
		{"no credentials", "desk-1", "", nil, 401},
		{"a screen", "desk-1", s.token(frontdoor.RoleDevice, "city-hall"), nil, 403},
		{"unknown desk", "desk-9", officer, nil, 404},
		{"message too long", "desk-1", officer, map[string]string{"message": strings.Repeat("x", 201)}, 400},
		{"reception", "desk-2", s.token(frontdoor.RoleReception, "city-hall"), map[string]string{"message": "Help"}, 201},
	} {
		if r := s.do("POST", "/api/v1/desks/"+c.desk+"/emergency", c.token, c.body); r.Status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.name, r.Status, c.status, r.Body)
		}
	}
}

func TestDisplayNeverShowsPersonalData(t *testing.T) {
	s := bookingServer(t, monday)
	t.Cleanup(s.app.stop)
	const name, phone, mobile = "Zebedee Quixote-Farnsworth", "07700 900987", "07700 900654"
	phoneForms := []string{"07700 900987", "07700900987", "+447700900987", "447700900987", "900987",
		"07700 900654", "07700900654", "+447700900654", "900654"}
	body := bookBody(time.Date(2026, 11, 30, 10, 20, 0, 0, london), phone)
	body["name"], body["email"], body["needs"] = name, "zebedee@example.org", "Interpreter: Farsi"
	var b bookingAnswer
	s.must(201, "POST", "/api/v1/bookings", "", body).JSON(t, &b)

	lobby := s.openStream("/api/v1/sites/city-hall/events", "")
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	s.app.fake.Set(t.Context(), time.Date(2026, 11, 30, 10, 15, 0, 0, london))
	s.must(201, "POST", "/api/v1/checkins", s.token(frontdoor.RoleDevice, "city-hall"), map[string]string{"code": b.CheckinCode})
	s.must(201, "POST", "/api/v1/sites/city-hall/tickets", s.Admin, map[string]any{"service": "CTX", "phone": mobile})
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil)
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil)
	n := 0
	lobby.until(func(e sseEvent) bool {
		if e.Event == "called" {
			n++
		}
		return n == 2
	})
	replay := s.openStream("/api/v1/sites/city-hall/events", "", "Last-Event-ID", "0")
	replay.until(func(e sseEvent) bool { return e.Event == "figures" })
	fresh := s.openStream("/api/v1/sites/city-hall/events", "")
	fresh.until(kindIs("figures"))
	page := string(s.do("GET", "/sites/city-hall/display", "", nil).Body)

	for what, text := range map[string]string{"the live stream": lobby.Raw(), "the replay": replay.Raw(),
		"the board": fresh.Raw(), "the lobby page": page} {
		if !strings.Contains(text, "H001") || !strings.Contains(text, "C001") {
			t.Errorf("%s does not show both calls:\n%s", what, text)
		}
		low := strings.ToLower(text)
		for _, secret := range append([]string{name, "zebedee", "quixote", "farnsworth", "farsi", "example.org", b.Reference, b.CheckinCode, b.ManageToken}, phoneForms...) {
			if strings.Contains(low, strings.ToLower(secret)) {
				t.Errorf("%s contains %q", what, secret)
			}
		}
	}
}

func TestDisplayLobbyPageWorksWithoutJavaScript(t *testing.T) {
	s := displayServer(t)
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	s.walkIn("HOU")
	s.walkIn("CTX")
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil)
	s.must(200, "POST", "/api/v1/desks/desk-2/call-next", officer, nil)
	r := s.do("GET", "/sites/city-hall/display", "", nil)
	page := string(r.Body)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("lobby page: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`<noscript><meta http-equiv="refresh" content="10"></noscript>`,
		`lang="en-GB"`, "City Hall", "Now calling", "Please go to <strong>Desk 2</strong>", // the newest call
		"Recent calls", "Desk 1", "Waiting now", "Housing options", `data-zone="Europe/London"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page has no %q", want)
		}
	}
	if strings.Index(page, "C001") > strings.Index(page, "H001") {
		t.Error("the newest call (C001) is not shown first")
	}
	if strings.Contains(page, "govuk-template") || strings.Contains(page, "Sign out") {
		t.Error("the lobby screen has the staff page chrome")
	}
	for _, asset := range []string{"lobby.js", "lobby.css"} {
		i := strings.Index(page, "/display-assets/"+asset)
		if i < 0 {
			t.Errorf("the page does not load %s", asset)
			continue
		}
		path := page[i : i+strings.IndexByte(page[i:], '"')]
		if a := s.do("GET", path, "", nil); a.Status != 200 || len(a.Body) == 0 {
			t.Errorf("%s: %d", path, a.Status)
		}
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

func TestDisplayStreamsEndWhenTheServiceStops(t *testing.T) {
	s := displayServer(t)
	lobby := s.openStream("/api/v1/sites/city-hall/events", "")
	console := s.openStream("/api/v1/sites/city-hall/staff-events", s.Admin)
	lobby.next()
	console.next()
	s.app.stop()
	for _, st := range []*sseClient{lobby, console} {
		select {
		case <-st.done:
		case <-time.After(eventGuard):
			t.Fatal("a stream is still open after the service stopped")
		}
	}
}

// smallBuffers gives the connections it accepts while small is set a small
// send buffer, so that a client that stops reading fills it after a few events.
type smallBuffers struct {
	net.Listener
	small *atomic.Bool
}

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && l.small.Load() {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

// startOn runs the service on ln with http.Server as serve does (streams end
// when the app stops, so shutdown does not wait for them).
func startOn(t testing.TB, cfg config, ln net.Listener) *testServer {
	t.Helper()
	a, err := newApp(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: a.handler, BaseContext: func(net.Listener) context.Context { return a.ctx }}
	go srv.Serve(ln)
	url := "http://" + ln.Addr().String()
	a.cfg.BaseURL, a.booking.BaseURL = url, url
	s := &testServer{t: t, app: a, URL: url}
	s.stop = sync.OnceFunc(func() {
		a.stop()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		a.Close()
	})
	t.Cleanup(s.stop)
	if s.Admin, _, err = a.staff.CreateToken(context.Background(), frontdoor.RoleAdmin, "test admin", ""); err != nil {
		t.Fatal(err)
	}
	return s
}

// rawStream opens a lobby stream over a bare TCP connection and returns
// the connection and the event-stream body.
func rawStream(d *net.Dialer, addr, path string) (net.Conn, *bufio.Reader, error) {
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", path, addr)
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 1024), nil)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	if resp.StatusCode != 200 {
		conn.Close()
		return nil, nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	return conn, bufio.NewReaderSize(resp.Body, 1024), nil
}

// 1,000 screens on loopback all get a call; one that stops reading is
// dropped by the hub and holds up neither the desk nor the other 999.
func TestDisplayThousandStreamsAndOneStuck(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 connections")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	small := &atomic.Bool{}
	s := startOn(t, config{DB: t.TempDir() + "/frontdoor.db", testClock: frontdoor.NewFakeClockAt(time.Date(2026, 11, 30, 9, 0, 0, 0, london))},
		smallBuffers{ln, small})
	s.setupCentre()
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	s.walkIn("HOU")
	s.walkIn("HOU")
	addr := ln.Addr().String()

	const n = 1000
	var (
		ready, gotFirst, gotLast sync.WaitGroup
		floods                   atomic.Int64 // flood events the readers got
		mu                       sync.Mutex
		conns                    []net.Conn
		stopReading              = make(chan struct{})
	)
	t.Cleanup(func() {
		close(stopReading)
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	// open connects one screen; stuck stops reading after the first call.
	open := func(d *net.Dialer, stuck bool) error {
		conn, body, err := rawStream(d, addr, "/api/v1/sites/city-hall/events")
		if err != nil {
			return err
		}
		mu.Lock()
		conns = append(conns, conn)
		mu.Unlock()
		ready.Add(1)
		gotFirst.Add(1)
		if !stuck {
			gotLast.Add(1)
		}
		go func() {
			boarded, first, last := false, false, false
			parseSSE(body, func(e sseEvent) bool {
				switch {
				case e.Event == "board" && !boarded:
					boarded = true
					ready.Done()
				case callOf("called", "H001")(e) && !first:
					first = true
					gotFirst.Done()
					if stuck {
						<-stopReading // never reads again
						return false
					}
				case callOf("called", "FLOOD")(e):
					floods.Add(1)
				case callOf("called", "H002")(e) && !last:
					last = true
					gotLast.Done()
				}
				return true
			})
		}()
		return nil
	}

	// The stuck screen: small socket buffers at both ends.
	small.Store(true)
	err = open(&net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
	}}, true)
	if err != nil {
		t.Fatal(err)
	}
	within(t, &ready, "the stuck screen to open")
	small.Store(false)
	// The 999 readers, a hundred at a time.
	var dialErr atomic.Value
	for batch := 0; batch < n-1; batch += 100 {
		var dial sync.WaitGroup
		for range min(100, n-1-batch) {
			dial.Go(func() {
				if err := open(&net.Dialer{}, false); err != nil {
					dialErr.Store(err)
				}
			})
		}
		dial.Wait()
	}
	if err := dialErr.Load(); err != nil {
		t.Fatalf("connecting 1,000 streams: %v", err)
	}
	within(t, &ready, "every stream to open")
	if got := s.app.hub.Subscribers("city-hall"); got != n {
		t.Fatalf("%d subscribers, want %d", got, n)
	}

	// One call: all 1,000 get it.
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil)
	within(t, &gotFirst, "all 1,000 streams to get the first call")

	// The stuck screen has stopped reading. Events of 1 KB fill its socket
	// and then its buffer in the hub, which drops it. The readers read every
	// one: events go in bursts of 8 (the hub buffers 32), each burst waiting
	// for all 999.
	pad := strings.Repeat("x", 1024)
	const floodEvents = 96
	for i := 1; i <= floodEvents; i++ {
		s.app.hub.Publish(frontdoor.Event{Site: "city-hall", Kind: "called",
			Data: json.RawMessage(fmt.Sprintf(`{"number":"FLOOD","desk":"Nowhere","seq":%d,"pad":%q}`, i, pad))})
		if i%8 != 0 {
			continue
		}
		deadline := time.Now().Add(eventGuard)
		for floods.Load() < int64(i*(n-1)) {
			if time.Now().After(deadline) {
				t.Fatalf("after %d flood events the readers got %d, want %d", i, floods.Load(), i*(n-1))
			}
			time.Sleep(time.Millisecond)
		}
		if s.app.hub.Dropped() > 0 {
			break
		}
	}
	if got := s.app.hub.Subscribers("city-hall"); got != n-1 {
		t.Errorf("%d subscribers after the flood, want %d: the stuck screen is still subscribed", got, n-1)
	}
	if s.app.hub.Dropped() != 1 {
		t.Errorf("the hub dropped %d subscribers, want the stuck one", s.app.hub.Dropped())
	}

	// The next call reaches the 999, whatever the stuck one does.
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil)
	within(t, &gotLast, "the 999 readers to get the second call")
	t.Logf("dropped %d subscriber(s); the readers got %d flood events", s.app.hub.Dropped(), floods.Load())
}

// within waits for wg, failing the test if that takes longer than eventGuard.
func within(t *testing.T, wg *sync.WaitGroup, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(eventGuard):
		t.Fatalf("waited %s for %s", eventGuard, what)
	}
}
