package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"frontdoor"
)

// The admin pages, through the real server: a centre set up with forms
// alone is what the public API and the slots then show; bad input is
// refused whole with an error summary; other roles and other centres are
// kept out; tokens and accounts made and ended on the pages work, and stop
// working, on the API and at sign-in.

// adminMonday is Monday 30 November 2026, 08:00 in London, on a clock that
// stands still: the slots and closures below are counted from it.
var adminMonday = time.Date(2026, 11, 30, 8, 0, 0, 0, london)

// adminSession is a signed-in browser: its session cookie.
type adminSession struct {
	s       *testServer
	cookies []*http.Cookie
	id      int64
}

// signInNew adds a user with role (limited to site unless "") and signs them in.
func (s *testServer) signInNew(name, role, site string) adminSession {
	s.t.Helper()
	const password = "correct horse battery"
	u, err := s.app.staff.CreateUser(context.Background(), name, role, site, password)
	if err != nil {
		s.t.Fatal(err)
	}
	r := s.page("POST", "/sign-in", url.Values{"name": {name}, "password": {password}}, nil)
	if r.Status != http.StatusSeeOther || sessionCookie(r) == nil {
		s.t.Fatalf("sign in %s: %d", name, r.Status)
	}
	return adminSession{s: s, cookies: []*http.Cookie{sessionCookie(r)}, id: u.ID}
}

// get fetches a page and checks its status.
func (a adminSession) get(path string, want int) response {
	a.s.t.Helper()
	r := a.s.page("GET", path, nil, a.cookies)
	if r.Status != want {
		a.s.t.Fatalf("GET %s: %d, want %d\n%s", path, r.Status, want, pageText(r.Body))
	}
	return r
}

// submit posts a form that must succeed: it follows the redirect, carrying
// the flash cookie as a browser would, and returns the page it lands on.
func (a adminSession) submit(path string, form url.Values) response {
	a.s.t.Helper()
	r := a.s.page("POST", path, form, a.cookies)
	if r.Status != http.StatusSeeOther {
		a.s.t.Fatalf("POST %s: %d, want 303\n%s", path, r.Status, pageText(r.Body))
	}
	next := a.s.page("GET", r.Header.Get("Location"), nil, append(append([]*http.Cookie{}, a.cookies...), r.Cookies...))
	if next.Status != 200 {
		a.s.t.Fatalf("after POST %s, GET %s: %d\n%s", path, r.Header.Get("Location"), next.Status, pageText(next.Body))
	}
	return next
}

// refused posts a form that must be refused with status want: an error
// summary linking to each of fields, and nothing written.
func (a adminSession) refused(path string, form url.Values, want int, fields ...string) response {
	a.s.t.Helper()
	before := a.s.dump()
	r := a.s.page("POST", path, form, a.cookies)
	if r.Status != want {
		a.s.t.Errorf("POST %s %v: %d, want %d\n%s", path, form, r.Status, want, pageText(r.Body))
		return r
	}
	if want < 500 && len(fields) > 0 {
		hasSummaryLinks(a.s.t, r, fields...)
	}
	if after := a.s.dump(); after != before {
		a.s.t.Errorf("POST %s was refused but changed the database", path)
	}
	return r
}

// hasSummaryLinks checks a page's error summary links to each input id,
// and that the input is on the page.
func hasSummaryLinks(t testing.TB, r response, fields ...string) {
	t.Helper()
	body := string(r.Body)
	if !strings.Contains(body, `class="govuk-error-summary"`) || !strings.Contains(body, "<title>Error: ") {
		t.Errorf("no error summary (status %d):\n%s", r.Status, pageText(r.Body))
		return
	}
	for _, f := range fields {
		if !strings.Contains(body, `href="#`+f+`"`) {
			t.Errorf("the error summary has no link to #%s:\n%s", f, pageText(r.Body))
		}
		if !strings.Contains(body, `id="`+f+`"`) {
			t.Errorf("no input with id %q for the summary's link", f)
		}
	}
}

// freeSlots is the HOU-like service's free starts (as "15:04" London) on day.
func (s *testServer) freeSlots(site, code, day string) map[string]int {
	s.t.Helper()
	var out struct {
		Slots []struct {
			Start     time.Time `json:"start"`
			Remaining int       `json:"remaining"`
		} `json:"slots"`
	}
	s.must(200, "GET", "/api/v1/sites/"+site+"/services/"+code+"/slots?from="+day+"&to="+day, "", nil).JSON(s.t, &out)
	m := map[string]int{}
	for _, sl := range out.Slots {
		m[sl.Start.In(london).Format("15:04")] = sl.Remaining
	}
	return m
}

func adminServer(t *testing.T) *testServer {
	t.Helper()
	return start(t, config{testClock: frontdoor.NewStoppedClock(adminMonday)})
}

