package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"frontdoor"
)

// Page handler tests without a browser: the forms' answers to bad input,
// escaping, and manage links that do not match.

// pagesMonday is a weekday morning before the clocks change (London is on GMT).
var pagesMonday = time.Date(2027, 3, 22, 8, 0, 0, 0, time.UTC)

func pageServer(t *testing.T) *testServer {
	t.Helper()
	s := start(t, config{testClock: frontdoor.NewFakeClockAt(pagesMonday)})
	s.setupCentre()
	return s
}

// pageStart is the first free HOU time on the test Monday: 10:20 London
// (10:00 is just inside the two hours' notice once the clock has moved on).
const pageStart = "2027-03-22T10:20:00Z"

// expect fails the test unless r has status want.
func expect(t testing.TB, r response, want int, what string) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: status %d, want %d\n%s", what, r.Status, want, r.Body)
	}
}

// location is where a redirect answer sends the browser.
func location(t testing.TB, r response) string {
	t.Helper()
	if r.Status != http.StatusSeeOther && r.Status != http.StatusFound {
		t.Fatalf("status %d, want a redirect\n%s", r.Status, r.Body)
	}
	return r.Header.Get("Location")
}

// hasErrorSummary checks a page shows the GOV.UK error summary with a link
// to each field and an inline error beside it.
func hasErrorSummary(t testing.TB, r response, fields ...string) {
	t.Helper()
	body := string(r.Body)
	if !strings.Contains(body, `class="govuk-error-summary"`) {
		t.Fatalf("no error summary (status %d):\n%s", r.Status, body)
	}
	if !strings.Contains(body, "<title>Error: ") {
		t.Errorf("the page title does not start with Error:")
	}
	for _, f := range fields {
		if !strings.Contains(body, `href="#`+f+`"`) {
			t.Errorf("the error summary has no link to #%s:\n%s", f, body)
		}
		if !strings.Contains(body, `id="`+f+`"`) {
			t.Errorf("there is no field with id %q for the summary's link", f)
		}
		if !strings.Contains(body, `id="`+f+`-error"`) && !strings.Contains(body, `id="`+strings.TrimSuffix(f, "-day")+`-error"`) {
			t.Errorf("there is no inline error beside %q", f)
		}
	}
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// hiddenFields reads a page's hidden form fields.
func hiddenFields(body []byte) url.Values {
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(string(body), -1) {
		v.Set(m[1], htmlUnescape(m[2]))
	}
	return v
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

// pageDetails is a valid details form.
func pageDetails(name, phone string) url.Values {
	return url.Values{"name": {name}, "phone": {phone}, "email": {""}, "people": {"1"},
		"needs": {"interpreter"}, "interpreter_language": {"Polish"}}
}

// bookThroughPages walks the resident journey to the check page and posts
// it, returning the confirmation answer.
func (s *testServer) bookThroughPages(start string, d url.Values) response {
	s.t.Helper()
	t := s.t
	r := s.page("POST", "/book/city-hall", url.Values{"service": {"HOU"}}, nil)
	day := start[:10]
	loc := location(t, r)
	expect(t, s.page("GET", loc, nil, nil), 200, "day page")
	r = s.page("POST", "/book/city-hall/day", url.Values{"service": {"HOU"}, "day": {day}}, nil)
	loc = location(t, r)
	expect(t, s.page("GET", loc, nil, nil), 200, "time page")
	r = s.page("POST", "/book/city-hall/time", url.Values{"service": {"HOU"}, "day": {day}, "start": {start}}, nil)
	loc = location(t, r)
	r = s.page("GET", loc, nil, nil)
	expect(t, r, 200, "details page")
	form := hiddenFields(r.Body)
	for k, v := range d {
		form[k] = v
	}
	r = s.page("POST", "/book/city-hall/details", form, nil)
	loc = location(t, r)
	r = s.page("GET", loc, nil, nil)
	expect(t, r, 200, "check page")
	return s.page("POST", "/book/city-hall/confirm", hiddenFields(r.Body), nil)
}

var refRE = regexp.MustCompile(`<strong id="reference">([A-Z0-9]{6})</strong>`)
var manageRE = regexp.MustCompile(`href="(/manage/[A-Z0-9]{6}/[a-z0-9]+)"`)

func TestPageJourneyBooksOnce(t *testing.T) {
	s := pageServer(t)
	r := s.bookThroughPages(pageStart, pageDetails("Ada Lovelace", "07700 900123"))
	expect(t, r, 200, "confirmation")
	m := refRE.FindSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no reference on the confirmation page:\n%s", r.Body)
	}
	body := string(r.Body)
	for _, want := range []string{"Appointment booked", "Monday 22 March 2027 at 10:20am", "/qr/", ".png", "/calendar.ics", "text message to 07700 900123"} {
		if !strings.Contains(body, want) {
			t.Errorf("confirmation page lacks %q", want)
		}
	}
	if n := s.count(`SELECT COUNT(*) FROM bookings WHERE reference = ? AND channel = 'online'`, string(m[1])); n != 1 {
		t.Fatalf("bookings with the reference: %d, want 1", n)
	}
	if got := r.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy %q on a page with the manage link", got)
	}
}

