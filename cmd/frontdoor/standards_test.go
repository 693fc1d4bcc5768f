package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"frontdoor"
)

// script drives a day through the API on a stopped clock, so every time is
// exact to the second.
type script struct {
	*testServer
	clock   *frontdoor.FakeClock
	officer string
	kiosk   string
	loc     *time.Location
	day     string
}

func (s *script) at(hhmmss string) {
	s.t.Helper()
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s.day+" "+hhmmss, s.loc)
	if err != nil {
		s.t.Fatal(err)
	}
	s.atInstant(t)
}

func (s *script) atInstant(t time.Time) {
	s.t.Helper()
	if err := s.clock.Set(s.t.(*testing.T).Context(), t); err != nil {
		s.t.Fatal(err)
	}
}

func (s *script) walkIn(site, service string) arrivalAnswer {
	s.t.Helper()
	var a arrivalAnswer
	s.must(201, "POST", "/api/v1/sites/"+site+"/tickets", s.kiosk, map[string]any{"service": service}).JSON(s.t, &a)
	return a
}

func (s *script) checkIn(b bookingAnswer) arrivalAnswer {
	s.t.Helper()
	var a arrivalAnswer
	s.must(201, "POST", "/api/v1/checkins", s.kiosk, map[string]string{"code": b.CheckinCode}).JSON(s.t, &a)
	return a
}

// call makes desk call the next ticket of service and checks it is want.
func (s *script) call(desk, service string, want arrivalAnswer) {
	s.t.Helper()
	var got arrivalAnswer
	s.must(200, "POST", "/api/v1/desks/"+desk+"/call-next", s.officer, map[string]string{"service": service}).JSON(s.t, &got)
	if got.Ticket.ID != want.Ticket.ID {
		s.t.Fatalf("%s called %s, want %s", desk, got.Ticket.Number, want.Ticket.Number)
	}
}

func (s *script) act(a arrivalAnswer, action string, body any) {
	s.t.Helper()
	s.must(200, "POST", "/api/v1/tickets/"+a.Ticket.ID+"/"+action, s.officer, body)
}

type standard struct {
	Visits  int      `json:"visits"`
	Within  int      `json:"within"`
	Percent *float64 `json:"percent"`
	Pending int      `json:"pending"`
	Median  *float64 `json:"median_wait_minutes"`
	P90     *float64 `json:"p90_wait_minutes"`
}

type standardsReport struct {
	Appointments       standard       `json:"appointments"`
	WalkInFirstContact standard       `json:"walk_in_first_contact"`
	WalkIns            standard       `json:"walk_ins"`
	NoShows            int            `json:"no_shows"`
	Channels           map[string]int `json:"channels"`
	Finished           int            `json:"finished"`
	Resolved           int            `json:"resolved_at_first_contact"`
	Services           []struct {
		Service      string   `json:"service"`
		Appointments standard `json:"appointments"`
		WalkIns      standard `json:"walk_ins"`
	} `json:"services"`
	Days []struct {
		Date    string `json:"date"`
		NoShows int    `json:"no_shows"`
	} `json:"days"`
}

func f(v float64) *float64 { return &v }

func (s *script) report(site, from, to string) standardsReport {
	s.t.Helper()
	var r standardsReport
	s.must(200, "GET", "/api/v1/sites/"+site+"/reports/standards?from="+from+"&to="+to, s.Admin, nil).JSON(s.t, &r)
	return r
}

func checkStandard(t *testing.T, name string, got, want standard) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s:\n got %s\nwant %s", name, g, w)
	}
}

