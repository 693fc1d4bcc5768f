package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"frontdoor"
)

// The kiosk, reception, desk and report pages without a browser: stale
// forms get a message on the console, bad input an error summary with
// nothing changed, and each role sees its own pages.

// ticketID returns the id of the ticket numbered number today.
func (c *consoleCentre) ticketID(number string) string {
	c.t.Helper()
	var id string
	if err := c.app.db.Read.QueryRow(`SELECT CAST(id AS TEXT) FROM tickets WHERE number = ?`, number).Scan(&id); err != nil {
		c.t.Fatalf("ticket %s: %v", number, err)
	}
	return id
}

func TestDeskConsoleStaleForms(t *testing.T) {
	c := newConsoleCentre(t)
	c.at("09:30")
	c.walkIn("HOU") // H001
	c.walkIn("HOU") // H002
	officer := c.cookies("Olu Officer", frontdoor.RoleOfficer)

	r := c.post("/staff/desk", url.Values{"desk": {"desk-1"}}, officer, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/staff/desk/desk-1" {
		t.Fatalf("opening desk 1 goes to %q", loc)
	}
	c.post("/staff/desk/desk-1/call", url.Values{}, officer, http.StatusSeeOther)
	page := c.get("/staff/desk/desk-1", officer, 200)
	shows(t, page, "Called H001", "Housing options", "Walk-in", "Waiting for this desk (1)", "H002")
	h1 := c.ticketID("H001")

	// Another tab at desk 1 transfers H001 to council tax, and desk 2 calls it.
	c.must(200, "POST", "/api/v1/tickets/"+h1+"/transfer", c.Admin, map[string]string{"service": "CTX"})
	c.must(200, "POST", "/api/v1/desks/desk-2/call-next", c.Admin, map[string]string{"service": "CTX"})
	before := c.queueState()
	for _, action := range []string{"start", "recall", "no-show", "finish", "transfer"} {
		form := url.Values{"outcome": {"resolved"}, "service": {"PRK"}}
		r := c.post("/staff/desk/desk-1/tickets/"+h1+"/"+action, form, officer, http.StatusConflict)
		shows(t, r, "Desk 1", "This has changed", "Ticket H001 was not", "it has been called to Desk 2 by another desk", "Nothing was changed")
		if strings.Contains(pageText(r.Body), "Page not found") || !strings.Contains(string(r.Body), `action="/staff/desk/desk-1/call"`) {
			t.Errorf("%s: the stale form did not show the desk console", action)
		}
	}
	if after := c.queueState(); after != before {
		t.Errorf("stale forms changed the queue:\n%s\nthen\n%s", before, after)
	}

	// Desk 2's own page is then left behind by a finish through the API.
	c.must(200, "POST", "/api/v1/tickets/"+h1+"/finish", c.Admin, map[string]string{"outcome": "resolved"})
	r = c.post("/staff/desk/desk-2/tickets/"+h1+"/no-show", url.Values{}, officer, http.StatusConflict)
	shows(t, r, "Desk 2", "Ticket H001 was not marked as a no-show: it has already been finished")

	// Call next while a visit is open at the desk (another tab called): refused, nothing closed.
	c.post("/staff/desk/desk-1/call", url.Values{}, officer, http.StatusSeeOther) // calls H002
	before = c.queueState()
	r = c.post("/staff/desk/desk-1/call", url.Values{}, officer, http.StatusConflict)
	shows(t, r, "Ticket H002 is still open at this desk")
	if after := c.queueState(); after != before {
		t.Error("a refused call changed the queue")
	}

	// The desk's own actions work and say so after the redirect.
	h2 := c.ticketID("H002")
	r = c.post("/staff/desk/desk-1/tickets/"+h2+"/start", url.Values{}, officer, http.StatusSeeOther)
	page = c.get("/staff/desk/desk-1", append(officer, r.Cookies...), 200)
	shows(t, page, "Started serving ticket H002", "Serving H002")
	c.post("/staff/desk/desk-1/tickets/"+h2+"/finish", url.Values{"outcome": {"not_resolved"}, "follow_up": {"yes"}}, officer, http.StatusSeeOther)
	if n := c.count(`SELECT COUNT(*) FROM tickets WHERE number = 'H002' AND status = 'done' AND outcome = 'not_resolved' AND follow_up = 1`); n != 1 {
		t.Error("finish with an outcome and follow-up was not recorded")
	}
	r = c.post("/staff/desk/desk-1/call", url.Values{}, officer, http.StatusSeeOther)
	shows(t, c.get("/staff/desk/desk-1", append(officer, r.Cookies...), 200), "No one is waiting for this desk.")
	c.post("/staff/desk/desk-1/close", url.Values{}, officer, http.StatusSeeOther)
	if n := c.count(`SELECT COUNT(*) FROM desk_sessions WHERE desk_id = 'desk-1' AND open = 0`); n != 1 {
		t.Error("closing the desk was not recorded")
	}
}

