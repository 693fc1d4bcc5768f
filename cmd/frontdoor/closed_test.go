package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"frontdoor"
)

// The kiosk gives no walk-in tickets once the centre has closed for the day
// (the ticket would never be called and would count as a miss at midnight),
// and says when it opens again; before opening it does (people queue at the
// door); reception still can, and the API leaves the choice to its caller;
// a centre with no hours set never refuses.
func TestKioskTicketsStopAtClosing(t *testing.T) {
	clock := frontdoor.NewStoppedClock(time.Date(2026, 11, 30, 8, 30, 0, 0, london)) // Monday, before opening
	s := start(t, config{testClock: clock})
	s.setupCentre()
	var weekly []map[string]string
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		weekly = append(weekly, map[string]string{"weekday": d, "open": "09:00", "close": "17:00"})
	}
	s.must(200, "PUT", "/api/v1/sites/city-hall/hours", s.Admin, map[string]any{"weekly": weekly, "closures": []any{
		"2026-12-25", map[string]string{"date": "2026-12-01", "from": "13:00", "to": "17:00", "reason": "Staff training"}}})
	kiosk := s.token(frontdoor.RoleDevice, "city-hall")
	kc := s.page("POST", "/sites/city-hall/kiosk/setup", url.Values{"token": {kiosk}}, nil).Cookies
	if len(kc) == 0 {
		t.Fatal("the kiosk was not set up")
	}
	reception := s.token(frontdoor.RoleReception, "city-hall")
	walkIn := map[string]string{"service": "HOU"}

	for _, c := range []struct {
		at      time.Time
		open    bool
		message string
	}{
		{time.Date(2026, 11, 30, 8, 30, 0, 0, london), true, ""},
		{time.Date(2026, 11, 30, 16, 59, 0, 0, london), true, ""},
		{time.Date(2026, 11, 30, 17, 0, 0, 0, london), false, "City Hall is closed now. It opens again at 9am tomorrow."},
		{time.Date(2026, 12, 1, 12, 59, 0, 0, london), true, ""},
		{time.Date(2026, 12, 1, 13, 30, 0, 0, london), false, "City Hall is closed now. It opens again at 9am tomorrow."},
		{time.Date(2026, 12, 4, 18, 0, 0, 0, london), false, "City Hall is closed now. It opens again at 9am on Monday 7 December."},
		{time.Date(2026, 12, 5, 11, 0, 0, 0, london), false, "City Hall is closed now. It opens again at 9am on Monday 7 December."},
		{time.Date(2026, 12, 24, 17, 30, 0, 0, london), false, "City Hall is closed now. It opens again at 9am on Monday 28 December."},
		// The clocks go forward on Sunday 28 March: Monday's 9am is BST.
		{time.Date(2027, 3, 26, 17, 30, 0, 0, london), false, "City Hall is closed now. It opens again at 9am on Monday 29 March."},
		{time.Date(2027, 3, 29, 8, 0, 0, 0, london), true, ""},
	} {
		if err := clock.Set(t.Context(), c.at); err != nil {
			t.Fatal(err)
		}
		when := c.at.Format(time.DateTime)
		before := s.count(`SELECT COUNT(*) FROM tickets`)
		r := s.page("POST", "/sites/city-hall/kiosk/ticket", url.Values{"service": {"HOU"}}, kc)
		if c.open {
			if r.Status != 303 {
				t.Errorf("%s: kiosk ticket status %d, want 303 to the ticket\n%s", when, r.Status, pageText(r.Body))
			}
			continue
		}
		if r.Status != 409 || !strings.Contains(pageText(r.Body), c.message) {
			t.Errorf("%s: status %d, want 409 saying %q\n%s", when, r.Status, c.message, pageText(r.Body))
		}
		if n := s.count(`SELECT COUNT(*) FROM tickets`); n != before {
			t.Errorf("%s: a refused ticket was written", when)
		}
		// The kiosk's own page says so before anyone chooses, with no service to choose.
		page := s.page("GET", "/sites/city-hall/kiosk", nil, kc)
		if text := pageText(page.Body); !strings.Contains(text, c.message) || strings.Contains(string(page.Body), `name="service"`) {
			t.Errorf("%s: the kiosk's start page does not say it is closed, or still offers services:\n%s", when, text)
		}
		// Reception can still give one, to someone let in just before closing;
		// so can a kiosk of another make, through the API.
		s.must(201, "POST", "/api/v1/sites/city-hall/tickets", reception, walkIn)
		s.must(201, "POST", "/api/v1/sites/city-hall/tickets", kiosk, walkIn)
	}

	// A centre with no hours set keeps working as before anyone set them.
	s.must(201, "POST", "/api/v1/sites", s.Admin, map[string]any{"id": "annexe", "name": "Annexe", "address": "2 High Street", "timezone": "Europe/London"})
	s.must(201, "POST", "/api/v1/sites/annexe/services", s.Admin, map[string]any{"code": "HOU", "name": "Housing", "duration_minutes": 20, "ticket_prefix": "H"})
	annexe := s.page("POST", "/sites/annexe/kiosk/setup", url.Values{"token": {s.token(frontdoor.RoleDevice, "annexe")}}, nil).Cookies
	if r := s.page("POST", "/sites/annexe/kiosk/ticket", url.Values{"service": {"HOU"}}, annexe); r.Status != 303 {
		t.Errorf("a centre without hours: kiosk ticket status %d\n%s", r.Status, pageText(r.Body))
	}
}