// TestStandardsScriptedDay plays a morning at City Hall and checks the report
// against a hand count. Desks 1 and 2 serve housing (HOU, 20 min) and council
// tax (CTX, 15 min); calls name the service so the script controls who goes when.
func TestStandardsScriptedDay(t *testing.T) {
	clock := frontdoor.NewStoppedClock(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC))
	s := &script{testServer: start(t, config{testClock: clock}), clock: clock, loc: london, day: "2026-12-01"}
	s.setupCentre()
	s.must(201, "POST", "/api/v1/sites/city-hall/desks", s.Admin, map[string]any{"id": "desk-2", "name": "Desk 2", "services": []string{"HOU", "CTX"}})
	s.officer = s.token(frontdoor.RoleOfficer, "city-hall")
	s.kiosk = s.token(frontdoor.RoleDevice, "city-hall")
	appt := func(hhmm, phone string) bookingAnswer {
		t0, _ := time.ParseInLocation("2006-01-02 15:04", "2026-12-01 "+hhmm, london)
		return s.book(t0, phone)
	}
	bA, bB, bC, _ := appt("09:00", "07700 900001"), appt("09:20", "07700 900002"), appt("09:40", "07700 900003"), appt("10:00", "07700 900004")

	s.at("08:55:00")
	A := s.checkIn(bA) // five minutes early
	s.at("09:00:00")
	s.call("desk-1", "HOU", A) // seen at its time: waited 0
	s.at("09:05:00")
	W1 := s.walkIn("city-hall", "CTX") // desk 2 free, no queue: not offered
	s.at("09:12:00")
	s.call("desk-2", "CTX", W1) // 7 minutes: both walk-in standards met
	s.at("09:20:00")
	s.act(A, "finish", map[string]any{"outcome": "resolved"})
	s.at("09:22:00")
	s.act(W1, "transfer", map[string]string{"service": "HOU"}) // judged on its first call
	s.at("09:25:00")
	B := s.checkIn(bB) // five minutes late: due 09:35 from arrival
	if B.Ticket.LateBy != 5 {
		t.Errorf("B late by %d minutes, want 5", B.Ticket.LateBy)
	}
	s.at("09:26:00")
	s.call("desk-1", "HOU", W1) // the transferred ticket, called a second time
	s.at("09:35:00")
	s.call("desk-2", "HOU", B) // exactly ten minutes after arrival: within
	s.at("09:38:00")
	C := s.checkIn(bC)
	s.at("09:40:00")
	W2 := s.walkIn("city-hall", "CTX")
	if !W2.OfferAppointment {
		t.Fatalf("W2 faced a 15-minute wait but was not offered an appointment: %+v", W2)
	}
	s.at("09:50:01")
	s.act(W1, "finish", nil)
	s.call("desk-1", "HOU", C) // one second past 09:50: missed
	s.at("10:02:00")
	s.act(B, "finish", map[string]any{"outcome": "not_resolved", "follow_up": true})
	s.call("desk-2", "CTX", W2) // 22 minutes, but told its wait: both met
	s.at("10:08:00")
	W3 := s.walkIn("city-hall", "HOU") // desk 1 due free about 10:14 (median housing visit 24 min): not offered
	if W3.OfferAppointment {
		t.Fatalf("W3 was offered an appointment: %+v", W3)
	}
	s.at("10:20:00")
	s.act(C, "finish", map[string]any{"outcome": "resolved"})
	s.call("desk-1", "HOU", W3) // 12 minutes: first contact missed, 30 minutes met
	s.at("10:21:00")
	W4 := s.walkIn("city-hall", "CTX")
	s.at("10:25:00")
	s.act(W2, "finish", map[string]any{"outcome": "resolved"})
	s.call("desk-2", "CTX", W4) // 4 minutes
	s.at("10:30:00")
	s.act(W4, "no-show", nil)
	s.at("10:40:00")
	s.walkIn("city-hall", "HOU") // W5: still waiting when the report is read
	s.at("10:45:00")

	r := s.report("city-hall", "2026-12-01", "2026-12-01")
	// Appointments: A 0:00 (met), B 10:00 (met, to the second), C 10:01 (missed); D never came.
	checkStandard(t, "appointments", r.Appointments, standard{Visits: 3, Within: 2, Percent: f(66.7), Median: f(10.0), P90: f(10.0)})
	// First contact: W1 7 min, W2 offered, W4 4 min met; W3 12 min missed; W5 pending.
	checkStandard(t, "walk_in_first_contact", r.WalkInFirstContact, standard{Visits: 4, Within: 3, Percent: f(75.0), Pending: 1})
	// Thirty minutes: W1 7, W2 22, W3 12, W4 4 all met; W5 pending.
	checkStandard(t, "walk_ins", r.WalkIns, standard{Visits: 4, Within: 4, Percent: f(100.0), Pending: 1, Median: f(7.0), P90: f(22.0)})
	if r.NoShows != 2 { // W4 called and absent; D never arrived
		t.Errorf("no-shows %d, want 2", r.NoShows)
	}
	if r.Channels["online"] != 3 || r.Channels["walk_in"] != 5 {
		t.Errorf("channels %v, want 3 online and 5 walk-in", r.Channels)
	}
	// Outcomes recorded: A, C and W2 resolved, B not; W1 was finished without one.
	if r.Finished != 4 || r.Resolved != 3 {
		t.Errorf("finished with an outcome %d, resolved %d; want 4 and 3", r.Finished, r.Resolved)
	}
	if len(r.Days) != 1 || r.Days[0].Date != "2026-12-01" || r.Days[0].NoShows != 2 {
		t.Errorf("days %+v, want 2026-12-01 with 2 no-shows", r.Days)
	}
	var hou, ctx standard
	for _, sv := range r.Services {
		switch sv.Service {
		case "HOU":
			hou = sv.WalkIns
		case "CTX":
			ctx = sv.WalkIns
		}
	}
	// W1 counts under the service it ended at (HOU): the report groups by the ticket's service now.
	if hou.Visits+ctx.Visits != 4 {
		t.Errorf("per-service walk-ins %+v %+v do not add up to 4", hou, ctx)
	}

	// The CSV download says the same.
	csv := s.must(200, "GET", "/api/v1/sites/city-hall/reports/standards?from=2026-12-01&to=2026-12-01&format=csv", s.Admin, nil)
	if !strings.Contains(string(csv.Body), "total,city-hall,appointments,3,2,66.7,10.0,10.0,2") {
		t.Errorf("CSV:\n%s", csv.Body)
	}
	// Bad ranges are refused; other roles may not read reports.
	for _, q := range []string{"from=2026-13-01", "from=2026-12-02&to=2026-12-01", "from=2026-01-01&to=2027-06-01"} {
		s.must(400, "GET", "/api/v1/sites/city-hall/reports/standards?"+q, s.Admin, nil)
	}
	s.must(403, "GET", "/api/v1/sites/city-hall/reports/standards", s.officer, nil)
}