func TestConsoleFormsRefuseBadInput(t *testing.T) {
	c := newConsoleCentre(t)
	b := c.bookFor("10:00", "Sam Resident", "07700 900123", nil)
	c.at("09:30")
	c.walkIn("HOU") // H001, called below
	reception := c.cookies("Rita Reception", frontdoor.RoleReception)
	officer := c.cookies("Olu Officer", frontdoor.RoleOfficer)
	manager := c.cookies("Mo Manager", frontdoor.RoleManager)
	c.post("/staff/desk/desk-1/call", url.Values{}, officer, http.StatusSeeOther)
	h1 := c.ticketID("H001")
	kiosk := c.token(frontdoor.RoleDevice, "city-hall")
	kc := c.post("/sites/city-hall/kiosk/setup", url.Values{"token": {kiosk}}, nil, http.StatusSeeOther).Cookies
	c.walkIn("PRK") // P001: offered (no desk serves parking yet)

	cases := []struct {
		name    string
		path    string
		form    url.Values
		cookies []*http.Cookie
		status  int
		says    string
		link    string // the error summary's first link
	}{
		{"reception check-in without a reference", "/staff/reception/checkin", url.Values{"site": {"city-hall"}, "q": {"x"}}, reception, 400,
			"Enter a booking reference", "#q"},
		{"reception check-in of an unknown reference", "/staff/reception/checkin", url.Values{"site": {"city-hall"}, "reference": {"ZZZ999"}}, reception, 404,
			"We cannot find a booking with reference", "#q"},
		{"walk-in ticket without a service", "/staff/reception/ticket", url.Values{"site": {"city-hall"}, "phone": {"07700 900555"}}, reception, 400,
			"Choose what you have come about", "#service"},
		{"walk-in ticket with a bad mobile", "/staff/reception/ticket", url.Values{"site": {"city-hall"}, "service": {"HOU"}, "phone": {"12345"}}, reception, 400,
			"Enter a UK", "#phone"},
		{"walk-in ticket for an unknown service", "/staff/reception/ticket", url.Values{"site": {"city-hall"}, "service": {"NOPE"}}, reception, 400,
			"Choose a service from the list", "#service"},
		{"open no desk", "/staff/desk", url.Values{}, officer, 400, "Choose the desk you are working at", "#desk"},
		{"open an unknown desk", "/staff/desk", url.Values{"desk": {"desk-9"}}, officer, 400, "Choose one of the desks in the list", "#desk"},
		{"finish without an outcome", "/staff/desk/desk-1/tickets/" + h1 + "/finish", url.Values{}, officer, 400,
			"Select whether the enquiry was resolved", "#outcome"},
		{"transfer without a service", "/staff/desk/desk-1/tickets/" + h1 + "/transfer", url.Values{}, officer, 400,
			"Choose the service to transfer the visitor to", "#transfer-service"},
		{"transfer to an unknown service", "/staff/desk/desk-1/tickets/" + h1 + "/transfer", url.Values{"service": {"NOPE"}}, officer, 422,
			"Choose a service this centre offers", "#transfer-service"},
		{"emergency with a long message", "/staff/desk/desk-1/emergency", url.Values{"message": {strings.Repeat("x", 201)}}, officer, 400,
			"Keep the message to 200 characters", "#emergency-message"},
		{"kiosk check-in with nothing typed", "/sites/city-hall/kiosk/checkin", url.Values{"code": {""}}, kc, 400,
			"Scan your QR code or type your booking reference", "#code"},
		{"kiosk check-in of an unknown code", "/sites/city-hall/kiosk/checkin", url.Values{"code": {"https://example.org/checkin/NOTACODEATALL12345"}}, kc, 404,
			"This code is not recognised", "#code"},
		{"kiosk ticket for an unknown service", "/sites/city-hall/kiosk/ticket", url.Values{"service": {"NOPE"}}, kc, 404,
			"Choose one of the services on this screen", "#services"},
		{"kiosk appointment without name or mobile", "/sites/city-hall/kiosk/tickets/" + c.ticketID("P001") + "/accept", url.Values{"start": {""}}, kc, 400,
			"Enter your name", "#start"},
		{"kiosk set-up with a wrong token", "/sites/city-hall/kiosk/setup", url.Values{"token": {"fd_wrong"}}, nil, 400,
			"This is not a device token for City Hall", "#token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := c.queueState()
			r := c.post(tc.path, tc.form, tc.cookies, tc.status)
			shows(t, r, "There is a problem", tc.says)
			if !strings.Contains(string(r.Body), `<title>Error: `) {
				t.Error("the title does not start with Error:")
			}
			if !strings.Contains(string(r.Body), `class="govuk-error-summary"`) || !strings.Contains(string(r.Body), `href="`+tc.link+`"`) {
				t.Errorf("no error summary linking to %s", tc.link)
			}
			if after := c.queueState(); after != before {
				t.Errorf("the refused form changed something:\n%s\nthen\n%s", before, after)
			}
		})
	}

	// The report's dates.
	for _, q := range []string{"from-day=31&from-month=2&from-year=2026&to-day=1&to-month=3&to-year=2026",
		"from-day=2&from-month=12&from-year=2026&to-day=1&to-month=12&to-year=2026", "from-day=&from-month=&from-year=2026"} {
		r := c.get("/staff/reports?site=city-hall&"+q, manager, 400)
		shows(t, r, "There is a problem")
		if strings.Contains(pageText(r.Body), "The three standards") {
			t.Errorf("%s: a report was shown for bad dates", q)
		}
	}
	shows(t, c.get("/staff/reports?site=city-hall&from-day=31&from-month=2&from-year=2026&to-day=1&to-month=3&to-year=2026", manager, 400),
		"Start date must be a real date")
	shows(t, c.get("/staff/reports?site=city-hall&from-day=2&from-month=12&from-year=2026&to-day=1&to-month=12&to-year=2026", manager, 400),
		"The end date must be the same as or after the start date")

	// A booking already checked in, at reception and at the kiosk: a message, not an error page.
	c.at("09:55")
	r := c.post("/staff/reception/checkin", url.Values{"site": {"city-hall"}, "reference": {b.Reference}}, reception, http.StatusSeeOther)
	shows(t, c.get("/staff/reception?site=city-hall", append(reception, r.Cookies...), 200), "Checked in Sam Resident: ticket H002")
	r = c.post("/sites/city-hall/kiosk/checkin", url.Values{"code": {b.CheckinCode}}, kc, http.StatusConflict)
	shows(t, r, "You are already checked in for your 10:00am on Monday 30 November appointment", "Check in or take a ticket")
}

