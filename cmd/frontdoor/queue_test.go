package main

import (
	"strings"
	"sync"
	"testing"
	"time"

	"frontdoor"
)

type arrivalAnswer struct {
	Ticket struct {
		ID          string    `json:"id"`
		Number      string    `json:"number"`
		Kind        string    `json:"kind"`
		Status      string    `json:"status"`
		Due         time.Time `json:"due"`
		Desk        string    `json:"desk"`
		LateBy      int       `json:"late_by_minutes"`
		OfferedAppt bool      `json:"offered_appointment"`
	} `json:"ticket"`
	Position         int    `json:"position"`
	EstimatedWait    int    `json:"estimated_wait_minutes"`
	WaitText         string `json:"wait_text"`
	OfferAppointment bool   `json:"offer_appointment"`
	NextAppointments []struct {
		Start time.Time `json:"start"`
	} `json:"next_appointments"`
}

func (s *testServer) walkIn(service string) arrivalAnswer {
	s.t.Helper()
	var a arrivalAnswer
	s.must(201, "POST", "/api/v1/sites/city-hall/tickets", s.Admin, map[string]any{"service": service}).JSON(s.t, &a)
	return a
}

// queueServer is City Hall on Tuesday 1 December 2026 at 09:00, with a
// second desk serving both services.
func queueServer(t *testing.T, now time.Time) *testServer {
	s := bookingServer(t, now)
	s.must(201, "POST", "/api/v1/sites/city-hall/desks", s.Admin, map[string]any{"id": "desk-2", "name": "Desk 2", "services": []string{"HOU", "CTX"}})
	return s
}

func TestCheckIn(t *testing.T) {
	clock := frontdoor.NewFakeClockAt(monday)
	s := start(t, config{testClock: clock})
	s.setupCentre()
	b := s.book(time.Date(2026, 11, 30, 10, 20, 0, 0, london), "07700 900123")
	tomorrow := s.book(time.Date(2026, 12, 1, 9, 0, 0, 0, london), "07700 900124")
	cancelled := s.book(time.Date(2026, 11, 30, 10, 40, 0, 0, london), "07700 900125")
	s.must(200, "POST", "/api/v1/bookings/"+cancelled.Reference+"/cancel", cancelled.ManageToken, nil)
	kiosk := s.token(frontdoor.RoleDevice, "city-hall")
	s.must(201, "POST", "/api/v1/sites", s.Admin, map[string]any{"id": "annexe", "name": "Annexe", "address": "2 Side Street", "timezone": "Europe/London"})
	otherKiosk := s.token(frontdoor.RoleDevice, "annexe")

	clock.Set(t.Context(), time.Date(2026, 11, 30, 10, 25, 0, 0, london)) // five minutes late
	before := s.dump()
	for _, c := range []struct {
		name   string
		token  string
		body   map[string]string
		status int
		code   string
	}{
		{"no credentials", "", map[string]string{"code": b.CheckinCode}, 401, "unauthorized"},
		{"unknown code", kiosk, map[string]string{"code": "AAAAAAAAAAAAAAAAAAAA"}, 404, "not_found"},
		{"forged QR content", kiosk, map[string]string{"code": "https://evil.example/" + b.Reference}, 404, "not_found"},
		{"unknown reference", kiosk, map[string]string{"reference": "ZZZZZZ"}, 404, "not_found"},
		{"nothing given", kiosk, map[string]string{}, 400, "validation_failed"},
		{"another day", kiosk, map[string]string{"code": tomorrow.CheckinCode}, 422, "wrong_day"},
		{"cancelled", kiosk, map[string]string{"reference": cancelled.Reference}, 422, "booking_cancelled"},
		{"another site's kiosk", otherKiosk, map[string]string{"code": b.CheckinCode}, 422, "wrong_site"},
	} {
		r := s.do("POST", "/api/v1/checkins", c.token, c.body)
		if r.Status != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, r.Status, c.status, r.Body)
			continue
		}
		if code, _ := r.ErrorCode(t); code != c.code {
			t.Errorf("%s: code %q, want %q", c.name, code, c.code)
		}
	}
	if s.dump() != before {
		t.Error("refused check-ins changed the database")
	}

	// The QR code's content as a URL works too.
	var a arrivalAnswer
	s.must(201, "POST", "/api/v1/checkins", kiosk, map[string]string{"code": s.URL + "/c/" + b.CheckinCode}).JSON(t, &a)
	if a.Ticket.Number != "H001" || a.Ticket.Kind != "appointment" || a.Ticket.LateBy != 5 {
		t.Errorf("ticket %+v", a.Ticket)
	}
	// Arrived late: due counts from the arrival.
	if want := time.Date(2026, 11, 30, 10, 35, 0, 0, london); !a.Ticket.Due.Round(time.Second).Equal(want) {
		t.Errorf("due %s, want %s", a.Ticket.Due, want)
	}
	r := s.do("POST", "/api/v1/checkins", kiosk, map[string]string{"reference": strings.ToLower(b.Reference)})
	if code, _ := r.ErrorCode(t); r.Status != 409 || code != "already_checked_in" {
		t.Errorf("second check-in: %d %s", r.Status, r.Body)
	}
	if n := s.count(`SELECT COUNT(*) FROM tickets`); n != 1 {
		t.Errorf("%d tickets, want 1", n)
	}
	var got bookingAnswer
	s.must(200, "GET", "/api/v1/bookings/"+b.Reference, b.ManageToken, nil).JSON(t, &got)
	if got.Status != "checked_in" {
		t.Errorf("booking status %q after check-in", got.Status)
	}
}