// TestStandardsOnClockChangeDay measures waits across the October change in
// Europe/London: 01:55 BST and 01:05 GMT are ten minutes apart.
func TestStandardsOnClockChangeDay(t *testing.T) {
	clock := frontdoor.NewStoppedClock(time.Date(2027, 10, 30, 12, 0, 0, 0, time.UTC))
	s := &script{testServer: start(t, config{testClock: clock}), clock: clock, loc: london, day: "2027-10-31"}
	s.must(201, "POST", "/api/v1/sites", s.Admin, map[string]any{"id": "night", "name": "Night Office", "address": "1 Late Lane", "timezone": "Europe/London"})
	s.must(201, "POST", "/api/v1/sites/night/services", s.Admin, map[string]any{"code": "HOU", "name": "Housing", "duration_minutes": 30, "ticket_prefix": "H"})
	s.must(201, "POST", "/api/v1/sites/night/desks", s.Admin, map[string]any{"id": "n1", "name": "Night desk", "services": []string{"HOU"}})
	s.must(201, "POST", "/api/v1/sites/night/desks", s.Admin, map[string]any{"id": "n2", "name": "Second night desk", "services": []string{"HOU"}})
	s.officer = s.token(frontdoor.RoleOfficer, "night")
	s.kiosk = s.token(frontdoor.RoleDevice, "night")

	s.must(200, "POST", "/api/v1/desks/n2/open", s.officer, nil) // both desks staffed
	s.atInstant(time.Date(2027, 10, 31, 0, 55, 0, 0, time.UTC))  // 01:55 BST
	W1 := s.walkIn("night", "HOU")
	s.atInstant(time.Date(2027, 10, 31, 1, 5, 0, 0, time.UTC)) // 01:05 GMT, ten minutes later
	s.call("n1", "HOU", W1)
	W2 := s.walkIn("night", "HOU") // the second desk is free: not offered
	if W2.OfferAppointment {
		t.Fatalf("W2 offered an appointment: %+v", W2)
	}
	s.atInstant(time.Date(2027, 10, 31, 1, 15, 1, 0, time.UTC)) // ten minutes and a second
	s.call("n2", "HOU", W2)
	s.atInstant(time.Date(2027, 10, 31, 23, 59, 0, 0, time.UTC)) // 23:59 GMT, still the 31st

	r := s.report("night", "2027-10-31", "2027-10-31")
	checkStandard(t, "walk_in_first_contact", r.WalkInFirstContact, standard{Visits: 2, Within: 1, Percent: f(50.0)})
	checkStandard(t, "walk_ins", r.WalkIns, standard{Visits: 2, Within: 2, Percent: f(100.0), Median: f(10.0), P90: f(10.0)})
	if len(r.Days) != 1 || r.Days[0].Date != "2027-10-31" {
		t.Errorf("days %+v, want one: 2027-10-31", r.Days)
	}
	if W1.Ticket.Number != "H001" || W2.Ticket.Number != "H002" {
		t.Errorf("numbers %s %s", W1.Ticket.Number, W2.Ticket.Number)
	}
	// The next local day restarts the numbers.
	s.atInstant(time.Date(2027, 11, 1, 0, 1, 0, 0, time.UTC))
	if n := s.walkIn("night", "HOU").Ticket.Number; n != "H001" {
		t.Errorf("first ticket of 1 November is %s, want H001", n)
	}
}