func TestReceptionConsole(t *testing.T) {
	c := newConsoleCentre(t)
	sam := c.bookFor("10:00", "Sam Resident", "07700 900123", map[string]any{"interpreter": "Polish", "private_room": true})
	c.bookFor("10:20", "Ann Example", "07700 900456", map[string]any{"large_print": true})
	c.at("09:50")
	reception := c.cookies("Rita Reception", frontdoor.RoleReception)

	page := c.get("/staff/reception", reception, 200)
	shows(t, page, "Reception", "City Hall, Monday 30 November 2026", "Today’s appointments (2)", "Sam Resident", "Ann Example",
		"Interpreter: Polish", "Private room", "Large print", "Not arrived", "No one is waiting", "Desk 1", "Closed",
		"Texts not sent (2)", "Booking confirmed to 07700 900123")
	if !strings.Contains(string(page.Body), `data-live-stream="/api/v1/sites/city-hall/staff-events?last_event_id=`) {
		t.Error("the console does not follow the staff stream")
	}

	// Search by the end of the phone number, by name and by reference.
	for _, q := range []string{"0123", "sam res", strings.ToLower(sam.Reference)} {
		r := c.get("/staff/reception?site=city-hall&q="+url.QueryEscape(q), reception, 200)
		shows(t, r, `Matches for “`+q+`”`)
		if !strings.Contains(string(r.Body), `id="match-`+sam.Reference+`"`) || strings.Contains(string(r.Body), `id="match-`) &&
			strings.Count(string(r.Body), `id="match-`) != 1 {
			t.Errorf("search %q: want Sam's booking alone", q)
		}
	}
	r := c.post("/staff/reception/checkin", url.Values{"site": {"city-hall"}, "q": {"0123"}, "reference": {sam.Reference}}, reception, http.StatusSeeOther)
	page = c.get("/staff/reception?site=city-hall", append(reception, r.Cookies...), 200)
	shows(t, page, "Checked in Sam Resident: ticket H001. Needs: Interpreter: Polish, Private room", "Arrived: H001 waiting",
		"Waiting, in calling order (1)", "Appointment 10am: Sam Resident")

	// A walk-in at the counter with a mobile and priority.
	r = c.post("/staff/reception/ticket", url.Values{"site": {"city-hall"}, "service": {"PRK"}, "phone": {"07700 900789"}, "priority": {"yes"}},
		reception, http.StatusSeeOther)
	page = c.get("/staff/reception?site=city-hall", append(reception, r.Cookies...), 200)
	shows(t, page, "Ticket P001 for Parking permits", "Priority", "Waiting, in calling order (2)")
	if n := c.count(`SELECT COUNT(*) FROM tickets WHERE number = 'P001' AND priority = 1 AND phone = '+447700900789'`); n != 1 {
		t.Error("the walk-in ticket was not issued with priority and the mobile")
	}

	// Close to due, then past it.
	c.at("10:08")
	// P001 has priority and a desk could serve it at once: due by first contact, at 10:00.
	shows(t, c.get("/staff/reception?site=city-hall", reception, 200), "Close to or past due (2)", "Past due by 8 minutes", "Due in 2 minutes")
	c.at("10:14")
	shows(t, c.get("/staff/reception?site=city-hall", reception, 200), "Past due by 4 minutes")
	c.at("10:25")
	shows(t, c.get("/staff/reception?site=city-hall", reception, 200), "Not arrived: late")

	// An emergency at a desk shows on reception.
	officer := c.cookies("Olu Officer", frontdoor.RoleOfficer)
	r = c.post("/staff/desk/desk-1/emergency", url.Values{"message": {"Aggressive visitor"}}, officer, http.StatusSeeOther)
	shows(t, c.get("/staff/desk/desk-1", append(officer, r.Cookies...), 200), "Emergency alert sent from Desk 1", "Emergency at Desk 1")
	shows(t, c.get("/staff/reception?site=city-hall", reception, 200), "Emergency at Desk 1", "Aggressive visitor")
	if lobby := c.get("/sites/city-hall/display", nil, 200); strings.Contains(pageText(lobby.Body), "Emergency") {
		t.Error("the lobby screen shows the emergency")
	}
}