// TestPageConfirmSentTwiceBooksOnce: the check page's form sent twice (a
// double click, a refresh) gives one booking and the same page.
func TestPageConfirmSentTwiceBooksOnce(t *testing.T) {
	s := pageServer(t)
	r := s.page("POST", "/book/city-hall/details", url.Values{"service": {"HOU"}, "start": {pageStart},
		"name": {"Ada"}, "phone": {"07700 900123"}, "people": {"1"}}, nil)
	check := s.page("GET", location(t, r), nil, nil)
	form := hiddenFields(check.Body)
	if form.Get("key") == "" {
		t.Fatal("the check page's form has no key")
	}
	first := s.page("POST", "/book/city-hall/confirm", form, nil)
	second := s.page("POST", "/book/city-hall/confirm", form, nil)
	expect(t, first, 200, "first")
	expect(t, second, 200, "second")
	if string(first.Body) != string(second.Body) {
		t.Error("the second answer differs from the first")
	}
	form.Set("key", "another")
	third := s.page("POST", "/book/city-hall/confirm", form, nil)
	expect(t, third, 200, "the same phone and slot under another key")
	// Another key is another tab or person: told it exists, shown none of its secrets.
	if !strings.Contains(string(third.Body), "You already have this appointment") ||
		strings.Contains(string(third.Body), refRE.FindString(string(first.Body))) || strings.Contains(string(third.Body), "/qr/") {
		t.Errorf("the same phone and slot under another key showed:\n%s", third.Body)
	}
	if n := s.count(`SELECT COUNT(*) FROM bookings`); n != 1 {
		t.Fatalf("%d bookings, want 1", n)
	}
}