func TestAdminSetsUpACentreWithPagesAlone(t *testing.T) {
	s := adminServer(t)
	a := s.signInNew("Ada Admin", frontdoor.RoleAdmin, "")

	home := a.get("/staff/admin", 200)
	shows(t, home, "Admin", "There are no customer centres yet", "Add a customer centre")
	if !strings.Contains(string(a.get("/staff", 200).Body), `href="/staff/admin"`) {
		t.Error("the staff home page does not link an admin to the admin pages")
	}

	r := a.submit("/staff/admin/sites/new", url.Values{"id": {"town-hall"}, "name": {"Town Hall"},
		"address": {"1 Market Place\nTownsville"}, "timezone": {"Europe/London"}})
	shows(t, r, "Town Hall added", "No services yet", "No desks yet")
	var site map[string]any
	s.must(200, "GET", "/api/v1/sites/town-hall", "", nil).JSON(t, &site)
	if site["name"] != "Town Hall" || site["timezone"] != "Europe/London" || site["address"] != "1 Market Place\nTownsville" {
		t.Errorf("the site the API shows: %v", site)
	}

	base := "/staff/admin/sites/town-hall"
	r = a.submit(base+"/services/new", url.Values{"code": {"hou"}, "name": {"Housing options"}, "duration_minutes": {"30"},
		"ticket_prefix": {"h"}, "bookable": {"yes"}, "walk_in": {"yes"}, "appointment_target_minutes": {"10"},
		"walk_in_first_contact_minutes": {"10"}, "walk_in_target_minutes": {"30"}, "min_notice_minutes": {"120"}, "horizon_days": {"90"}})
	shows(t, r, "Housing options added", "Set its capacity")
	var svc map[string]any
	s.must(200, "GET", "/api/v1/sites/town-hall/services/HOU", "", nil).JSON(t, &svc)
	if svc["duration_minutes"] != 30.0 || svc["ticket_prefix"] != "H" || svc["bookable"] != true {
		t.Errorf("the service the API shows: %v", svc)
	}

	a.submit(base+"/desks/new", url.Values{"id": {"desk-a"}, "name": {"Desk A"}, "services": {"HOU"}})
	var desks struct {
		Desks []struct {
			ID       string   `json:"id"`
			Services []string `json:"services"`
		} `json:"desks"`
	}
	s.must(200, "GET", "/api/v1/sites/town-hall/desks", s.Admin, nil).JSON(t, &desks)
	if len(desks.Desks) != 1 || desks.Desks[0].ID != "desk-a" || strings.Join(desks.Desks[0].Services, ",") != "HOU" {
		t.Errorf("desks: %+v", desks)
	}

	// Times typed as people type them are tidied; a lunch closure is a second period.
	hours := url.Values{}
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		hours.Set(d+"-open", "9:00")
		hours.Set(d+"-close", "17.00")
	}
	hours.Set("tuesday-close", "12:30")
	hours.Set("tuesday-open-2", "13:30")
	hours.Set("tuesday-close-2", "17:00")
	r = a.submit(base+"/hours", hours)
	shows(t, r, "Opening hours saved", "Tuesday 09:00 to 12:30 and 13:30 to 17:00", "Saturday Closed")
	var h struct {
		Weekly []map[string]string `json:"weekly"`
	}
	s.must(200, "GET", "/api/v1/sites/town-hall/hours", "", nil).JSON(t, &h)
	if len(h.Weekly) != 6 || h.Weekly[0]["open"] != "09:00" || h.Weekly[0]["close"] != "17:00" {
		t.Errorf("weekly hours: %v", h.Weekly)
	}

	// No capacity, no slots: the page says so.
	shows(t, a.get(base, 200), "None: nobody can book")
	const nextMonday, nextTuesday = "2026-12-07", "2026-12-08"
	if got := s.freeSlots("town-hall", "HOU", nextMonday); len(got) != 0 {
		t.Errorf("slots before any capacity: %v", got)
	}
	capacity := url.Values{"band-0-weekday": {"monday"}, "band-0-from": {"09:00"}, "band-0-to": {"12:00"}, "band-0-parallel": {"2"},
		"band-1-weekday": {"tuesday"}, "band-1-from": {"11:00"}, "band-1-to": {"14:00"}, "band-1-parallel": {"1"},
		"band-2-weekday": {""}, "band-2-from": {""}, "band-2-to": {""}, "band-2-parallel": {""}}
	shows(t, a.submit(base+"/services/HOU/capacity", capacity), "Capacity for Housing options saved")
	if got := s.freeSlots("town-hall", "HOU", nextMonday); len(got) != 6 || got["09:00"] != 2 || got["11:30"] != 2 {
		t.Errorf("Monday's slots with 2 at once from 09:00 to 12:00: %v", got)
	}
	// Tuesday's lunch closure leaves 11:00, 11:30, 12:00 (ends at 12:30) and 13:30.
	if got := s.freeSlots("town-hall", "HOU", nextTuesday); len(got) != 4 || got["12:00"] != 1 || got["13:30"] != 1 {
		t.Errorf("Tuesday's slots around lunch: %v", got)
	}
	// The capacity page lists what is stored, and three empty rows more.
	page := a.get(base+"/services/HOU/capacity", 200)
	for _, want := range []string{`id="band-1-from"`, `value="11:00"`, `id="band-4-from"`} {
		if !strings.Contains(string(page.Body), want) {
			t.Errorf("the capacity page has no %s", want)
		}
	}
	capacity.Set("band-0-parallel", "3")
	capacity.Set("band-1-from", "") // emptied: removed
	capacity.Set("band-1-to", "")
	capacity.Set("band-1-parallel", "")
	a.submit(base+"/services/HOU/capacity", capacity)
	if got := s.freeSlots("town-hall", "HOU", nextMonday); got["09:00"] != 3 {
		t.Errorf("after raising capacity to 3: %v", got)
	}
	if got := s.freeSlots("town-hall", "HOU", nextTuesday); len(got) != 0 {
		t.Errorf("Tuesday's band was removed, but: %v", got)
	}

	// A whole-day closure takes the day's slots away, and removing it brings them back.
	r = a.submit(base+"/closures", url.Values{"date-day": {"7"}, "date-month": {"12"}, "date-year": {"2026"}, "reason": {"Staff training"}})
	shows(t, r, "Closed Monday 7 December 2026, all day", "Staff training")
	if got := s.freeSlots("town-hall", "HOU", nextMonday); len(got) != 0 {
		t.Errorf("slots on a closed day: %v", got)
	}
	if got := s.freeSlots("town-hall", "HOU", "2026-12-14"); len(got) != 6 {
		t.Errorf("the Monday after the closure: %v", got)
	}
	remove := regexp.MustCompile(`action="(/staff/admin/sites/town-hall/closures/\d+/remove)"`).FindStringSubmatch(string(r.Body))
	if remove == nil {
		t.Fatalf("no remove button for the closure:\n%s", pageText(r.Body))
	}
	shows(t, a.submit(remove[1], url.Values{}), "residents can book then again", "No closures coming up")
	if got := s.freeSlots("town-hall", "HOU", nextMonday); len(got) != 6 {
		t.Errorf("after removing the closure: %v", got)
	}
	// A part-day closure takes only the slots it touches.
	a.submit(base+"/closures", url.Values{"date-day": {"07"}, "date-month": {"12"}, "date-year": {"2026"}, "from": {"10:00"}, "to": {"11:00"}, "reason": {"Fire drill"}})
	got := s.freeSlots("town-hall", "HOU", nextMonday)
	_, at10 := got["10:00"]
	_, at1030 := got["10:30"]
	if len(got) != 4 || at10 || at1030 {
		t.Errorf("with 10:00 to 11:00 closed: %v", got)
	}

	// Every change is in the audit trail under the admin's name.
	label := "user:" + strconv.FormatInt(a.id, 10)
	for _, action := range []string{"setup.site_created", "setup.service_created", "setup.desk_created", "setup.hours_changed",
		"setup.capacity_changed", "setup.closure_added", "setup.closure_removed"} {
		if s.count(`SELECT COUNT(*) FROM audit WHERE action = ? AND actor = ? AND site_id = 'town-hall'`, action, label) == 0 {
			t.Errorf("no %s audit row by %s", action, label)
		}
	}
}