func TestWalkInsNumberedAndOfferedAppointments(t *testing.T) {
	s := queueServer(t, time.Date(2026, 11, 30, 9, 0, 0, 0, london))
	first := s.walkIn("HOU")
	if first.Ticket.Number != "H001" || first.Position != 1 || first.OfferAppointment {
		t.Errorf("first walk-in %+v", first)
	}
	if c := s.walkIn("CTX"); c.Ticket.Number != "C001" {
		t.Errorf("first CTX ticket %s, want C001", c.Ticket.Number)
	}
	var last arrivalAnswer
	for range 8 {
		last = s.walkIn("HOU")
	}
	if last.Ticket.Number != "H009" {
		t.Errorf("ninth HOU ticket %s", last.Ticket.Number)
	}
	// Nine housing visits of 20 minutes ahead of two desks: far past ten minutes.
	if !last.OfferAppointment || !last.Ticket.OfferedAppt || len(last.NextAppointments) == 0 || last.WaitText == "" {
		t.Errorf("long wait not offered an appointment: %+v", last)
	}
	// Offered: due is arrival + 30 minutes, not + 10.
	if want := time.Date(2026, 11, 30, 9, 30, 0, 0, london); !last.Ticket.Due.Round(time.Minute).Equal(want) {
		t.Errorf("offered walk-in due %s, want %s", last.Ticket.Due, want)
	}
	r := s.do("POST", "/api/v1/sites/city-hall/tickets", s.Admin, map[string]any{"service": "NOPE"})
	if r.Status != 404 {
		t.Errorf("unknown service: %d", r.Status)
	}
	r = s.do("POST", "/api/v1/sites/city-hall/tickets", s.Admin, map[string]any{"service": "HOU", "phone": "01632 960001"})
	if _, f := r.ErrorCode(t); r.Status != 400 || f["phone"] == "" {
		t.Errorf("landline for texts: %d %s", r.Status, r.Body)
	}
}