func TestPageFormsRefuseBadInput(t *testing.T) {
	s := pageServer(t)
	cookie := s.signInAs(frontdoor.RoleReception)
	long := strings.Repeat("x", 10<<10)
	details := func(change map[string]string) url.Values {
		v := url.Values{"service": {"HOU"}, "day": {"2027-03-22"}, "start": {pageStart}, "name": {"Ada Lovelace"},
			"phone": {"07700 900123"}, "email": {""}, "people": {"1"}}
		for k, x := range change {
			v.Set(k, x)
		}
		return v
	}
	phone := func(change map[string]string) url.Values {
		v := details(change)
		v.Set("site", "city-hall")
		v.Set("key", "k-"+change["name"]+change["phone"]+change["people"])
		return v
	}
	cases := []struct {
		name, method, path string
		form               url.Values
		cookies            bool
		fields             []string
	}{
		{"no service", "POST", "/book/city-hall", url.Values{}, false, []string{"service"}},
		{"unknown service", "POST", "/book/city-hall", url.Values{"service": {"NOPE"}}, false, []string{"service"}},
		{"no day", "POST", "/book/city-hall/day", url.Values{"service": {"HOU"}}, false, []string{"day"}},
		{"not a day", "POST", "/book/city-hall/day", url.Values{"service": {"HOU"}, "day": {"<b>soon</b>"}}, false, []string{"day"}},
		{"closed day", "POST", "/book/city-hall/day", url.Values{"service": {"HOU"}, "day": {"2027-03-27"}}, false, []string{"day"}},
		{"no time", "POST", "/book/city-hall/time", url.Values{"service": {"HOU"}, "day": {"2027-03-22"}}, false, []string{"start"}},
		{"past time", "POST", "/book/city-hall/time", url.Values{"service": {"HOU"}, "day": {"2027-03-22"}, "start": {"2027-03-22T09:00:00Z"}}, false, []string{"start"}},
		{"off-grid time", "POST", "/book/city-hall/time", url.Values{"service": {"HOU"}, "day": {"2027-03-22"}, "start": {"2027-03-22T10:07:00Z"}}, false, []string{"start"}},
		{"no name", "POST", "/book/city-hall/details", details(map[string]string{"name": " "}), false, []string{"name"}},
		{"10 KB name", "POST", "/book/city-hall/details", details(map[string]string{"name": long}), false, []string{"name"}},
		{"bad phone", "POST", "/book/city-hall/details", details(map[string]string{"phone": "12345"}), false, []string{"phone"}},
		{"bad email", "POST", "/book/city-hall/details", details(map[string]string{"email": "ada@"}), false, []string{"email"}},
		{"no people", "POST", "/book/city-hall/details", details(map[string]string{"people": "0"}), false, []string{"people"}},
		{"too many people", "POST", "/book/city-hall/details", details(map[string]string{"people": "40"}), false, []string{"people"}},
		{"interpreter without a language", "POST", "/book/city-hall/details", details(map[string]string{"needs": "interpreter"}), false, []string{"interpreter-language"}},
		{"everything wrong", "POST", "/book/city-hall/details", details(map[string]string{"name": "", "phone": "x", "email": "x", "people": "x"}), false,
			[]string{"name", "phone", "email", "people"}},
		{"staff: bad date", "GET", "/staff/phone-booking?site=city-hall&date-day=31&date-month=2&date-year=2027", nil, true, []string{"date-day"}},
		{"staff: past date", "GET", "/staff/phone-booking?site=city-hall&date-day=1&date-month=3&date-year=2027", nil, true, []string{"date-day"}},
		{"staff: unknown service", "GET", "/staff/phone-booking?site=city-hall&service=NOPE", nil, true, []string{"service"}},
		{"staff: unknown site", "GET", "/staff/phone-booking?site=nowhere", nil, true, []string{"site"}},
		{"staff: bad phone", "POST", "/staff/phone-booking/book", phone(map[string]string{"phone": "0"}), true, []string{"phone"}},
		{"staff: no name", "POST", "/staff/phone-booking/book", phone(map[string]string{"name": ""}), true, []string{"name"}},
	}
	before := s.dump()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cookies []*http.Cookie
			if c.cookies {
				cookies = cookie
			}
			path := c.path
			r := s.page(c.method, path, c.form, cookies)
			if r.Status < 400 || r.Status > 499 {
				t.Fatalf("status %d, want 4xx\n%s", r.Status, r.Body)
			}
			hasErrorSummary(t, r, c.fields...)
			if strings.Contains(string(r.Body), "<b>soon</b>") {
				t.Error("the page shows what was typed unescaped")
			}
		})
	}
	if after := s.dump(); after != before {
		t.Errorf("bad input changed the database:\n%s", diffLines(before, after))
	}
	// What was typed is kept.
	r := s.page("POST", "/book/city-hall/details", details(map[string]string{"phone": "12345", "name": "Ada <Lovelace>"}), nil)
	if !strings.Contains(string(r.Body), `value="Ada &lt;Lovelace&gt;"`) || !strings.Contains(string(r.Body), `value="12345"`) {
		t.Errorf("the details form lost what was typed:\n%s", r.Body)
	}
}

// signInAs signs in a new staff user with role and returns the session cookie.
func (s *testServer) signInAs(role string) []*http.Cookie {
	s.t.Helper()
	name := "test-" + role
	const password = "correct horse battery"
	if _, err := s.app.staff.CreateUser(context.Background(), name, role, "", password); err != nil {
		s.t.Fatal(err)
	}
	r := s.page("POST", "/sign-in", url.Values{"name": {name}, "password": {password}, "next": {"/staff"}}, nil)
	if r.Status != http.StatusSeeOther || len(r.Cookies) == 0 {
		s.t.Fatalf("sign in as %s: status %d, cookies %v\n%s", role, r.Status, r.Cookies, r.Body)
	}
	return r.Cookies
}