// serviceForm is a valid service form for code with the charter's defaults.
func serviceForm(code, name, minutes string) url.Values {
	return url.Values{"code": {code}, "name": {name}, "duration_minutes": {minutes}, "ticket_prefix": {code[:1]},
		"bookable": {"yes"}, "walk_in": {"yes"}, "appointment_target_minutes": {"10"}, "walk_in_first_contact_minutes": {"10"},
		"walk_in_target_minutes": {"30"}, "min_notice_minutes": {"120"}, "horizon_days": {"90"}}
}

func TestAdminServiceChangeKeepsBookings(t *testing.T) {
	s := adminServer(t)
	s.setupCentre()
	a := s.signInNew("Ada Admin", frontdoor.RoleAdmin, "")
	b := s.book(time.Date(2026, 12, 1, 9, 20, 0, 0, london), "07700 900123")
	bookings := func() string {
		var out strings.Builder
		rows, err := s.app.db.Read.Query(`SELECT reference, service_code, start_at, end_at, status FROM bookings ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var ref, code, status string
			var from, to int64
			rows.Scan(&ref, &code, &from, &to, &status)
			out.WriteString(ref + code + strconv.FormatInt(from, 10) + strconv.FormatInt(to, 10) + status + "\n")
		}
		return out.String()
	}
	before := bookings()

	edit := a.get("/staff/admin/sites/city-hall/services/HOU", 200)
	shows(t, edit, "Changing this service does not move, shorten or cancel any appointment", "The 1 appointment already booked keeps its time and length")
	// Places are counted by start time, so a new length with appointments
	// still booked on the old grid would overbook: refused, nothing written.
	form := serviceForm("HOU", "Housing advice", "30")
	form.Del("walk_in")
	form.Set("appointment_target_minutes", "15")
	r := a.refused("/staff/admin/sites/city-hall/services/HOU", form, 409, "duration_minutes")
	shows(t, r, "Keep 20 minutes until the appointment already booked has passed")
	form.Set("duration_minutes", "20")
	r = a.submit("/staff/admin/sites/city-hall/services/HOU", form)
	shows(t, r, "Housing advice saved", "Appointments already booked keep their times")

	if after := bookings(); after != before {
		t.Errorf("changing the service changed its bookings:\nbefore %s\nafter  %s", before, after)
	}
	got := apiBooking(t, s, b.Reference)
	if got["status"] != "booked" {
		t.Errorf("the booking is %v after the service changed", got["status"])
	}
	startsAt(t, got, "2026-12-01T09:20:00Z")
	var svc map[string]any
	s.must(200, "GET", "/api/v1/sites/city-hall/services/HOU", "", nil).JSON(t, &svc)
	if svc["name"] != "Housing advice" || svc["duration_minutes"] != 20.0 || svc["walk_in"] != false || svc["appointment_target_minutes"] != 15.0 {
		t.Errorf("the service after the change: %v", svc)
	}
	// With no appointment left to come, the length can change.
	s.must(200, "POST", "/api/v1/bookings/"+b.Reference+"/cancel", b.ManageToken, nil)
	form.Set("duration_minutes", "30")
	a.submit("/staff/admin/sites/city-hall/services/HOU", form)
	// The slots follow the new length at once (the schedule cache was dropped).
	if got := s.freeSlots("city-hall", "HOU", "2026-12-02"); len(got) != 6 || got["09:30"] != 1 {
		t.Errorf("Wednesday's slots on the 30-minute grid: %v", got)
	}
	if n := s.count(`SELECT COUNT(*) FROM audit WHERE action = 'setup.service_changed' AND subject = 'service:HOU' AND detail LIKE '%duration_minutes%'`); n != 1 {
		t.Errorf("%d audit rows for the change, want 1 naming what changed", n)
	}

	// The time zone is fixed once there are bookings, and the page says why.
	page := a.get("/staff/admin/sites/city-hall/edit", 200)
	shows(t, page, "The time zone cannot be changed now")
	if strings.Contains(string(page.Body), `name="timezone"`) {
		t.Error("the time zone can still be chosen on a centre with bookings")
	}
	a.submit("/staff/admin/sites/city-hall/edit", url.Values{"name": {"City Hall Centre"}, "address": {"1 High Street"}, "timezone": {"Europe/Dublin"}})
	var site map[string]any
	s.must(200, "GET", "/api/v1/sites/city-hall", "", nil).JSON(t, &site)
	if site["name"] != "City Hall Centre" || site["timezone"] != "Europe/London" {
		t.Errorf("after editing a centre with bookings: %v", site)
	}
	// A centre nobody has booked yet can still change zone.
	s.must(201, "POST", "/api/v1/sites", s.Admin, map[string]any{"id": "annexe", "name": "Annexe", "address": "2 Side Street", "timezone": "Europe/London"})
	a.submit("/staff/admin/sites/annexe/edit", url.Values{"name": {"Annexe"}, "address": {"2 Side Street"}, "timezone": {"Europe/Dublin"}, "display_token_required": {"yes"}})
	s.must(200, "GET", "/api/v1/sites/annexe", "", nil).JSON(t, &site)
	if site["timezone"] != "Europe/Dublin" || site["display_token_required"] != true {
		t.Errorf("after editing a new centre: %v", site)
	}
}

func TestAdminRefusesBadInput(t *testing.T) {
	s := adminServer(t)
	s.setupCentre()
	a := s.signInNew("Ada Admin", frontdoor.RoleAdmin, "")
	base := "/staff/admin/sites/city-hall"
	site := func(kv ...string) url.Values {
		v := url.Values{"id": {"annexe"}, "name": {"Annexe"}, "address": {"2 Side Street"}, "timezone": {"Europe/London"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	long := strings.Repeat("x", 10<<10)

	a.refused("/staff/admin/sites/new", site("name", ""), 400, "name")
	a.refused("/staff/admin/sites/new", site("name", long), 400, "name")
	a.refused("/staff/admin/sites/new", site("id", "city-hall"), 409, "id")
	a.refused("/staff/admin/sites/new", site("id", "Not An Id", "timezone", "Mars/Base"), 400, "id", "timezone")
	r := a.refused("/staff/admin/sites/new", site("id", "", "name", `<script>alert(1)</script>`), 400, "id")
	if strings.Contains(string(r.Body), "<script>alert(1)") || !strings.Contains(string(r.Body), `value="&lt;script&gt;alert(1)&lt;/script&gt;"`) {
		t.Error("the name typed is not shown back escaped")
	}
	a.refused(base+"/edit", url.Values{"name": {"City Hall"}, "address": {""}}, 400, "address")

	hou := serviceForm("HOU", "Housing", "20")
	a.refused(base+"/services/new", hou, 409, "code")
	bad := serviceForm("BEN", "Benefits", "abc")
	bad.Set("walk_in_first_contact_minutes", "40")
	bad.Set("ticket_prefix", "12")
	a.refused(base+"/services/new", bad, 400, "duration_minutes", "ticket_prefix", "walk_in_target_minutes")
	a.refused(base+"/services/HOU", serviceForm("HOU", "", "20"), 400, "name")

	hours := func(kv ...string) url.Values {
		v := url.Values{"monday-open": {"09:00"}, "monday-close": {"17:00"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	r = a.refused(base+"/hours", hours("tuesday-open", "25:00", "tuesday-close", "17:00"), 400, "tuesday-open")
	shows(t, r, "Tuesday: enter the opening time as HH:MM")
	r = a.refused(base+"/hours", hours("monday-close", "08:00"), 400, "monday-close")
	shows(t, r, "Monday: the closing time must be after the opening time")
	a.refused(base+"/hours", hours("monday-open-2", "12:00", "monday-close-2", "18:00"), 400, "monday-open-2")
	a.refused(base+"/hours", hours("friday-open", "09:00"), 400, "friday-close")

	band := func(rows ...[4]string) url.Values {
		v := url.Values{}
		for i, b := range rows {
			pre := "band-" + strconv.Itoa(i) + "-"
			v.Set(pre+"weekday", b[0])
			v.Set(pre+"from", b[1])
			v.Set(pre+"to", b[2])
			v.Set(pre+"parallel", b[3])
		}
		return v
	}
	r = a.refused(base+"/services/HOU/capacity", band([4]string{"monday", "09:00", "12:00", "1"}, [4]string{"", "", "", ""},
		[4]string{"monday", "11:00", "13:00", "1"}), 400, "band-2-from")
	shows(t, r, "Row 3: Monday 11:00–13:00 overlaps 09:00–12:00")
	a.refused(base+"/services/HOU/capacity", band([4]string{"monday", "09:00", "12:00", "0"}), 400, "band-0-parallel")
	a.refused(base+"/services/HOU/capacity", band([4]string{"", "09:00", "12:00", "1"}), 400, "band-0-weekday")
	a.refused(base+"/services/HOU/capacity", band([4]string{"friday", "9am", "12:00", "1"}), 400, "band-0-from")

	closure := func(kv ...string) url.Values {
		v := url.Values{"date-day": {"7"}, "date-month": {"12"}, "date-year": {"2026"}, "reason": {"Training"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	r = a.refused(base+"/closures", closure("date-day", "27", "date-month", "11"), 400, "date-day")
	shows(t, r, "The date must be today or in the future")
	a.refused(base+"/closures", closure("date-day", "31", "date-month", "2", "date-year", "2027"), 400, "date-day")
	a.refused(base+"/closures", closure("date-day", "", "date-month", "", "date-year", "", "reason", ""), 400, "date-day", "reason")
	a.refused(base+"/closures", closure("from", "13:00", "to", "12:00"), 400, "to")
	a.refused(base+"/closures", closure("from", "13:00"), 400, "to")
	a.refused(base+"/closures", closure("date-day", "25"), 409, "date-day") // City Hall is closed all Christmas Day already

	a.refused(base+"/desks/new", url.Values{"id": {"desk-1"}, "name": {"Desk 1 again"}, "services": {"HOU"}}, 409, "id")
	a.refused(base+"/desks/new", url.Values{"id": {"desk-9"}, "name": {"Desk 9"}}, 400, "services")
	a.refused(base+"/desks/desk-1", url.Values{"name": {""}, "services": {"HOU"}}, 400, "name")

	user := func(kv ...string) url.Values {
		v := url.Values{"name": {"Sam Reception"}, "role": {"reception"}, "site": {"city-hall"}, "password": {"a long enough password"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	r = a.refused("/staff/admin/users/new", user("password", "short"), 400, "password")
	if strings.Contains(string(r.Body), "short") {
		t.Error("the refused form sent the password back")
	}
	a.refused("/staff/admin/users/new", user("name", "Ada Admin"), 409, "name")
	a.refused("/staff/admin/users/new", user("role", ""), 400, "role")
	a.refused("/staff/admin/users/new", user("site", "nowhere"), 400, "site")
	a.refused("/staff/admin/tokens/new", url.Values{"name": {"Kiosk"}, "role": {"device"}, "site": {""}}, 400, "site")
	a.refused("/staff/admin/tokens/new", url.Values{"name": {""}, "role": {"device"}, "site": {"city-hall"}}, 400, "name")

	// What was refused is shown back, escaped; what is accepted is shown escaped too.
	r = a.submit("/staff/admin/sites/new", site("name", `<b>Annexe</b> & Co`))
	if strings.Contains(string(r.Body), "<b>Annexe") || !strings.Contains(string(r.Body), "&lt;b&gt;Annexe&lt;/b&gt; &amp; Co") {
		t.Error("a centre's name with HTML in it is not escaped on its page")
	}
	// An unknown centre, service or desk is a 404 page, not a 500.
	a.get("/staff/admin/sites/nowhere", 404)
	a.get(base+"/services/NOPE", 404)
	a.get(base+"/desks/nope", 404)
	a.get("/staff/admin/users/999", 404)
	a.get("/staff/admin/tokens/abc/revoke", 404)
}

func TestAdminPagesKeepOthersOut(t *testing.T) {
	s := adminServer(t)
	s.setupCentre()
	s.must(201, "POST", "/api/v1/sites", s.Admin, map[string]any{"id": "annexe", "name": "Annexe", "address": "2 Side Street", "timezone": "Europe/London"})
	s.must(201, "POST", "/api/v1/sites/annexe/services", s.Admin, map[string]any{"code": "HOU", "name": "Annexe housing", "duration_minutes": 20, "ticket_prefix": "H"})
	s.must(201, "POST", "/api/v1/sites/annexe/desks", s.Admin, map[string]any{"id": "annexe-1", "name": "Annexe desk", "services": []string{"HOU"}})
	newSite := url.Values{"id": {"third"}, "name": {"Third"}, "address": {"3 Road"}, "timezone": {"Europe/London"}}
	annexeService := serviceForm("BEN", "Benefits", "20")

	// Signed out: sent to sign in, and back afterwards; nothing written.
	before := s.dump()
	r := s.page("GET", "/staff/admin/sites/annexe", nil, nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/sign-in?next="+url.QueryEscape("/staff/admin/sites/annexe") {
		t.Errorf("signed out: %d to %q", r.Status, r.Header.Get("Location"))
	}
	if r := s.page("POST", "/staff/admin/sites/new", newSite, nil); r.Status != http.StatusSeeOther {
		t.Errorf("signed-out POST: %d", r.Status)
	}
	// A bearer token is for the API, not the pages.
	if r := s.page("GET", "/staff/admin", nil, nil, "Authorization", "Bearer "+s.Admin); r.Status != http.StatusSeeOther {
		t.Errorf("admin token on the pages: %d, want a redirect to sign in", r.Status)
	}
	// Other roles: 403, and no Admin in their navigation.
	for _, role := range []string{frontdoor.RoleManager, frontdoor.RoleReception, frontdoor.RoleOfficer} {
		u := s.signInNew("test "+role, role, "")
		u.get("/staff/admin", 403)
		u.get("/staff/admin/users", 403)
		u.get("/staff/admin/sites/city-hall/hours", 403)
		if r := s.page("POST", "/staff/admin/sites/new", newSite, u.cookies); r.Status != 403 {
			t.Errorf("%s POST a new site: %d", role, r.Status)
		}
		if r := s.page("POST", "/staff/admin/sites/city-hall/services/new", annexeService, u.cookies); r.Status != 403 {
			t.Errorf("%s POST a new service: %d", role, r.Status)
		}
		if strings.Contains(string(u.get("/staff", 200).Body), `href="/staff/admin"`) {
			t.Errorf("a %s is offered the admin pages", role)
		}
	}
	// The sign-ins above wrote sessions only.
	strip := func(d string) string {
		var keep []string
		table := ""
		for _, line := range strings.Split(d, "\n") {
			if strings.HasPrefix(line, "== ") {
				table = line
			}
			if table != "== sessions" && table != "== users" && table != "== audit" {
				keep = append(keep, line)
			}
		}
		return strings.Join(keep, "\n")
	}
	if strip(s.dump()) != strip(before) {
		t.Error("refused requests from other roles changed the setup")
	}

	// An admin of one centre sees and changes that centre only.
	here := s.signInNew("Hana Here", frontdoor.RoleAdmin, "city-hall")
	other := s.signInNew("Otto Annexe", frontdoor.RoleReception, "annexe")
	everyone := s.signInNew("Eve Everywhere", frontdoor.RoleManager, "")
	s.token(frontdoor.RoleDevice, "annexe")
	home := here.get("/staff/admin", 200)
	shows(t, home, "City Hall")
	if strings.Contains(pageText(home.Body), "Annexe") || strings.Contains(string(home.Body), `href="/staff/admin/sites/new"`) {
		t.Error("an admin of City Hall is shown the Annexe or offered a new centre")
	}
	before = s.dump()
	here.get("/staff/admin/sites/annexe", 403)
	here.get("/staff/admin/sites/annexe/services/HOU", 403)
	here.get("/staff/admin/sites/new", 403)
	for path, form := range map[string]url.Values{
		"/staff/admin/sites/new":                          newSite,
		"/staff/admin/sites/annexe/services/new":          annexeService,
		"/staff/admin/sites/annexe/edit":                  {"name": {"Mine now"}, "address": {"x"}},
		"/staff/admin/sites/annexe/desks/annexe-1":        {"name": {"Mine"}, "services": {"HOU"}},
		"/staff/admin/sites/annexe/desks/annexe-1/retire": {},
		"/staff/admin/sites/annexe/hours":                 {"monday-open": {"09:00"}, "monday-close": {"10:00"}},
		"/staff/admin/sites/annexe/closures":              {"date-day": {"7"}, "date-month": {"12"}, "date-year": {"2026"}, "reason": {"x"}},
		"/staff/admin/sites/annexe/services/HOU/capacity": {"band-0-weekday": {"monday"}, "band-0-from": {"09:00"}, "band-0-to": {"10:00"}, "band-0-parallel": {"1"}},
	} {
		if r := s.page("POST", path, form, here.cookies); r.Status != 403 {
			t.Errorf("an admin of City Hall POST %s: %d, want 403", path, r.Status)
		}
	}
	// Its staff and tokens only, and accounts for its own centre only.
	users := pageText(here.get("/staff/admin/users", 200).Body)
	if !strings.Contains(users, "Hana Here") || strings.Contains(users, "Otto Annexe") || strings.Contains(users, "Eve Everywhere") {
		t.Errorf("an admin of City Hall sees these staff: %s", users)
	}
	here.get("/staff/admin/users/"+strconv.FormatInt(other.id, 10), 403)
	if r := s.page("POST", "/staff/admin/users/"+strconv.FormatInt(everyone.id, 10)+"/disable", url.Values{}, here.cookies); r.Status != 403 {
		t.Errorf("an admin of City Hall disabling a manager of every centre: %d", r.Status)
	}
	if strings.Contains(pageText(here.get("/staff/admin/tokens", 200).Body), "annexe") {
		t.Error("an admin of City Hall sees the Annexe's token")
	}
	var annexeToken int64
	if err := s.app.db.Read.QueryRow(`SELECT id FROM tokens WHERE site_id = 'annexe'`).Scan(&annexeToken); err != nil {
		t.Fatal(err)
	}
	if r := s.page("POST", "/staff/admin/tokens/"+strconv.FormatInt(annexeToken, 10)+"/revoke", url.Values{}, here.cookies); r.Status != 403 {
		t.Errorf("an admin of City Hall revoking the Annexe's token: %d", r.Status)
	}
	here.refused("/staff/admin/users/new", url.Values{"name": {"New Person"}, "role": {"admin"}, "site": {""}, "password": {"a long enough password"}}, 400, "site")
	here.refused("/staff/admin/users/new", url.Values{"name": {"New Person"}, "role": {"officer"}, "site": {"annexe"}, "password": {"a long enough password"}}, 400, "site")
	here.refused("/staff/admin/tokens/new", url.Values{"name": {"API"}, "role": {"admin"}, "site": {""}}, 400, "site")
	if strip(s.dump()) != strip(before) {
		t.Error("an admin of City Hall changed another centre")
	}
	// A form posted from another website is refused, even with an admin's session.
	ada := s.signInNew("Ada Admin", frontdoor.RoleAdmin, "")
	before = s.dump()
	if r := s.page("POST", "/staff/admin/sites/new", newSite, ada.cookies, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"); r.Status != 403 {
		t.Errorf("a cross-site form post: %d, want 403", r.Status)
	}
	if s.dump() != before {
		t.Error("a cross-site form post changed the database")
	}
	// What is theirs they can change.
	here.submit("/staff/admin/sites/city-hall/closures", url.Values{"date-day": {"7"}, "date-month": {"12"}, "date-year": {"2026"}, "reason": {"Training"}})
	here.submit("/staff/admin/users/new", url.Values{"name": {"New Person"}, "role": {"officer"}, "site": {"city-hall"}, "password": {"a long enough password"}})
}

var secretRE = regexp.MustCompile(`id="token" name="token" type="text" value="(fd_[a-z0-9]+)"`)

func TestAdminTokensWorkUntilRevoked(t *testing.T) {
	s := adminServer(t)
	s.setupCentre()
	a := s.signInNew("Ada Admin", frontdoor.RoleAdmin, "")

	// A reception token made on the page works on the API at once.
	r := s.page("POST", "/staff/admin/tokens/new", url.Values{"name": {"Reception PC"}, "role": {"reception"}, "site": {"city-hall"}}, a.cookies)
	created := location(t, r)
	if !regexp.MustCompile(`^/staff/admin/tokens/\d+/created$`).MatchString(created) {
		t.Fatalf("after creating a token: %q", created)
	}
	page := s.page("GET", created, nil, append(a.cookies, r.Cookies...))
	expect(t, page, 200, "the new token's page")
	shows(t, page, "Copy the token now. It will not be shown again.")
	m := secretRE.FindSubmatch(page.Body)
	if m == nil {
		t.Fatalf("the page does not show the token:\n%s", pageText(page.Body))
	}
	secret := string(m[1])
	if n := s.count(`SELECT COUNT(*) FROM tokens WHERE name = 'Reception PC' AND CAST(hash AS TEXT) = ?`, secret); n != 0 {
		t.Error("the token is stored in the clear")
	}
	// Shown once: the cookie that carried it is cleared, and a second look shows nothing.
	var cleared bool
	for _, c := range page.Cookies {
		cleared = cleared || (c.Name == "frontdoor_new_token" && c.MaxAge < 0)
	}
	if !cleared {
		t.Error("the new token's cookie is not cleared when it is shown")
	}
	again := s.page("GET", created, nil, a.cookies)
	shows(t, again, "This token cannot be shown again")
	if strings.Contains(string(again.Body), secret) {
		t.Error("the token is shown a second time")
	}
	// A cookie that is not this token's secret shows nothing.
	forged := s.page("GET", created, nil, append(a.cookies, &http.Cookie{Name: "frontdoor_new_token", Value: "fd_forged"}))
	if strings.Contains(string(forged.Body), "fd_forged") {
		t.Error("the page shows a secret it was handed in a cookie")
	}

	s.must(200, "GET", "/api/v1/sites/city-hall/desks", secret, nil)
	s.must(201, "POST", "/api/v1/sites/city-hall/tickets", secret, map[string]any{"service": "HOU"})
	s.must(403, "POST", "/api/v1/sites", secret, map[string]any{"id": "x", "name": "x", "address": "x", "timezone": "Europe/London"})

	tokens := a.get("/staff/admin/tokens", 200)
	shows(t, tokens, "Reception PC", "Reception", "City Hall", "Active")
	revoke := regexp.MustCompile(`href="(/staff/admin/tokens/\d+/revoke)">Revoke<span class="govuk-visually-hidden"> Reception PC`).FindSubmatch(tokens.Body)
	if revoke == nil {
		t.Fatalf("no revoke link for the token:\n%s", tokens.Body)
	}
	path := string(revoke[1])
	shows(t, a.get(path, 200), "Revoke the token Reception PC?", "Anything that uses it stops working at once")
	s.must(200, "GET", "/api/v1/sites/city-hall/desks", secret, nil) // asking is not revoking
	shows(t, a.submit(path, url.Values{}), "The token Reception PC is revoked", "Revoked")
	s.must(401, "GET", "/api/v1/sites/city-hall/desks", secret, nil)
	if n := s.count(`SELECT COUNT(*) FROM audit WHERE action IN ('token.created', 'token.revoked') AND actor = ?`, "user:"+strconv.FormatInt(a.id, 10)); n != 2 {
		t.Errorf("%d audit rows for the token by the admin, want 2", n)
	}

	// A device token must name its centre, and works there.
	r = s.page("POST", "/staff/admin/tokens/new", url.Values{"name": {"Kiosk 1"}, "role": {"device"}, "site": {"city-hall"}}, a.cookies)
	page = s.page("GET", location(t, r), nil, append(a.cookies, r.Cookies...))
	shows(t, page, "open its set-up page and enter the token")
	kiosk := string(secretRE.FindSubmatch(page.Body)[1])
	s.must(201, "POST", "/api/v1/sites/city-hall/tickets", kiosk, map[string]any{"service": "HOU"})
}

func TestAdminDisablingAUserEndsTheirSession(t *testing.T) {
	s := adminServer(t)
	s.setupCentre()
	a := s.signInNew("Ada Admin", frontdoor.RoleAdmin, "")

	r := a.submit("/staff/admin/users/new", url.Values{"name": {"Sam Reception"}, "role": {"reception"}, "site": {"city-hall"},
		"password": {"first password 1"}})
	shows(t, r, "Sam Reception added as Reception", "City Hall", "Active")
	userPath := regexp.MustCompile(`action="(/staff/admin/users/\d+)/password"`).FindSubmatch(r.Body)
	if userPath == nil {
		t.Fatalf("no user page after adding:\n%s", pageText(r.Body))
	}
	base := string(userPath[1])
	in := s.signIn("Sam Reception", "first password 1")
	sam := []*http.Cookie{sessionCookie(in)}
	if sam[0] == nil {
		t.Fatalf("the new user cannot sign in: %d", in.Status)
	}
	expect(t, s.page("GET", "/staff/reception", nil, sam), 200, "reception as Sam")

	// A new password ends the old sessions; the new password works, the old does not.
	a.refused(base+"/password", url.Values{"password": {"short"}}, 400, "password")
	shows(t, a.submit(base+"/password", url.Values{"password": {"second password 2"}}), "New password set for Sam Reception")
	if r := s.page("GET", "/staff/reception", nil, sam); r.Status != http.StatusSeeOther {
		t.Errorf("Sam's session outlived the new password: %d", r.Status)
	}
	expect(t, s.signIn("Sam Reception", "first password 1"), 422, "sign in with the old password")
	in = s.signIn("Sam Reception", "second password 2")
	sam = []*http.Cookie{sessionCookie(in)}
	expect(t, s.page("GET", "/staff/reception", nil, sam), 200, "reception with the new password")

	// Disabling asks first, then ends the session at once and stops sign-in.
	shows(t, a.get(base+"/disable", 200), "Disable Sam Reception’s account?", "signed out at once")
	expect(t, s.page("GET", "/staff/reception", nil, sam), 200, "asking is not disabling")
	shows(t, a.submit(base+"/disable", url.Values{}), "Sam Reception’s account is disabled", "Disabled")
	if r := s.page("GET", "/staff/reception", nil, sam); r.Status != http.StatusSeeOther {
		t.Errorf("Sam's session outlived the account: %d", r.Status)
	}
	if n := s.count(`SELECT COUNT(*) FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = 'Sam Reception')`); n != 0 {
		t.Errorf("%d sessions left for a disabled user", n)
	}
	expect(t, s.signIn("Sam Reception", "second password 2"), 422, "sign in to a disabled account")
	shows(t, a.submit(base+"/enable", url.Values{}), "Sam Reception’s account is enabled")
	expect(t, s.signIn("Sam Reception", "second password 2"), 303, "sign in once enabled again")

	// An admin cannot lock themselves out.
	self := "/staff/admin/users/" + strconv.FormatInt(a.id, 10)
	shows(t, a.get(self, 200), "This is your own account")
	r = a.refused(self+"/disable", url.Values{}, 409, "confirm")
	shows(t, r, "You cannot disable your own account")

	label := "user:" + strconv.FormatInt(a.id, 10)
	for _, action := range []string{"user.created", "user.password_set", "user.disabled", "user.enabled"} {
		if s.count(`SELECT COUNT(*) FROM audit WHERE action = ? AND actor = ?`, action, label) != 1 {
			t.Errorf("no single %s audit row by the admin", action)
		}
	}
}

func TestAdminDeskOutOfUse(t *testing.T) {
	s := adminServer(t)
	s.setupCentre()
	a := s.signInNew("Ada Admin", frontdoor.RoleAdmin, "")
	base := "/staff/admin/sites/city-hall"
	desks := func() string {
		var d struct {
			Desks []struct {
				ID       string   `json:"id"`
				Name     string   `json:"name"`
				Services []string `json:"services"`
			} `json:"desks"`
		}
		s.must(200, "GET", "/api/v1/sites/city-hall/desks", s.Admin, nil).JSON(t, &d)
		var out []string
		for _, k := range d.Desks {
			out = append(out, k.ID+"="+k.Name+":"+strings.Join(k.Services, ","))
		}
		return strings.Join(out, " ")
	}

	// Rename it and change what it serves.
	shows(t, a.submit(base+"/desks/new", url.Values{"id": {"desk-2"}, "name": {"Desk 2"}, "services": {"CTX"}}), "Desk 2 added")
	shows(t, a.submit(base+"/desks/desk-1", url.Values{"name": {"Window 1"}, "services": {"HOU"}}), "Window 1 saved")
	if got := desks(); got != "desk-1=Window 1:HOU desk-2=Desk 2:CTX" {
		t.Errorf("desks: %s", got)
	}

	// Refused while a visitor is at it, with the reason on the page.
	ticket := s.walkIn("HOU").Ticket
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", s.Admin, nil)
	shows(t, a.get(base+"/desks/desk-1/retire", 200), "Take Window 1 out of use?")
	r := a.refused(base+"/desks/desk-1/retire", url.Values{}, 409, "confirm")
	shows(t, r, "Window 1 still has a visitor")
	if got := desks(); !strings.Contains(got, "desk-1") {
		t.Errorf("a busy desk was taken out of use: %s", got)
	}

	s.must(200, "POST", "/api/v1/tickets/"+ticket.ID+"/finish", s.Admin, nil)
	r = a.submit(base+"/desks/desk-1/retire", url.Values{})
	shows(t, r, "Window 1 is out of use", "Out of use", "Put back into use")
	if got := desks(); got != "desk-2=Desk 2:CTX" {
		t.Errorf("desks after taking desk-1 out of use: %s", got)
	}
	s.must(404, "POST", "/api/v1/desks/desk-1/call-next", s.Admin, nil)
	// Its id stays taken, so past visits name one desk.
	a.refused(base+"/desks/new", url.Values{"id": {"desk-1"}, "name": {"New desk"}, "services": {"HOU"}}, 409, "id")
	if n := s.count(`SELECT COUNT(*) FROM tickets WHERE desk_id = 'desk-1'`); n != 1 {
		t.Errorf("%d tickets still name desk-1, want 1", n)
	}

	shows(t, a.submit(base+"/desks/desk-1/restore", url.Values{}), "Window 1 is back in use")
	if got := desks(); got != "desk-1=Window 1:HOU desk-2=Desk 2:CTX" {
		t.Errorf("desks after putting desk-1 back: %s", got)
	}
	for _, action := range []string{"setup.desk_changed", "setup.desk_retired", "setup.desk_restored"} {
		if s.count(`SELECT COUNT(*) FROM audit WHERE action = ? AND subject = 'desk:desk-1'`, action) != 1 {
			t.Errorf("no single %s audit row", action)
		}
	}
}

// The centre's text message settings (the post-visit question) are set on
// its admin page, as PUT …/sms-settings sets them, with an audit row.
func TestAdminTextMessageSettings(t *testing.T) {
	s := adminServer(t)
	s.setupCentre()
	a := s.signInNew("Ada Admin", frontdoor.RoleAdmin, "")
	settings := func() bool {
		var got struct {
			On bool `json:"satisfaction_question"`
		}
		s.must(200, "GET", "/api/v1/sites/city-hall/sms-settings", s.Admin, nil).JSON(t, &got)
		return got.On
	}
	page := a.get("/staff/admin/sites/city-hall", 200)
	shows(t, page, "Text messages", "Ask visitors how their visit went, from 1 to 5")
	if strings.Contains(string(page.Body), `id="satisfaction" name="satisfaction_question" type="checkbox" value="yes" checked`) || settings() {
		t.Fatal("the question is on before anyone turned it on")
	}
	r := a.submit("/staff/admin/sites/city-hall/texts", url.Values{"satisfaction_question": {"yes"}})
	shows(t, r, "Visitors who give a mobile number will be asked how their visit went")
	if !settings() || !strings.Contains(string(r.Body), `value="yes" checked`) {
		t.Error("the question is not on after the admin turned it on")
	}
	a.submit("/staff/admin/sites/city-hall/texts", url.Values{})
	if settings() {
		t.Error("the question is still on after the admin turned it off")
	}
	label := "user:" + strconv.FormatInt(a.id, 10)
	if n := s.count(`SELECT COUNT(*) FROM audit WHERE action = 'setup.sms_settings_changed' AND actor = ? AND site_id = 'city-hall'`, label); n != 2 {
		t.Errorf("%d audit rows by the admin for the two changes, want 2", n)
	}
	// Only admins: a manager's post is refused and changes nothing.
	m := s.signInNew("Mo Manager", frontdoor.RoleManager, "city-hall")
	if r := s.page("POST", "/staff/admin/sites/city-hall/texts", url.Values{"satisfaction_question": {"yes"}}, m.cookies); r.Status != 403 || settings() {
		t.Errorf("a manager's post: status %d, question on %v; want 403 and off", r.Status, settings())
	}
}

// Someone locked out by wrong passwords is usually someone who forgot it:
// the new password an admin sets works at once.
func TestAdminNewPasswordEndsTheLockout(t *testing.T) {
	s := adminServer(t)
	a := s.signInNew("Ada Admin", frontdoor.RoleAdmin, "")
	u, err := s.app.staff.CreateUser(t.Context(), "Forgetful Fred", frontdoor.RoleOfficer, "", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		s.signIn("Forgetful Fred", "not my password")
	}
	if r := s.signIn("Forgetful Fred", "correct horse battery"); r.Status != 429 {
		t.Fatalf("after five wrong passwords: status %d, want 429 (locked)", r.Status)
	}
	a.submit("/staff/admin/users/"+strconv.FormatInt(u.ID, 10)+"/password", url.Values{"password": {"a brand new passphrase"}})
	if r := s.signIn("Forgetful Fred", "a brand new passphrase"); r.Status != 303 || sessionCookie(r) == nil {
		t.Errorf("the new password while the lock would still run: status %d, want 303 signed in", r.Status)
	}
}