func TestOneDeskPerTicketUnderConcurrency(t *testing.T) {
	s := queueServer(t, time.Date(2026, 11, 30, 9, 0, 0, 0, london))
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	for i := range 150 {
		s.walkIn([]string{"HOU", "CTX"}[i%2])
	}
	var mu sync.Mutex
	calledBy := map[string][]string{}
	var wg sync.WaitGroup
	statuses := map[int]int{}
	for _, desk := range []string{"desk-1", "desk-2"} {
		for range 100 {
			wg.Go(func() {
				r := s.do("POST", "/api/v1/desks/"+desk+"/call-next", officer, nil)
				mu.Lock()
				defer mu.Unlock()
				statuses[r.Status]++
				if r.Status == 200 {
					var a arrivalAnswer
					r.JSON(t, &a)
					calledBy[a.Ticket.ID] = append(calledBy[a.Ticket.ID], desk)
				}
			})
		}
	}
	wg.Wait()
	if statuses[200] != 150 || statuses[204] != 50 {
		t.Errorf("answers %v, want 150 × 200 and 50 × 204", statuses)
	}
	for id, desks := range calledBy {
		if len(desks) != 1 {
			t.Errorf("ticket %s called by %v", id, desks)
		}
	}
	if len(calledBy) != 150 {
		t.Errorf("%d distinct tickets called, want 150", len(calledBy))
	}
	if n := s.count(`SELECT COUNT(*) FROM (SELECT ticket_id FROM ticket_events WHERE kind = 'called' GROUP BY ticket_id HAVING COUNT(*) > 1)`); n != 0 {
		t.Errorf("%d tickets have more than one call", n)
	}
	if n := s.count(`SELECT COUNT(*) FROM tickets WHERE first_called_at IS NULL`); n != 0 {
		t.Errorf("%d tickets never called", n)
	}
}

func TestDeskActionsRefuseBadInputAndStaleState(t *testing.T) {
	s := queueServer(t, time.Date(2026, 11, 30, 9, 0, 0, 0, london))
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	s.walkIn("HOU")
	s.must(201, "POST", "/api/v1/sites/city-hall/desks", s.Admin, map[string]any{"id": "desk-ctx", "name": "Desk CTX", "services": []string{"CTX"}})
	// A desk that does not serve housing never calls it, and cannot ask to.
	if r := s.do("POST", "/api/v1/desks/desk-ctx/call-next", officer, nil); r.Status != 204 {
		t.Errorf("CTX desk with only HOU waiting: %d %s", r.Status, r.Body)
	}
	if r := s.do("POST", "/api/v1/desks/desk-ctx/call-next", officer, map[string]string{"service": "HOU"}); r.Status != 422 {
		t.Errorf("CTX desk asking for HOU: %d", r.Status)
	}
	var called arrivalAnswer
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil).JSON(t, &called)
	id := called.Ticket.ID
	before := s.dump()
	for _, c := range []struct {
		path   string
		body   any
		status int
	}{
		{"/api/v1/tickets/" + id + "/transfer", map[string]string{"service": "NOPE"}, 422},
		{"/api/v1/tickets/" + id + "/transfer", map[string]string{}, 400},
		{"/api/v1/tickets/" + id + "/finish", map[string]string{"outcome": "maybe"}, 400},
		{"/api/v1/tickets/999999/recall", nil, 404},
		{"/api/v1/tickets/abc/start", nil, 404},
		{"/api/v1/desks/no-such-desk/call-next", nil, 404},
	} {
		if r := s.do("POST", c.path, officer, c.body); r.Status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.path, r.Status, c.status, r.Body)
		}
	}
	if s.dump() != before {
		t.Error("refused actions changed the database")
	}
	s.must(200, "POST", "/api/v1/tickets/"+id+"/start", officer, nil)
	s.must(200, "POST", "/api/v1/tickets/"+id+"/finish", officer, map[string]any{"outcome": "resolved"})
	// A finished ticket cannot be recalled, started, finished or marked absent again.
	for _, action := range []string{"recall", "start", "finish", "no-show"} {
		r := s.do("POST", "/api/v1/tickets/"+id+"/"+action, officer, nil)
		if code, _ := r.ErrorCode(t); r.Status != 409 || code != "stale" {
			t.Errorf("%s on a finished ticket: %d %s", action, r.Status, r.Body)
		}
	}
	// Another site's officer may not touch it.
	s.must(201, "POST", "/api/v1/sites", s.Admin, map[string]any{"id": "annexe", "name": "Annexe", "address": "2 Side Street", "timezone": "Europe/London"})
	if r := s.do("POST", "/api/v1/tickets/"+id+"/recall", s.token(frontdoor.RoleOfficer, "annexe"), nil); r.Status != 403 {
		t.Errorf("other site's officer: %d", r.Status)
	}
	// A kiosk cannot call.
	if r := s.do("POST", "/api/v1/desks/desk-1/call-next", s.token(frontdoor.RoleDevice, "city-hall"), nil); r.Status != 403 {
		t.Errorf("kiosk calling: %d", r.Status)
	}
}