func TestPageConfirmationEscapesScript(t *testing.T) {
	s := pageServer(t)
	name := `<script>alert("x")</script> Ada`
	r := s.bookThroughPages(pageStart, pageDetails(name, "07700 900123"))
	expect(t, r, 200, "confirmation")
	ref := string(refRE.FindSubmatch(r.Body)[1])
	manage := string(manageRE.FindSubmatch(r.Body)[1])
	cookies := s.signInAs(frontdoor.RoleReception)
	pages := map[string]response{
		"manage":      s.page("GET", manage, nil, nil),
		"cancel":      s.page("GET", manage+"/cancel", nil, nil),
		"staff":       s.page("GET", "/staff/phone-booking/booked/"+ref, nil, cookies),
		"check again": s.page("GET", "/book/city-hall/check?"+url.Values{"service": {"HOU"}, "start": {pageStart}}.Encode(), nil, nil),
	}
	pages["confirmation"] = r
	for what, p := range pages {
		if strings.Contains(string(p.Body), "<script>alert") {
			t.Errorf("%s page shows the name unescaped", what)
		}
	}
	for _, what := range []string{"manage", "staff"} {
		if !strings.Contains(string(pages[what].Body), "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Ada") {
			t.Errorf("%s page does not show the name escaped:\n%s", what, pages[what].Body)
		}
	}
}

func TestPageManageWithWrongTokenIsNotFound(t *testing.T) {
	s := pageServer(t)
	r := s.bookThroughPages(pageStart, pageDetails("Ada", "07700 900123"))
	ref := string(refRE.FindSubmatch(r.Body)[1])
	manage := string(manageRE.FindSubmatch(r.Body)[1])
	expect(t, s.page("GET", manage, nil, nil), 200, "the right link")
	before := s.dump()
	wrong := "/manage/" + ref + "/aaaaaaaaaaaaaaaaaaaaaaaaaa"
	for _, c := range []struct{ method, path string }{
		{"GET", wrong}, {"GET", wrong + "/cancel"}, {"POST", wrong + "/cancel"}, {"GET", wrong + "/change"},
		{"POST", wrong + "/change/time"}, {"GET", "/manage/ZZZZZZ/" + strings.Split(manage, "/")[3]},
		{"GET", "/manage/%3Cscript%3E/x"}, {"POST", "/manage/" + strings.ToLower(ref) + "/x/cancel"},
	} {
		var form url.Values
		if c.method == "POST" {
			form = url.Values{"start": {"2027-03-22T10:20:00Z"}, "day": {"2027-03-22"}}
		}
		r := s.page(c.method, c.path, form, nil)
		if r.Status != http.StatusNotFound {
			t.Errorf("%s %s: status %d, want 404", c.method, c.path, r.Status)
		}
		if !strings.Contains(string(r.Body), "We could not find your appointment") || !strings.Contains(string(r.Body), "link") {
			t.Errorf("%s %s: not the page that says to use the link:\n%s", c.method, c.path, r.Body)
		}
	}
	if s.dump() != before {
		t.Error("a wrong manage link changed the database")
	}
	help := s.page("GET", "/manage/"+ref, nil, nil)
	expect(t, help, 200, "manage without a token")
	if !strings.Contains(string(help.Body), "use the whole link") {
		t.Errorf("the page without a token does not say to use the link:\n%s", help.Body)
	}
}

func TestPageStaffPhoneBookingNeedsARole(t *testing.T) {
	s := pageServer(t)
	r := s.page("GET", "/staff/phone-booking?site=city-hall", nil, nil)
	if loc := location(t, r); loc != "/sign-in?next="+url.QueryEscape("/staff/phone-booking?site=city-hall") {
		t.Errorf("not signed in: sent to %q", loc)
	}
	device := s.token(frontdoor.RoleDevice, "city-hall")
	r = s.page("GET", "/staff/phone-booking", nil, nil, "Authorization", "Bearer "+device)
	expect(t, r, http.StatusForbidden, "a device token")
	if !strings.Contains(string(r.Body), "You cannot see this page") {
		t.Errorf("not the 403 page:\n%s", r.Body)
	}
	cookies := s.signInAs(frontdoor.RoleOfficer)
	r = s.page("GET", "/staff/phone-booking", nil, cookies)
	expect(t, r, 200, "an officer")
	if !strings.Contains(string(r.Body), "Free times on Monday 22 March 2027 at City Hall") {
		t.Errorf("no free times listed for today:\n%s", r.Body)
	}
	if !strings.Contains(string(r.Body), `href="/staff/phone-booking"`) {
		t.Error("the staff navigation has no phone-booking link")
	}
}

