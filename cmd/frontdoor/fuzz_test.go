package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"frontdoor"
)

// The fuzzers here send what they make up through the real router, in
// process (httptest.NewRecorder on the app's handler, for speed), against
// City Hall on a stopped clock. Each makes its server once, before f.Fuzz.
// Whatever the input, the answer is never a 5xx, and an answer of 4xx has
// changed nothing in the tables that hold residents' and the centre's data.

// fuzzTables are the tables a refused request must leave as they were.
// (Sessions, idempotency keys and audit or lock-out records may change.)
var fuzzTables = []string{"sites", "services", "desks", "desk_services", "opening_hours", "closures", "capacity_bands",
	"bookings", "messages", "tickets", "ticket_events", "sms_opt_outs", "satisfaction_scores", "tokens"}

// fuzzCentre is a server for a fuzzer with what its requests need.
type fuzzCentre struct {
	*testServer
	clock     *frontdoor.FakeClock
	twilio    *fakeTwilio
	booking   bookingAnswer  // HOU at 10:20, made through the API
	device    string         // a device token for city-hall
	kiosk     []*http.Cookie // a kiosk set up with device
	reception []*http.Cookie // a receptionist signed in
	officer   []*http.Cookie // an officer signed in
	ip        atomic.Uint32  // each request comes from its own address, so that per-IP limits do not hide the handlers
}