func TestConsoleRolesAndNavigation(t *testing.T) {
	c := newConsoleCentre(t)
	officer := c.cookies("Olu Officer", frontdoor.RoleOfficer)
	reception := c.cookies("Rita Reception", frontdoor.RoleReception)
	manager := c.cookies("Mo Manager", frontdoor.RoleManager)

	for _, path := range []string{"/staff/reception", "/staff/desk", "/staff/reports", "/staff/kiosk"} {
		r := c.get(path, nil, http.StatusSeeOther)
		if !strings.HasPrefix(r.Header.Get("Location"), "/sign-in?next=") {
			t.Errorf("%s without signing in goes to %q", path, r.Header.Get("Location"))
		}
	}
	home := c.get("/staff", officer, 200)
	shows(t, home, "Desk")
	for _, hidden := range []string{`href="/staff/reception"`, `href="/staff/reports"`} {
		if strings.Contains(string(home.Body), hidden) {
			t.Errorf("an officer is offered %s", hidden)
		}
	}
	c.get("/staff/reception", officer, http.StatusForbidden)
	c.get("/staff/reports", officer, http.StatusForbidden)
	c.get("/staff/reports", reception, http.StatusForbidden)
	c.get("/staff/desk", officer, 200)
	c.get("/staff/desk", reception, 200)
	c.get("/staff/reception", reception, 200)
	for _, link := range []string{`href="/staff/reception"`, `href="/staff/desk"`, `href="/staff/reports"`, `href="/staff/kiosk"`} {
		if !strings.Contains(string(c.get("/staff", manager, 200).Body), link) {
			t.Errorf("a manager is not offered %s", link)
		}
	}
	r := c.get("/staff/reports", manager, 200)
	shows(t, r, "Customer standards", "Monday 30 November 2026", "The three standards", "Download as CSV")
	csv := c.get("/api/v1/sites/city-hall/reports/standards?from=2026-11-30&to=2026-11-30&format=csv", manager, 200)
	if !strings.HasPrefix(string(csv.Body), "scope,key,standard") {
		t.Errorf("the CSV link does not give the CSV: %.80s", csv.Body)
	}
}