func TestPagePhoneBookingReadsBackAndResends(t *testing.T) {
	s := pageServer(t)
	cookies := s.signInAs(frontdoor.RoleReception)
	form := url.Values{"site": {"city-hall"}, "service": {"HOU"}, "start": {pageStart}, "key": {"k1"},
		"name": {"Caller One"}, "phone": {"07700 900456"}, "people": {"2"}}
	r := s.page("POST", "/staff/phone-booking/book", form, cookies)
	loc := location(t, r)
	ref := strings.TrimPrefix(loc, "/staff/phone-booking/booked/")
	if n := s.count(`SELECT COUNT(*) FROM bookings WHERE reference = ? AND channel = 'phone' AND people = 2`, ref); n != 1 {
		t.Fatalf("phone booking %q not found", ref)
	}
	r = s.page("GET", loc, nil, cookies)
	expect(t, r, 200, "booked page")
	if !strings.Contains(string(r.Body), ref[:3]+" "+ref[3:]) {
		t.Errorf("the reference is not spaced for reading back:\n%s", r.Body)
	}
	r = s.page("POST", loc+"/resend", url.Values{}, cookies)
	after := location(t, r)
	r = s.page("GET", after, nil, cookies)
	if !strings.Contains(string(r.Body), "Confirmation text queued") {
		t.Errorf("no flash after resending:\n%s", r.Body)
	}
	if n := s.count(`SELECT COUNT(*) FROM messages WHERE purpose = 'confirmation'`); n != 2 {
		t.Errorf("%d confirmation texts, want 2 (the first and the resend)", n)
	}
	// The same slot again is full: the search page says so.
	form.Set("key", "k2")
	form.Set("phone", "07700 900789")
	r = s.page("POST", "/staff/phone-booking/book", form, cookies)
	expect(t, r, http.StatusConflict, "a full slot")
	if !strings.Contains(string(r.Body), "has just gone") {
		t.Errorf("no 'has just gone' message:\n%s", r.Body)
	}
}

// diffLines lists the lines of b that are not in a, and the other way round.
func diffLines(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ina, inb := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !inb[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ina[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// TestPageChangeToATimeThatHasGone: moving to a time someone else has just
// taken shows the friendly page with other times, and the booking stays put.
func TestPageChangeToATimeThatHasGone(t *testing.T) {
	s := pageServer(t)
	var a struct {
		ManageURL string `json:"manage_url"`
		Reference string `json:"reference"`
	}
	s.must(201, "POST", "/api/v1/bookings", "", map[string]any{"site": "city-hall", "service": "HOU",
		"start": "2027-03-25T09:20:00Z", "name": "Mover", "phone": "07700 900123"}).JSON(t, &a)
	s.must(201, "POST", "/api/v1/bookings", "", map[string]any{"site": "city-hall", "service": "HOU",
		"start": "2027-03-24T09:00:00Z", "name": "Quicker", "phone": "07700 900456"})
	manage := strings.TrimPrefix(a.ManageURL, s.URL)
	before := s.dump()
	r := s.page("POST", manage+"/change/time", url.Values{"day": {"2027-03-24"}, "start": {"2027-03-24T09:00:00Z"}}, nil)
	expect(t, r, http.StatusConflict, "a time that has gone")
	body := string(r.Body)
	for _, want := range []string{"Sorry, that time has just gone", "Your appointment is still at Thursday 25 March 2027 at 9:20am",
		"Wednesday 24 March at 9:20am", `action="` + manage + `/change/time"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if s.dump() != before {
		t.Error("a refused change changed the database")
	}
	r = s.page("POST", manage+"/change/time", url.Values{"day": {"2027-03-24"}}, nil)
	expect(t, r, http.StatusBadRequest, "no time chosen")
	hasErrorSummary(t, r, "start")
	r = s.page("POST", manage+"/change", url.Values{"day": {"2027-03-27"}}, nil)
	expect(t, r, http.StatusBadRequest, "a closed day")
	hasErrorSummary(t, r, "day")
}
