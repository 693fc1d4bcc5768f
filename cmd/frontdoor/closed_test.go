package main

import (
	"testing"
	"time"

	"frontdoor"
)

// A kiosk gives no walk-in tickets once the centre has closed for the day
// (the ticket would never be called and would count as a miss at midnight),
// and says when it opens again; before opening it does (people queue at the
// door); staff still can; a centre with no hours set never refuses.
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
	reception := s.token(frontdoor.RoleReception, "city-hall")
	walkIn := map[string]string{"service": "HOU"}

	for _, c := range []struct {
		at      time.Time
		want    int
		message string
	}{
		{time.Date(2026, 11, 30, 8, 30, 0, 0, london), 201, ""},
		{time.Date(2026, 11, 30, 16, 59, 0, 0, london), 201, ""},
		{time.Date(2026, 11, 30, 17, 0, 0, 0, london), 409, "City Hall is closed now. It opens again at 9am tomorrow."},
		{time.Date(2026, 12, 1, 12, 59, 0, 0, london), 201, ""},
		{time.Date(2026, 12, 1, 13, 30, 0, 0, london), 409, "City Hall is closed now. It opens again at 9am tomorrow."},
		{time.Date(2026, 12, 4, 18, 0, 0, 0, london), 409, "City Hall is closed now. It opens again at 9am on Monday 7 December."},
		{time.Date(2026, 12, 5, 11, 0, 0, 0, london), 409, "City Hall is closed now. It opens again at 9am on Monday 7 December."},
		{time.Date(2026, 12, 24, 17, 30, 0, 0, london), 409, "City Hall is closed now. It opens again at 9am on Monday 28 December."},
	} {
		if err := clock.Set(t.Context(), c.at); err != nil {
			t.Fatal(err)
		}
		before := s.count(`SELECT COUNT(*) FROM tickets`)
		r := s.do("POST", "/api/v1/sites/city-hall/tickets", kiosk, walkIn)
		if r.Status != c.want {
			t.Errorf("%s: kiosk ticket status %d, want %d\n%s", c.at.Format(time.DateTime), r.Status, c.want, r.Body)
			continue
		}
		if c.want == 201 {
			continue
		}
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		r.JSON(t, &e)
		if e.Error.Code != "closed" || e.Error.Message != c.message {
			t.Errorf("%s: %+v, want closed: %q", c.at.Format(time.DateTime), e.Error, c.message)
		}
		if n := s.count(`SELECT COUNT(*) FROM tickets`); n != before {
			t.Errorf("%s: a refused ticket was written", c.at.Format(time.DateTime))
		}
		// Reception can still give one, to someone let in just before closing.
		s.must(201, "POST", "/api/v1/sites/city-hall/tickets", reception, walkIn)
	}

	// A centre with no hours set keeps working as before anyone set them.
	s.must(201, "POST", "/api/v1/sites", s.Admin, map[string]any{"id": "annexe", "name": "Annexe", "address": "2 High Street", "timezone": "Europe/London"})
	s.must(201, "POST", "/api/v1/sites/annexe/services", s.Admin, map[string]any{"code": "HOU", "name": "Housing", "duration_minutes": 20, "ticket_prefix": "H"})
	s.must(201, "POST", "/api/v1/sites/annexe/tickets", s.token(frontdoor.RoleDevice, "annexe"), walkIn)
}