func TestKioskDevicesAndLock(t *testing.T) {
	c := newConsoleCentre(t)
	c.must(201, "POST", "/api/v1/sites", c.Admin, map[string]any{"id": "annexe", "name": "Annexe", "address": "2 Side Street", "timezone": "Europe/London"})

	// Nobody: the set-up page, never the kiosk.
	r := c.get("/sites/city-hall/kiosk", nil, 200)
	shows(t, r, "Set up this kiosk", "Device token")
	c.post("/sites/city-hall/kiosk/ticket", url.Values{"service": {"HOU"}}, nil, 200)
	if n := c.count(`SELECT COUNT(*) FROM tickets`); n != 0 {
		t.Fatal("a kiosk that is not set up issued a ticket")
	}
	// Another site's device token is refused.
	other := c.token(frontdoor.RoleDevice, "annexe")
	c.post("/sites/city-hall/kiosk/setup", url.Values{"token": {other}}, nil, http.StatusBadRequest)

	// A staff user locks a browser to kiosk mode: a device token in the
	// kiosk's cookie, and the staff sign-in ended.
	staff := c.cookies("Rita Reception", frontdoor.RoleReception)
	shows(t, c.get("/sites/city-hall/kiosk", staff, 200), "Signed in as Rita Reception", "Lock to kiosk mode")
	r = c.post("/sites/city-hall/kiosk/lock", url.Values{}, staff, http.StatusSeeOther)
	var kioskCookie *http.Cookie
	ended := false
	for _, ck := range r.Cookies {
		if ck.Name == "frontdoor_kiosk" && ck.Value != "" {
			kioskCookie = ck
		}
		if ck.Name == "frontdoor_session" && ck.MaxAge < 0 {
			ended = true
		}
	}
	if kioskCookie == nil || !ended || kioskCookie.Path != "/sites/city-hall/kiosk" || !kioskCookie.HttpOnly {
		t.Fatalf("locking: kiosk cookie %v, staff session ended %v", kioskCookie, ended)
	}
	if c.get("/staff", staff, http.StatusSeeOther); c.count(`SELECT COUNT(*) FROM sessions`) != 0 {
		t.Error("the staff session still works after locking the kiosk")
	}
	kc := []*http.Cookie{kioskCookie}
	page := c.get("/sites/city-hall/kiosk", kc, 200)
	shows(t, page, "I have an appointment", "I do not have an appointment", "Housing options", "Parking permits", "Staff sign in")
	if strings.Contains(pageText(page.Body), "Signed in as") {
		t.Error("a locked kiosk shows a staff sign-in")
	}
	c.get("/sites/annexe/kiosk", kc, 200) // the cookie is not sent to, nor valid at, another site: set-up page
	c.at("09:30")
	r = c.post("/sites/city-hall/kiosk/ticket", url.Values{"service": {"PRK"}}, kc, http.StatusSeeOther)
	ticket := c.get(r.Header.Get("Location"), kc, 200)
	shows(t, ticket, "Your ticket number is P001", "Parking permits", "Print my ticket")
	print := c.get(r.Header.Get("Location")+"/print", kc, 200)
	shows(t, print, "Ticket P001", "Parking permits", "Taken at 9:30am on Monday 30 November 2026")
	if strings.Contains(pageText(print.Body), "Rita") {
		t.Error("the printed ticket names someone")
	}
}
