package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdoor"
)

var london, _ = time.LoadLocation("Europe/London")

// bookingServer is the service on a fake clock at now, with setupCentre's
// City Hall: HOU (20 min) has capacity 1 from 09:00 to 12:00 on weekdays.
func bookingServer(t *testing.T, now time.Time) *testServer {
	t.Helper()
	s := start(t, config{testClock: frontdoor.NewFakeClockAt(now)})
	s.setupCentre()
	return s
}

type bookingAnswer struct {
	Reference   string    `json:"reference"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Status      string    `json:"status"`
	Name        string    `json:"name"`
	Phone       string    `json:"phone"`
	ManageToken string    `json:"manage_token"`
	CheckinCode string    `json:"checkin_code"`
	QRURL       string    `json:"qr_url"`
	ICSURL      string    `json:"ics_url"`
	ManageURL   string    `json:"manage_url"`
}

func bookBody(start time.Time, phone string) map[string]any {
	return map[string]any{"site": "city-hall", "service": "HOU", "start": start.Format(time.RFC3339),
		"name": "Ann Example", "phone": phone, "channel": "online"}
}

func (s *testServer) book(start time.Time, phone string) bookingAnswer {
	s.t.Helper()
	var b bookingAnswer
	s.must(201, "POST", "/api/v1/bookings", "", bookBody(start, phone)).JSON(s.t, &b)
	return b
}

// Monday 30 November 2026, just before 08:00 GMT: two hours' notice makes 10:00 the first bookable time.
var monday = time.Date(2026, 11, 30, 7, 59, 0, 0, time.UTC)

func TestBookingAnswersTheContract(t *testing.T) {
	s := bookingServer(t, monday)
	b := s.book(time.Date(2026, 11, 30, 10, 20, 0, 0, london), "07700 900123")
	if len(b.Reference) != 6 || strings.ContainsAny(b.Reference, "01OIL") {
		t.Errorf("reference %q: want 6 characters without 0/O/1/I/L", b.Reference)
	}
	if b.Status != "booked" || b.Phone != "+447700900123" || b.End.Sub(b.Start) != 20*time.Minute {
		t.Errorf("booking = %+v", b)
	}
	if b.ManageToken == "" || b.CheckinCode == "" || strings.Contains(b.ManageToken, b.Reference) || strings.Contains(b.CheckinCode, b.Reference) {
		t.Errorf("secrets missing or derived from the reference: %+v", b)
	}
	if !strings.HasSuffix(b.QRURL, ".png") || !strings.HasSuffix(b.ICSURL, ".ics") {
		t.Errorf("qr_url %q, ics_url %q", b.QRURL, b.ICSURL)
	}
	// The secrets are not in the database, only their hashes.
	for _, secret := range []string{b.ManageToken, b.CheckinCode} {
		if n := s.count(`SELECT COUNT(*) FROM bookings WHERE CAST(manage_hash AS TEXT) = ? OR CAST(checkin_hash AS TEXT) = ? OR salt = ?`, secret, secret, secret); n != 0 {
			t.Errorf("secret %q stored in the clear", secret)
		}
	}
	// Case-insensitive reference, manage token as bearer token.
	var got bookingAnswer
	s.must(200, "GET", "/api/v1/bookings/"+strings.ToLower(b.Reference), b.ManageToken, nil).JSON(t, &got)
	if got.Reference != b.Reference || !got.Start.Equal(b.Start) {
		t.Errorf("GET = %+v, want %+v", got, b)
	}
	// Staff can read it too; the public cannot.
	s.must(200, "GET", "/api/v1/bookings/"+b.Reference, s.Admin, nil)
	s.must(401, "GET", "/api/v1/bookings/"+b.Reference, "", nil)
	s.must(401, "GET", "/api/v1/bookings/"+b.Reference, "wrong-token", nil)
	// One confirmation text queued with the booking.
	if n := s.count(`SELECT COUNT(*) FROM messages WHERE purpose = 'confirmation' AND recipient = '+447700900123' AND body LIKE ?`, "%"+b.Reference+"%"); n != 1 {
		t.Errorf("%d confirmation messages, want 1", n)
	}
}

func TestSlotsListOnlyFreeBookableTimes(t *testing.T) {
	s := bookingServer(t, monday)
	var out struct {
		Slots []struct {
			Start     time.Time `json:"start"`
			End       time.Time `json:"end"`
			Remaining int       `json:"remaining"`
		} `json:"slots"`
	}
	s.must(200, "GET", "/api/v1/sites/city-hall/services/HOU/slots?from=2026-11-30&to=2026-11-30", "", nil).JSON(t, &out)
	// 09:00–12:00 in 20-minute slots is 9; before 10:00 is inside the two hours' notice.
	var starts []string
	for _, sl := range out.Slots {
		starts = append(starts, sl.Start.In(london).Format("15:04"))
	}
	if got, want := strings.Join(starts, " "), "10:00 10:20 10:40 11:00 11:20 11:40"; got != want {
		t.Fatalf("slots %s, want %s", got, want)
	}
	s.book(out.Slots[0].Start, "07700 900001")
	s.must(200, "GET", "/api/v1/sites/city-hall/services/HOU/slots?from=2026-11-30&to=2026-11-30", "", nil).JSON(t, &out)
	if len(out.Slots) != 5 || out.Slots[0].Start.In(london).Format("15:04") != "10:20" {
		t.Errorf("after booking 10:00 the list is %+v", out.Slots)
	}
	// Christmas Day is closed; a weekend has no hours; beyond 90 days nothing.
	for _, q := range []string{"from=2026-12-25&to=2026-12-25", "from=2026-12-05&to=2026-12-06", "from=2027-03-01&to=2027-03-05", "from=2026-11-20&to=2026-11-27"} {
		s.must(200, "GET", "/api/v1/sites/city-hall/services/HOU/slots?"+q, "", nil).JSON(t, &out)
		if len(out.Slots) != 0 {
			t.Errorf("%s: %d slots, want none", q, len(out.Slots))
		}
	}
	for _, q := range []string{"from=yesterday", "from=2026-12-10&to=2026-12-01", "from=2026-12-01&to=2027-06-01"} {
		r := s.must(400, "GET", "/api/v1/sites/city-hall/services/HOU/slots?"+q, "", nil)
		if _, fields := r.ErrorCode(t); len(fields) == 0 {
			t.Errorf("%s: no field named in %s", q, r.Body)
		}
	}
	s.must(404, "GET", "/api/v1/sites/nowhere/services/HOU/slots", "", nil)
	s.must(404, "GET", "/api/v1/sites/city-hall/services/NOPE/slots", "", nil)
}

func TestNoOverbookingUnderConcurrency(t *testing.T) {
	for _, capacity := range []int{1, 3} {
		t.Run(fmt.Sprintf("capacity %d", capacity), func(t *testing.T) {
			s := bookingServer(t, monday)
			s.must(200, "PUT", "/api/v1/sites/city-hall/services/HOU/capacity", s.Admin, map[string]any{"weekly": []map[string]any{
				{"weekday": "tuesday", "from": "09:00", "to": "12:00", "parallel": capacity}}})
			slot := time.Date(2026, 12, 1, 9, 0, 0, 0, london)
			const n = 200
			statuses := make([]int, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					statuses[i] = s.do("POST", "/api/v1/bookings", "", bookBody(slot, fmt.Sprintf("07700 900%03d", i))).Status
				})
			}
			wg.Wait()
			count := map[int]int{}
			for _, st := range statuses {
				count[st]++
			}
			if count[201] != capacity || count[409] != n-capacity {
				t.Errorf("answers %v, want %d × 201 and %d × 409", count, capacity, n-capacity)
			}
			if rows := s.count(`SELECT COUNT(*) FROM bookings WHERE start_at = ?`, slot.UnixMilli()); rows != capacity {
				t.Errorf("%d bookings in the slot, want %d", rows, capacity)
			}
			if msgs := s.count(`SELECT COUNT(*) FROM messages`); msgs != capacity {
				t.Errorf("%d texts queued, want %d", msgs, capacity)
			}
		})
	}
}

func TestReschedulingRacesNeverOverbook(t *testing.T) {
	s := bookingServer(t, monday)
	target := time.Date(2026, 12, 1, 11, 40, 0, 0, london) // the one slot on 1 December left free
	var bookings []bookingAnswer
	for i := range 30 {
		bookings = append(bookings, s.book(time.Date(2026, 12, 1, 9, 0, 0, 0, london).Add(time.Duration(i%8)*20*time.Minute).AddDate(0, 0, i/8), fmt.Sprintf("07700 900%03d", i)))
	}
	var wg sync.WaitGroup
	statuses := make([]int, len(bookings))
	for i, b := range bookings {
		wg.Go(func() {
			statuses[i] = s.do("POST", "/api/v1/bookings/"+b.Reference+"/reschedule", b.ManageToken, map[string]string{"start": target.Format(time.RFC3339)}).Status
		})
	}
	wg.Wait()
	moved := 0
	for _, st := range statuses {
		switch st {
		case 200:
			moved++
		case 409:
		default:
			t.Errorf("reschedule answered %d", st)
		}
	}
	if moved != 1 {
		t.Errorf("%d bookings moved into a slot of capacity 1", moved)
	}
	if n := s.count(`SELECT COUNT(*) FROM bookings WHERE start_at = ? AND status = 'booked'`, target.UnixMilli()); n != 1 {
		t.Errorf("%d bookings at the target time", n)
	}
	// Every booking is still somewhere: 30 booked, no slot holds more than one.
	if n := s.count(`SELECT COUNT(*) FROM bookings WHERE status = 'booked'`); n != 30 {
		t.Errorf("%d bookings left, want 30", n)
	}
	if n := s.count(`SELECT COUNT(*) FROM (SELECT start_at FROM bookings GROUP BY start_at HAVING COUNT(*) > 1)`); n != 0 {
		t.Errorf("%d slots hold more than one booking", n)
	}
	if n := s.count(`SELECT COUNT(*) FROM messages WHERE purpose = 'change'`); n != 1 {
		t.Errorf("%d change texts, want 1", n)
	}
}

func TestRetriesDoNotDoubleBook(t *testing.T) {
	s := bookingServer(t, monday)
	slot := time.Date(2026, 12, 2, 9, 0, 0, 0, london)
	s.must(200, "PUT", "/api/v1/sites/city-hall/services/HOU/capacity", s.Admin, map[string]any{"weekly": []map[string]any{
		{"weekday": "wednesday", "from": "09:00", "to": "12:00", "parallel": 5}}})
	first := s.book(slot, "07700 900555")
	// Same phone, same slot, no key: no second booking, and (since a phone
	// number and a time are no secret) none of the first one's secrets either.
	var again struct {
		bookingAnswer
		Existing bool `json:"existing"`
	}
	r := s.must(200, "POST", "/api/v1/bookings", "", bookBody(slot, "+447700900555"))
	r.JSON(t, &again)
	if !again.Existing || !again.Start.Equal(first.Start) || again.Reference != "" || again.ManageToken != "" || again.CheckinCode != "" ||
		strings.Contains(string(r.Body), first.Reference) || strings.Contains(string(r.Body), "Ann Example") {
		t.Errorf("retry without a key gave %s", r.Body)
	}
	// Staff booking for a caller see the existing booking in full.
	var staffAgain bookingAnswer
	s.must(200, "POST", "/api/v1/bookings", s.Admin, bookBody(slot, "07700 900555")).JSON(t, &staffAgain)
	if staffAgain.Reference != first.Reference {
		t.Errorf("staff retry gave %+v", staffAgain)
	}
	// Idempotency-Key: the same answer, byte for byte.
	body := bookBody(slot, "07700 900556")
	r1 := s.do("POST", "/api/v1/bookings", "", body, "Idempotency-Key", "k-1")
	r2 := s.do("POST", "/api/v1/bookings", "", body, "Idempotency-Key", "k-1")
	if r1.Status != 201 || r2.Status != 201 || string(r1.Body) != string(r2.Body) {
		t.Errorf("replay: %d %s / %d %s", r1.Status, r1.Body, r2.Status, r2.Body)
	}
	if n := s.count(`SELECT COUNT(*) FROM bookings`); n != 2 {
		t.Errorf("%d bookings, want 2", n)
	}
	if n := s.count(`SELECT COUNT(*) FROM messages`); n != 2 {
		t.Errorf("%d texts, want 2", n)
	}
}

func TestBadBookingsChangeNothing(t *testing.T) {
	s := bookingServer(t, monday)
	s.must(201, "POST", "/api/v1/sites/city-hall/services", s.Admin, map[string]any{"code": "PRK", "name": "Parking", "duration_minutes": 10, "ticket_prefix": "P", "bookable": false})
	good := time.Date(2026, 12, 1, 9, 0, 0, 0, london)
	with := func(k string, v any) map[string]any {
		b := bookBody(good, "07700 900123")
		b[k] = v
		return b
	}
	cases := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"past slot", with("start", "2026-11-27T09:00:00Z"), 422, "not_bookable", "start"},
		{"inside the notice", with("start", time.Date(2026, 11, 30, 9, 20, 0, 0, london).Format(time.RFC3339)), 422, "not_bookable", "start"},
		{"beyond the horizon", with("start", time.Date(2027, 3, 1, 9, 0, 0, 0, london).Format(time.RFC3339)), 422, "not_bookable", "start"},
		{"off the grid", with("start", time.Date(2026, 12, 1, 9, 10, 0, 0, london).Format(time.RFC3339)), 422, "not_bookable", "start"},
		{"closed day", with("start", time.Date(2026, 12, 25, 9, 0, 0, 0, london).Format(time.RFC3339)), 422, "not_bookable", "start"},
		{"weekend", with("start", time.Date(2026, 12, 5, 9, 0, 0, 0, london).Format(time.RFC3339)), 422, "not_bookable", "start"},
		{"outside capacity", with("start", time.Date(2026, 12, 1, 14, 0, 0, 0, london).Format(time.RFC3339)), 422, "not_bookable", "start"},
		{"not a time", with("start", "tomorrow"), 400, "validation_failed", "start"},
		{"unknown service", with("service", "NOPE"), 404, "not_found", ""},
		{"unknown site", with("site", "nowhere"), 404, "not_found", ""},
		{"not bookable service", with("service", "PRK"), 422, "not_bookable", "service"},
		{"bad phone", with("phone", "12345"), 400, "validation_failed", "phone"},
		{"foreign phone", with("phone", "+33 6 12 34 56 78"), 400, "validation_failed", "phone"},
		{"no name", with("name", "  "), 400, "validation_failed", "name"},
		{"10 KB name", with("name", strings.Repeat("A", 10<<10)), 400, "validation_failed", "name"},
		{"bad email", with("email", "not-an-email"), 400, "validation_failed", "email"},
		{"bad channel", with("channel", "carrier-pigeon"), 400, "validation_failed", "channel"},
		{"too many people", with("people", 40), 400, "validation_failed", "people"},
		{"name as a number", with("name", 42), 400, "bad_json", "name"},
		{"malformed JSON", `{"site":`, 400, "bad_json", ""},
		{"huge body", `{"name":"` + strings.Repeat("x", 70<<10) + `"}`, 400, "body_too_large", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.do("POST", "/api/v1/bookings", "", c.body)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			code, fields := r.ErrorCode(t)
			if code != c.code {
				t.Errorf("code %q, want %q", code, c.code)
			}
			if c.field != "" && fields[c.field] == "" {
				t.Errorf("no message for field %q: %s", c.field, r.Body)
			}
		})
	}
	if n := s.count(`SELECT COUNT(*) FROM bookings`) + s.count(`SELECT COUNT(*) FROM messages`); n != 0 {
		t.Errorf("bad requests wrote %d rows", n)
	}
	// HTML in the name is kept as text and escaped in JSON.
	b := bookBody(good, "07700 900123")
	b["name"] = `<script>alert("x")</script>`
	r := s.must(201, "POST", "/api/v1/bookings", "", b)
	if strings.Contains(string(r.Body), "<script>") {
		t.Errorf("JSON answer carries raw HTML: %s", r.Body)
	}
}

func TestManageTokenGuardsCancelAndReschedule(t *testing.T) {
	s := bookingServer(t, monday)
	b := s.book(time.Date(2026, 12, 1, 9, 0, 0, 0, london), "07700 900123")
	other := s.book(time.Date(2026, 12, 1, 9, 20, 0, 0, london), "07700 900124")
	move := map[string]string{"start": time.Date(2026, 12, 1, 10, 0, 0, 0, london).Format(time.RFC3339)}
	for _, c := range []struct {
		path, token string
		status      int
	}{
		{"/cancel", "", 401},
		{"/cancel", other.ManageToken, 401},
		{"/reschedule", "", 401},
		{"/reschedule", other.ManageToken, 401},
	} {
		r := s.do("POST", "/api/v1/bookings/"+b.Reference+c.path, c.token, move)
		if r.Status != c.status {
			t.Errorf("%s with token %q: %d, want %d", c.path, c.token, r.Status, c.status)
		}
	}
	for _, ref := range []string{"NOPE", "AAAAAAA", "0O1IL2", "../../x"} {
		if r := s.do("POST", "/api/v1/bookings/"+ref+"/cancel", b.ManageToken, nil); r.Status != 404 {
			t.Errorf("cancel %q: %d, want 404", ref, r.Status)
		}
	}
	// Moving into a full slot keeps the old time.
	r := s.do("POST", "/api/v1/bookings/"+b.Reference+"/reschedule", b.ManageToken, map[string]string{"start": other.Start.Format(time.RFC3339)})
	if code, _ := r.ErrorCode(t); r.Status != 409 || code != "slot_full" {
		t.Errorf("reschedule into a full slot: %d %s", r.Status, r.Body)
	}
	var got bookingAnswer
	s.must(200, "GET", "/api/v1/bookings/"+b.Reference, b.ManageToken, nil).JSON(t, &got)
	if !got.Start.Equal(b.Start) || got.Status != "booked" {
		t.Errorf("after refused moves: %+v", got)
	}
	if n := s.count(`SELECT COUNT(*) FROM messages WHERE purpose <> 'confirmation'`); n != 0 {
		t.Errorf("%d texts for refused changes", n)
	}
	// Cancel frees the place, once; a second cancel changes nothing.
	s.must(200, "POST", "/api/v1/bookings/"+b.Reference+"/cancel", b.ManageToken, nil)
	s.must(200, "POST", "/api/v1/bookings/"+b.Reference+"/cancel", b.ManageToken, nil)
	if n := s.count(`SELECT COUNT(*) FROM messages WHERE purpose = 'cancellation'`); n != 1 {
		t.Errorf("%d cancellation texts, want 1", n)
	}
	s.book(b.Start, "07700 900125") // the place is free again
	s.must(409, "POST", "/api/v1/bookings/"+b.Reference+"/reschedule", b.ManageToken, move)
}

// TestClockChanges books on the days Europe/London changes its clocks, with
// a site open through the night so the missing and repeated hours have slots.
func TestClockChanges(t *testing.T) {
	s := start(t, config{testClock: frontdoor.NewFakeClockAt(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))})
	s.must(201, "POST", "/api/v1/sites", s.Admin, map[string]any{"id": "night", "name": "Night Office", "address": "1 Late Lane", "timezone": "Europe/London"})
	s.must(201, "POST", "/api/v1/sites/night/services", s.Admin, map[string]any{"code": "HOU", "name": "Housing", "duration_minutes": 30, "ticket_prefix": "H", "horizon_days": 366})
	var weekly, bands []map[string]any
	for _, d := range []string{"sunday", "monday", "friday"} {
		weekly = append(weekly, map[string]any{"weekday": d, "open": "00:00", "close": "10:00"})
		bands = append(bands, map[string]any{"weekday": d, "from": "00:00", "to": "04:00", "parallel": 1},
			map[string]any{"weekday": d, "from": "09:00", "to": "10:00", "parallel": 1})
	}
	s.must(200, "PUT", "/api/v1/sites/night/hours", s.Admin, map[string]any{"weekly": weekly})
	s.must(200, "PUT", "/api/v1/sites/night/services/HOU/capacity", s.Admin, map[string]any{"weekly": bands})

	slots := func(day string) []string {
		var out struct {
			Slots []struct {
				Start time.Time `json:"start"`
			} `json:"slots"`
		}
		s.must(200, "GET", "/api/v1/sites/night/services/HOU/slots?from="+day+"&to="+day, "", nil).JSON(t, &out)
		var l []string
		for _, sl := range out.Slots {
			l = append(l, sl.Start.UTC().Format("15:04Z"))
		}
		return l
	}
	// 28 March 2027: 01:00 GMT jumps to 02:00 BST; 01:00 and 01:30 do not exist.
	if got, want := strings.Join(slots("2027-03-28"), " "), "00:00Z 00:30Z 01:00Z 01:30Z 02:00Z 02:30Z 08:00Z 08:30Z"; got != want {
		t.Errorf("28 March slots (UTC) %s, want %s", got, want)
	}
	// 31 October 2027: 02:00 BST falls back to 01:00 GMT; 01:00 and 01:30 are offered once each.
	oct := slots("2027-10-31")
	if got, want := strings.Join(oct, " "), "23:00Z 23:30Z 01:00Z 01:30Z 02:00Z 02:30Z 03:00Z 03:30Z 09:00Z 09:30Z"; got != want {
		t.Errorf("31 October slots (UTC) %s, want %s", got, want)
	}

	// Book across the changes; JSON, the calendar file and the API agree on the instant.
	cases := []struct {
		local string // wall clock in London
		utc   string
	}{
		{"2027-03-26T09:00:00", "2027-03-26T09:00:00Z"}, // Friday before: GMT
		{"2027-03-28T02:00:00", "2027-03-28T01:00:00Z"}, // first minute of BST
		{"2027-03-29T09:00:00", "2027-03-29T08:00:00Z"}, // Monday after: BST
		{"2027-10-29T09:00:00", "2027-10-29T08:00:00Z"}, // Friday before: BST
		{"2027-10-31T01:30:00", "2027-10-31T01:30:00Z"}, // the repeated hour, offered once (GMT)
		{"2027-11-01T09:00:00", "2027-11-01T09:00:00Z"}, // Monday after: GMT
	}
	for i, c := range cases {
		wall, _ := time.ParseInLocation("2006-01-02T15:04:05", c.local, london)
		want, _ := time.Parse(time.RFC3339, c.utc)
		if !wall.Equal(want) {
			t.Fatalf("test case %s: Go says %s", c.local, wall.UTC())
		}
		// Move the clock to the week before so the horizon and notice allow it.
		s.app.fake.Set(t.Context(), maxTime(s.app.clock.Now(), want.Add(-7*24*time.Hour)))
		body := map[string]any{"site": "night", "service": "HOU", "start": c.utc, "name": "Night Owl", "phone": fmt.Sprintf("07700 900%03d", i)}
		var b bookingAnswer
		s.must(201, "POST", "/api/v1/bookings", "", body).JSON(t, &b)
		if !b.Start.Equal(want) {
			t.Errorf("%s: booked %s, want %s", c.local, b.Start, want)
		}
		if _, off := b.Start.Zone(); off != zoneOffset(want) {
			t.Errorf("%s: JSON start %s is not written in the site's offset", c.local, b.Start.Format(time.RFC3339))
		}
		ev := parseICS(t, s.get(b.ICSURL))
		if ev.Start != want.Format("2006-01-02T15:04:05.000Z") || ev.TZID != "Europe/London" {
			t.Errorf("%s: calendar file says %s (TZID %s), want %s", c.local, ev.Start, ev.TZID, want)
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func zoneOffset(t time.Time) int {
	_, off := t.In(london).Zone()
	return off
}

func (s *testServer) get(path string) []byte {
	s.t.Helper()
	r := s.do("GET", path, "", nil)
	if r.Status != 200 {
		s.t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	return r.Body
}

type icsEvent struct {
	UID         string `json:"uid"`
	Summary     string `json:"summary"`
	Location    string `json:"location"`
	Description string `json:"description"`
	Sequence    int    `json:"sequence"`
	Status      string `json:"status"`
	TZID        string `json:"tzid"`
	Start       string `json:"start"`
	End         string `json:"end"`
}

// parseICS reads a calendar file with ical.js, a second and independent parser.
func parseICS(t *testing.T, ics []byte) icsEvent {
	t.Helper()
	dir, _ := filepath.Abs("../../testdata/node")
	needTool(t, filepath.Join(dir, "node_modules", "ical.js"), "ical.js (run npm ci in testdata/node)")
	cmd := exec.Command("node", filepath.Join(dir, "parse-ics.mjs"))
	cmd.Stdin = strings.NewReader(string(ics))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ical.js could not parse the calendar file: %v\n%s", err, ics)
	}
	var cal struct {
		Method string     `json:"method"`
		Events []icsEvent `json:"events"`
	}
	if err := json.Unmarshal(out, &cal); err != nil {
		t.Fatal(err)
	}
	if cal.Method != "PUBLISH" || len(cal.Events) != 1 {
		t.Fatalf("calendar: method %q with %d events\n%s", cal.Method, len(cal.Events), ics)
	}
	return cal.Events[0]
}

// needTool skips a test when an outside tool is missing, except in CI where
// .ci/run installs them all and a missing one is a failure.
func needTool(t *testing.T, path, what string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return
	}
	if _, err := exec.LookPath(path); err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing: .ci/run should have installed it", what)
	}
	t.Skipf("%s is missing; .ci/run installs it", what)
}

func TestCalendarFileFollowsTheBooking(t *testing.T) {
	s := bookingServer(t, monday)
	b := s.book(time.Date(2026, 12, 1, 9, 0, 0, 0, london), "07700 900123")
	ev := parseICS(t, s.get(b.ICSURL))
	if ev.Sequence != 0 || ev.Status != "CONFIRMED" || !strings.Contains(ev.Summary, "Housing options") ||
		!strings.Contains(ev.Location, "City Hall") || !strings.Contains(ev.Location, "1 High Street") ||
		!strings.Contains(ev.Description, b.Reference) || !strings.Contains(ev.Description, b.ManageURL) {
		t.Errorf("calendar event %+v", ev)
	}
	if ev.Start != "2026-12-01T09:00:00.000Z" || ev.End != "2026-12-01T09:20:00.000Z" {
		t.Errorf("event %s–%s", ev.Start, ev.End)
	}
	s.must(200, "POST", "/api/v1/bookings/"+b.Reference+"/reschedule", b.ManageToken, map[string]string{"start": "2026-12-01T10:00:00Z"})
	moved := parseICS(t, s.get(b.ICSURL))
	if moved.UID != ev.UID || moved.Sequence <= ev.Sequence || moved.Start != "2026-12-01T10:00:00.000Z" {
		t.Errorf("after reschedule: %+v (was %+v)", moved, ev)
	}
	s.must(200, "POST", "/api/v1/bookings/"+b.Reference+"/cancel", b.ManageToken, nil)
	cancelled := parseICS(t, s.get(b.ICSURL))
	if cancelled.UID != ev.UID || cancelled.Sequence <= moved.Sequence || cancelled.Status != "CANCELLED" {
		t.Errorf("after cancel: %+v", cancelled)
	}
	// A wrong token finds nothing.
	if r := s.do("GET", strings.Replace(b.ICSURL, b.ManageToken, "x"+b.ManageToken[1:], 1), "", nil); r.Status != 404 {
		t.Errorf("calendar with a wrong token: %d", r.Status)
	}
}

func TestQRCodeDecodesToTheCheckinCode(t *testing.T) {
	needTool(t, "zbarimg", "zbarimg (Debian package zbar-tools)")
	s := bookingServer(t, monday)
	b := s.book(time.Date(2026, 12, 1, 9, 0, 0, 0, london), "07700 900123")
	png := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(png, s.get(b.QRURL), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("zbarimg", "--quiet", "--raw", png).Output()
	if err != nil {
		t.Fatalf("zbarimg could not read the QR code: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != b.CheckinCode {
		t.Errorf("QR code holds %q, want the check-in code %q", got, b.CheckinCode)
	}
	if r := s.do("GET", "/qr/AAAAAAAAAAAAAAAAAAAA.png", "", nil); r.Status != 404 {
		t.Errorf("QR for an unknown code: %d", r.Status)
	}
}