func TestDelayNoticeOncePerVisit(t *testing.T) {
	clock := frontdoor.NewStoppedClock(monday)
	s := start(t, config{testClock: clock})
	s.setupCentre()
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	b := s.book(time.Date(2026, 11, 30, 10, 20, 0, 0, london), "07700 900123")
	clock.Set(t.Context(), time.Date(2026, 11, 30, 10, 0, 0, 0, london))
	// Three walk-ins ahead hold the only desk for an hour.
	for range 3 {
		s.walkIn("HOU")
	}
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil)
	clock.Set(t.Context(), time.Date(2026, 11, 30, 10, 15, 0, 0, london))
	s.must(201, "POST", "/api/v1/checkins", s.Admin, map[string]string{"code": b.CheckinCode})
	for range 2 {
		if err := s.app.queue.CheckDelays(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.count(`SELECT COUNT(*) FROM tickets WHERE kind = 'appointment' AND delayed_at IS NOT NULL`); n != 1 {
		t.Errorf("%d delayed appointment tickets, want 1", n)
	}
	if n := s.count(`SELECT COUNT(*) FROM messages WHERE purpose = 'delay' AND recipient = '+447700900123'`); n != 1 {
		t.Errorf("%d delay texts, want exactly 1", n)
	}
	// Walk-ins get no delay text (they were told their wait) and are not marked.
	if n := s.count(`SELECT COUNT(*) FROM tickets WHERE kind = 'walk_in' AND delayed_at IS NOT NULL`); n != 0 {
		t.Errorf("%d walk-ins marked delayed", n)
	}
}

func TestYesterdaysQueueIsClosedAtMidnight(t *testing.T) {
	clock := frontdoor.NewStoppedClock(time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC))
	s := start(t, config{testClock: clock})
	s.setupCentre()
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	s.walkIn("HOU")
	s.walkIn("HOU")                                                     // never seen
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil) // left open at the desk
	// Still the same local day: nothing closes.
	clock.Set(t.Context(), time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC))
	if err := s.app.queue.CloseDays(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := s.count(`SELECT COUNT(*) FROM tickets WHERE status IN ('waiting', 'called')`); n != 2 {
		t.Fatalf("%d open tickets before midnight, want 2", n)
	}
	clock.Set(t.Context(), time.Date(2026, 12, 1, 0, 1, 0, 0, time.UTC))
	if err := s.app.queue.CloseDays(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := s.count(`SELECT COUNT(*) FROM tickets WHERE status IN ('waiting', 'called', 'serving')`); n != 0 {
		t.Errorf("%d of yesterday's tickets still open", n)
	}
	if r := s.do("POST", "/api/v1/desks/desk-1/call-next", officer, nil); r.Status != 204 {
		t.Errorf("call-next the next morning: %d %s", r.Status, r.Body)
	}
	// The visitor never seen counts as a miss, not as nothing.
	rep := (&script{testServer: s}).report("city-hall", "2026-11-30", "2026-11-30")
	if rep.WalkIns.Visits != 2 || rep.WalkIns.Within != 1 || rep.WalkIns.Pending != 0 {
		t.Errorf("walk-ins %+v, want 2 visits with 1 within", rep.WalkIns)
	}
}