// newFuzzCentre starts City Hall on Monday 30 November 2026 at 08:00, books
// HOU at 10:20, sets a kiosk up and, with staff (slow: passwords are hashed),
// signs a receptionist and an officer in; then moves the clock to at (hh:mm).
func newFuzzCentre(f *testing.F, at string, staff bool) *fuzzCentre {
	f.Helper()
	ft := newFakeTwilio(f)
	ft.configure(f)
	clock := frontdoor.NewStoppedClock(consoleDay)
	c := &fuzzCentre{testServer: start(f, config{testClock: clock}), clock: clock, twilio: ft}
	c.setupCentre()
	c.booking = c.book(time.Date(2026, 11, 30, 10, 20, 0, 0, london), "07700 900123")
	c.device = c.token(frontdoor.RoleDevice, "city-hall")
	c.kiosk = c.page("POST", "/sites/city-hall/kiosk/setup", url.Values{"token": {c.device}}, nil).Cookies
	if staff {
		c.reception = c.signIn("Rita Reception", frontdoor.RoleReception)
		c.officer = c.signIn("Olu Officer", frontdoor.RoleOfficer)
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", "2026-11-30 "+at, london)
	if err != nil {
		f.Fatal(err)
	}
	if err := clock.Set(context.Background(), t); err != nil {
		f.Fatal(err)
	}
	return c
}

func (c *fuzzCentre) signIn(name, role string) []*http.Cookie {
	c.t.Helper()
	const password = "correct horse battery"
	if _, err := c.app.staff.CreateUser(context.Background(), name, role, "", password); err != nil {
		c.t.Fatal(err)
	}
	r := c.page("POST", "/sign-in", url.Values{"name": {name}, "password": {password}}, nil)
	if r.Status != http.StatusSeeOther || len(r.Cookies) == 0 {
		c.t.Fatalf("sign in as %s: %d", name, r.Status)
	}
	return r.Cookies
}

// serve sends one request through the router in process. contentType is
// "json" or "form"; headers are name, value pairs.
func (c *fuzzCentre) serve(method, path, contentType, body string, cookies []*http.Cookie, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	n := c.ip.Add(1)
	req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:40000", byte(n>>16), byte(n>>8), byte(n))
	switch contentType {
	case "json":
		req.Header.Set("Content-Type", "application/json")
	case "form":
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	c.app.handler.ServeHTTP(w, req)
	return w
}

// state is the rows of fuzzTables, as text.
func (c *fuzzCentre) state(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, table := range fuzzTables {
		rows, err := c.app.db.Read.Query(`SELECT * FROM "` + table + `" ORDER BY rowid`)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		fmt.Fprintf(&b, "== %s\n", table)
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// check fails on a 5xx, and on a 4xx that changed the tables since before.
func (c *fuzzCentre) check(t *testing.T, what, input string, w *httptest.ResponseRecorder, before string) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("%s with %q: status %d\n%s", what, input, w.Code, w.Body)
	}
	if w.Code >= 400 && before != "" {
		if after := c.state(t); after != before {
			t.Fatalf("%s with %q: refused with %d but changed the data\nbefore:\n%s\nafter:\n%s", what, input, w.Code, before, after)
		}
	}
}

// FuzzBookingAPI: POST /api/v1/bookings with any body (and any
// Idempotency-Key) never fails with a 5xx, and a refused one books nothing.
func FuzzBookingAPI(f *testing.F) {
	c := newFuzzCentre(f, "08:00", false)
	for _, body := range []string{
		`{"site":"city-hall","service":"HOU","start":"2026-11-30T10:40:00Z","name":"Ann Example","phone":"07700 900124","channel":"online"}`,
		`{"site":"city-hall","service":"HOU","start":"2026-11-30T11:00:00+00:00","name":"Bo","phone":"+447700900125","email":"bo@example.org","people":3,"needs":{"interpreter":"Welsh","wheelchair":true},"channel":"phone"}`,
		`{"site":"city-hall","service":"HOU","start":"2026-11-30T10:20:00Z","name":"Ann Example","phone":"07700 900123"}`, // the same again
		`{"site":"city-hall","service":"HOU","start":"2026-11-30T10:20:00Z","name":"Cy","phone":"07700 900126"}`,          // full
		`{"site":"city-hall","service":"HOU","start":"2026-11-30T10:21:00Z","name":"Cy","phone":"07700 900126"}`,          // not a slot
		`{"site":"city-hall","service":"CTX","start":"2026-12-25T10:00:00Z","name":"Cy","phone":"07700 900126"}`,
		`{"site":"nowhere","service":"HOU","start":"2026-11-30T10:40:00Z","name":"Cy","phone":"07700 900126","needs":"ramp"}`,
		`{"site":"city-hall","service":"HOU","start":"9999-12-31T23:59:59Z","name":"Cy","phone":"07700 900126"}`,
		`{"site":"city-hall","service":"HOU","start":"0001-01-01T00:00:00Z","name":"Cy","phone":"07700 900126"}`,
		`{"site":"city-hall","service":"HOU","start":"2026-11-30T10:40:00+14:00","name":"Cy","phone":"07700 900126"}`,
		`{"people":"1"}`, `{"needs":[]}`, `null`, `[]`, ``, `{"site":"city-hall"}{}`,
	} {
		f.Add(body, "")
	}
	f.Add(`{"site":"city-hall","service":"HOU","start":"2026-11-30T11:20:00Z","name":"Di","phone":"07700 900127"}`, "key-1")
	f.Add(`{"site":"city-hall","service":"HOU","start":"2026-11-30T11:40:00Z","name":"Di","phone":"07700 900127"}`, "key-1")
	f.Add(`{}`, strings.Repeat("k", 256))
	f.Fuzz(func(t *testing.T, body, key string) {
		before := c.state(t)
		var headers []string
		if key != "" {
			headers = []string{"Idempotency-Key", key}
		}
		w := c.serve("POST", "/api/v1/bookings", "json", body, nil, headers...)
		c.check(t, "POST /api/v1/bookings", body, w, before)
	})
}

// FuzzCheckinAPI: POST /api/v1/checkins from a kiosk's device token, with
// any body (the QR code's contents or a typed reference).
func FuzzCheckinAPI(f *testing.F) {
	c := newFuzzCentre(f, "10:10", false)
	b := c.booking
	for _, body := range []string{
		`{"code":"` + b.CheckinCode + `"}`, `{"code":"` + strings.ToLower(b.CheckinCode) + `"}`,
		`{"code":"https://frontdoor.example/qr/` + b.CheckinCode + `.png"}`, `{"reference":"` + b.Reference + `"}`,
		`{"reference":"` + strings.ToLower(b.Reference[:3]) + "-" + b.Reference[3:] + `"}`,
		`{"code":"` + b.CheckinCode + `","reference":"` + b.Reference + `"}`, `{"code":"NOTACODEATALL12345"}`, `{"reference":"ZZZ999"}`,
		`{"code":"/"}`, `{"code":".png"}`, `{}`, `{"code":1}`, `null`, `{"code":"\u0000"}`,
	} {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		before := c.state(t)
		w := c.serve("POST", "/api/v1/checkins", "json", body, nil, "Authorization", "Bearer "+c.device)
		c.check(t, "POST /api/v1/checkins", body, w, before)
	})
}

// bookingForms are the POST forms of the resident's journey, the manage
// pages and phone booking; {m} is the manage link of City Hall's booking.
var bookingForms = []string{
	"/book/city-hall", "/book/city-hall/day", "/book/city-hall/time", "/book/city-hall/details", "/book/city-hall/confirm",
	"{m}/change", "{m}/change/time", "/staff/phone-booking/book", "/book/nowhere/details",
}

// FuzzBookingForms: any form posted to the booking journey's pages.
func FuzzBookingForms(f *testing.F) {
	c := newFuzzCentre(f, "08:00", true)
	manage := strings.TrimPrefix(c.booking.ManageURL, c.URL)
	details := "name=Ada+Lovelace&phone=07700+900123&email=&people=1&needs=interpreter&interpreter_language=Polish"
	for i, form := range []string{
		"service=HOU", "service=HOU&day=2026-12-01", "service=HOU&day=2026-12-01&start=2026-12-01T10%3A20%3A00Z",
		"service=HOU&day=2026-12-01&start=2026-12-01T10%3A20%3A00Z&" + details,
		"service=HOU&day=2026-12-01&start=2026-12-01T10%3A20%3A00Z&d=AAAA&key=abc",
		"day=2026-12-02", "day=2026-12-02&start=2026-12-02T10%3A00%3A00Z",
		"site=city-hall&service=HOU&start=2026-12-01T11%3A00%3A00Z&key=k1&" + details,
		"service=HOU&" + details,
	} {
		f.Add(uint8(i), form)
	}
	f.Add(uint8(0), "service=%zz")
	f.Add(uint8(1), "service=hou&day=2026-02-30&from=0000-01-01")
	f.Add(uint8(2), "service=HOU&day=2026-11-30&start=2026-11-30T09%3A00%3A00%2B14%3A00")
	f.Add(uint8(3), "service=HOU&start=9999-12-31T23%3A59%3A59Z&people=-1&needs=other&needs_other=")
	f.Add(uint8(6), "day=2026-11-30&start=not-a-time")
	f.Fuzz(func(t *testing.T, which uint8, form string) {
		path := strings.ReplaceAll(bookingForms[int(which)%len(bookingForms)], "{m}", manage)
		var cookies []*http.Cookie
		if strings.HasPrefix(path, "/staff/") {
			cookies = c.officer
		}
		before := c.state(t)
		w := c.serve("POST", path, "form", form, cookies)
		c.check(t, "POST "+path, form, w, before)
	})
}

// FuzzSignInForm: any form posted to /sign-in; only a right name and
// password starts a session.
func FuzzSignInForm(f *testing.F) {
	c := newFuzzCentre(f, "08:00", false)
	if _, err := c.app.staff.CreateUser(context.Background(), "Rita Reception", frontdoor.RoleReception, "", "correct horse battery"); err != nil {
		f.Fatal(err)
	}
	for _, form := range []string{
		"name=Rita+Reception&password=correct+horse+battery&next=%2Fstaff",
		"name=Rita+Reception&password=wrong", "name=&password=", "name=rita+reception&password=correct+horse+battery",
		"name=Rita+Reception&password=correct+horse+battery&next=https%3A%2F%2Fevil.example",
		"name=Rita+Reception&password=correct+horse+battery&next=%2F%2Fevil.example",
		"name=Rita+Reception&password=correct+horse+battery&next=%2F%5Cevil.example",
		"name=%00&password=" + strings.Repeat("x", 2000), "%zz", "name=Rita+Reception&name=Olu+Officer&password=x",
	} {
		f.Add(form)
	}
	sessions := func(t *testing.T) int {
		var n int
		if err := c.app.db.Read.QueryRow(`SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	f.Fuzz(func(t *testing.T, form string) {
		before, n := c.state(t), sessions(t)
		w := c.serve("POST", "/sign-in", "form", form, nil)
		c.check(t, "POST /sign-in", form, w, before)
		if w.Code != http.StatusSeeOther && sessions(t) != n {
			t.Fatalf("POST /sign-in with %q: answered %d but started a session", form, w.Code)
		}
		if w.Code == http.StatusSeeOther {
			if loc := w.Header().Get("Location"); !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
				t.Fatalf("POST /sign-in with %q: sent on to %q, not a path on this site", form, loc)
			}
		}
	})
}

// kioskForms are the kiosk's and reception's forms.
var kioskForms = []string{
	"/sites/city-hall/kiosk/checkin", "/sites/city-hall/kiosk/ticket", "/sites/city-hall/kiosk/setup",
	"/staff/reception/checkin", "/staff/reception/ticket", "/sites/nowhere/kiosk/checkin",
}

// FuzzKioskForms: any form posted to the kiosk (check-in by QR code or
// reference, a walk-in ticket, set-up) and to reception's check-in and ticket.
func FuzzKioskForms(f *testing.F) {
	c := newFuzzCentre(f, "10:10", true)
	b := c.booking
	for _, s := range []struct {
		which uint8
		form  string
	}{
		{0, "code=" + b.CheckinCode}, {0, "code=" + url.QueryEscape("https://frontdoor.example/qr/"+b.CheckinCode+".png")},
		{0, "code=" + b.Reference}, {0, "code=" + strings.ToLower(b.Reference)}, {0, "code="}, {0, "code=ZZZ999"},
		{1, "service=HOU"}, {1, "service=CTX"}, {1, "service=NOPE"}, {1, "service="},
		{2, "token=" + c.device}, {2, "token=fd_wrong"}, {2, "token="},
		{3, "site=city-hall&reference=" + b.Reference}, {3, "site=city-hall&q=" + b.Reference}, {3, "site=city-hall&q=x"},
		{4, "site=city-hall&service=HOU&phone=07700+900555&name=Sam"}, {4, "site=city-hall&service=HOU&phone=12345"},
		{4, "site=nowhere&service=HOU"}, {5, "code=x"},
	} {
		f.Add(s.which, s.form)
	}
	f.Fuzz(func(t *testing.T, which uint8, form string) {
		path := kioskForms[int(which)%len(kioskForms)]
		cookies := c.kiosk
		if strings.HasPrefix(path, "/staff/") {
			cookies = c.reception
		}
		before := c.state(t)
		w := c.serve("POST", path, "form", form, cookies)
		c.check(t, "POST "+path, form, w, before)
	})
}

// FuzzTwilioWebhooks: any form Twilio (or someone with its token) posts to
// the inbound-text and delivery-status webhooks, signed as Twilio signs so
// that the form is read and acted on.
func FuzzTwilioWebhooks(f *testing.F) {
	c := newFuzzCentre(f, "08:00", false)
	ft := c.twilio
	for _, body := range []string{"CANCEL", "  cancel \n", "Stop", "START", "5", "3.", "Hello?", "", strings.Repeat("x", 1601)} {
		f.Add(false, inbound(ft, "+447700900123", body).Encode())
	}
	f.Add(false, inbound(ft, "+447700900999", "HELP").Encode())
	f.Add(false, inbound(ft, "07700900123", "CANCEL").Encode())
	f.Add(false, "From=%2B447700900123&Body=CANCEL&Body=STOP")
	f.Add(false, "%zz=1")
	for _, st := range []string{"delivered", "undelivered", "failed", "read", "DELIVERED", "bogus", ""} {
		f.Add(true, url.Values{"AccountSid": {ft.SID}, "MessageSid": {"SM" + randomHex(16)}, "MessageStatus": {st}, "ErrorCode": {"30003"}}.Encode())
	}
	f.Add(true, "MessageSid=SM1&MessageStatus=failed&ErrorCode=99999999999")
	f.Fuzz(func(t *testing.T, status bool, body string) {
		path := "/webhooks/twilio/sms"
		if status {
			path = "/webhooks/twilio/status"
		}
		form, err := url.ParseQuery(body)
		if err != nil {
			form = url.Values{} // a form that does not parse fails the signature check: still never a 5xx
		}
		sig := twilioSignature(ft.Token, c.app.cfg.BaseURL+path, form)
		w := c.serve("POST", path, "form", body, nil, "X-Twilio-Signature", sig)
		c.check(t, "POST "+path, body, w, "")
	})
}

// setupRequests are the setup API's writes.
var setupRequests = []struct{ method, path string }{
	{"POST", "/api/v1/sites"}, {"POST", "/api/v1/sites/city-hall/services"}, {"POST", "/api/v1/sites/city-hall/desks"},
	{"PUT", "/api/v1/sites/city-hall/hours"}, {"PUT", "/api/v1/sites/city-hall/services/HOU/capacity"},
	{"POST", "/api/v1/sites/nowhere/services"}, {"PUT", "/api/v1/sites/nowhere/hours"}, {"PUT", "/api/v1/sites/city-hall/services/NOPE/capacity"},
}

// FuzzSetupAPI: any body an admin sends to set up sites, services, desks,
// hours (closures as dates or objects) and capacity.
func FuzzSetupAPI(f *testing.F) {
	c := newFuzzCentre(f, "08:00", false)
	for _, s := range []struct {
		which uint8
		body  string
	}{
		{0, `{"id":"town-hall","name":"Town Hall","address":"2 High Street","timezone":"Europe/London"}`},
		{0, `{"id":"city-hall","name":"City Hall","address":"again","timezone":"Europe/London"}`},
		{0, `{"id":"x","name":"X","address":"Y","timezone":"Local"}`},
		{1, `{"code":"PRK","name":"Parking permits","duration_minutes":10,"ticket_prefix":"P","bookable":false,"walk_in":true}`},
		{1, `{"code":"HOU","name":"Housing again","duration_minutes":20,"ticket_prefix":"H"}`},
		{2, `{"id":"desk-2","name":"Desk 2","services":["CTX","HOU"]}`}, {2, `{"id":"desk-3","name":"Desk 3","services":["NOPE"]}`},
		{3, `{"weekly":[{"weekday":"monday","open":"09:00","close":"17:00"}],"closures":["2026-12-25",{"date":"2026-12-24","from":"13:00","to":"17:00","reason":"Christmas Eve"}]}`},
		{3, `{"weekly":[],"closures":[{"date":"2026-12-24","from":"13:00"}]}`}, {3, `{"closures":[1]}`},
		{4, `{"weekly":[{"weekday":"monday","from":"09:00","to":"12:00","parallel":2}]}`},
		{4, `{"weekly":[{"weekday":"monday","from":"09:00","to":"12:00","parallel":0}]}`},
		{5, `{"code":"HOU","name":"H","duration_minutes":20,"ticket_prefix":"H"}`}, {6, `{"weekly":[]}`}, {7, `{"weekly":[]}`},
		{3, `null`}, {4, `{"weekly":null}`},
	} {
		f.Add(s.which, s.body)
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		r := setupRequests[int(which)%len(setupRequests)]
		before := c.state(t)
		w := c.serve(r.method, r.path, "json", body, nil, "Authorization", "Bearer "+c.Admin)
		c.check(t, r.method+" "+r.path, body, w, before)
	})
}
