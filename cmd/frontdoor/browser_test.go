package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdoor"
)

// The resident and phone-booking journeys in real Chromium: on a phone with
// JavaScript on and off, by keyboard alone, with a bad phone number, with a
// time taken while the form was being filled, from the manage link, and as
// a reception user. axe-core checks every page on the way.

// browserMonday is a weekday morning: 08:00 in London, a week before the
// clocks go forward on 28 March 2027.
var browserMonday = time.Date(2027, 3, 22, 8, 0, 0, 0, time.UTC)

// browserServer is the test centre (see setupCentre) plus Council Tax
// appointments in the afternoons and a parking service that takes walk-ins only.
func browserServer(t *testing.T) *testServer {
	t.Helper()
	s := start(t, config{testClock: frontdoor.NewFakeClockAt(browserMonday)})
	s.setupCentre()
	s.must(201, "POST", "/api/v1/sites/city-hall/services", s.Admin, map[string]any{"code": "PRK", "name": "Parking permits",
		"duration_minutes": 10, "ticket_prefix": "P", "bookable": false, "walk_in": true})
	var bands []map[string]any
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		bands = append(bands, map[string]any{"weekday": d, "from": "13:00", "to": "16:00", "parallel": 1})
	}
	s.must(200, "PUT", "/api/v1/sites/city-hall/services/CTX/capacity", s.Admin, map[string]any{"weekly": bands})
	return s
}

// apiBooking reads a booking through the API as staff.
func apiBooking(t *testing.T, s *testServer, ref string) map[string]any {
	t.Helper()
	var b map[string]any
	s.must(200, "GET", "/api/v1/bookings/"+ref, s.Admin, nil).JSON(t, &b)
	return b
}

// startsAt fails the test unless the booking's start is the instant want.
func startsAt(t *testing.T, b map[string]any, want string) {
	t.Helper()
	got, err1 := time.Parse(time.RFC3339, b["start"].(string))
	w, err2 := time.Parse(time.RFC3339, want)
	if err1 != nil || err2 != nil || !got.Equal(w) {
		t.Errorf("booking starts %v, want %s", b["start"], want)
	}
}

var referenceRE = regexp.MustCompile(`^[A-Z2-9]{6}$`)

// checkConfirmation checks the confirmation page and returns the reference.
func (b *tab) checkConfirmation(when string) string {
	b.t.Helper()
	b.expectHeading("Appointment booked")
	ref := b.text("#reference")
	if !referenceRE.MatchString(ref) {
		b.t.Fatalf("reference %q on the confirmation page", ref)
	}
	b.sees(when, "What to bring", "text message")
	if !b.imageLoaded("img.app-qr") {
		b.t.Error("the QR code image did not load")
	}
	if alt := b.attr("img.app-qr", "alt"); !strings.Contains(alt, "QR code") || !strings.Contains(alt, "check in") {
		b.t.Errorf("the QR code's alt text %q does not say what it is", alt)
	}
	b.calendarLinkWorks(ref)
	if m := b.attr("#manage", "href"); !strings.HasPrefix(m, "/manage/"+ref+"/") {
		b.t.Errorf("manage link %q", m)
	}
	return ref
}

// calendarLinkWorks fetches the page's calendar link and checks it is the booking's .ics.
func (b *tab) calendarLinkWorks(ref string) {
	b.t.Helper()
	href := b.attr("#calendar", "href")
	if !strings.HasSuffix(href, ".ics") {
		b.t.Fatalf("calendar link %q", href)
	}
	r := b.s.do("GET", href, "", nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/calendar") || !strings.Contains(string(r.Body), ref) {
		b.t.Errorf("calendar link %s: status %d, %s", href, r.Status, r.Header.Get("Content-Type"))
	}
}

func TestBrowserBookingOnAPhone(t *testing.T) {
	s := browserServer(t)
	cases := []struct {
		name            string
		jsOff           bool
		day, time, want string
		phone           string
	}{
		{"javascript on", false, "Tuesday 23 March", "10am", "2027-03-23T10:00:00Z", "07700 900111"},
		// After the clocks go forward: 9am in London is 08:00 UTC.
		{"javascript off", true, "Monday 29 March", "9am", "2027-03-29T08:00:00Z", "07700 900222"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := phone
			o.jsOff = c.jsOff
			b := newTab(t, s, o)
			shots := !c.jsOff

			b.open("/", 200)
			b.expectHeading("Book a face-to-face appointment")
			b.click(`//a[contains(@class, "govuk-button--start")]`, 200)

			b.expectHeading("What do you need help with?")
			b.sees("Housing options", "Appointments take 20 minutes", "Services you cannot book", "Parking permits", "take a ticket")
			if shots {
				b.screenshot("booking-service.png")
			}
			b.choose("Housing options")
			b.click(button("Continue"), 200)

			b.expectHeading("Which day would you like to come in?")
			b.sees("Week beginning Monday 22 March 2027", "Tuesday 23 March", "9 times free")
			if shots {
				b.screenshot("booking-day.png")
			}
			if !c.jsOff {
				b.click(linkTo("Later dates"), 200)
				b.sees("from Monday 19 April 2027", "Week beginning Monday 19 April 2027")
				b.click(linkTo("Earlier dates"), 200)
				b.sees("from Monday 22 March 2027")
			}
			b.choose(c.day)
			b.click(button("Continue"), 200)

			b.expectHeading("Choose a time on " + c.day + " 2027")
			b.sees("Morning", "9am", "9:20am", "11:40am")
			if shots {
				b.screenshot("booking-time.png")
			}
			b.choose(c.time)
			b.click(button("Continue"), 200)

			b.expectHeading("Your details")
			b.sees("Housing options, " + c.day + " 2027 at " + c.time)
			if got := b.visible("interpreter-language"); got != c.jsOff {
				t.Errorf("the language field is shown before ticking 'An interpreter': %v (JavaScript off: %v)", got, c.jsOff)
			}
			b.fill("name", "Sam Resident")
			b.fill("phone", c.phone)
			b.fill("email", "sam@example.com")
			b.choose("An interpreter")
			if !b.visible("interpreter-language") {
				t.Error("the language field is hidden after ticking 'An interpreter'")
			}
			b.fill("interpreter-language", "Polish")
			b.choose("Wheelchair access")
			b.setValue("people", "2")
			if shots {
				b.screenshot("booking-details.png")
			}
			b.click(button("Continue"), 200)

			b.expectHeading("Check your answers before booking")
			b.sees("Housing options", c.day+" 2027", c.time+" (20 minutes)", "Sam Resident", c.phone, "sam@example.com",
				"Interpreter: Polish", "Wheelchair access", "2 people")
			if shots {
				b.screenshot("booking-check.png")
			}
			if !c.jsOff {
				// Change the time and come back with the details kept.
				b.click(`//a[normalize-space()="Change time"]`, 200)
				b.expectHeading("Choose a time on " + c.day + " 2027")
				b.choose("9:20am")
				b.click(button("Continue"), 200)
				b.expectHeading("Check your answers before booking")
				b.sees("9:20am (20 minutes)", "Sam Resident", "Interpreter: Polish")
				b.click(`//a[normalize-space()="Change time"]`, 200)
				b.choose(c.time)
				b.click(button("Continue"), 200)
			}
			b.click(button("Book appointment"), 200)

			ref := b.checkConfirmation(c.day + " 2027 at " + c.time)
			b.sees("We’re sending a text message to " + c.phone)
			if shots {
				b.screenshot("booking-confirmation.png")
			}
			got := apiBooking(t, s, ref)
			startsAt(t, got, c.want)
			needs, _ := got["needs"].(map[string]any)
			if got["status"] != "booked" || got["name"] != "Sam Resident" || got["channel"] != "online" || got["people"] != 2.0 ||
				needs["interpreter"] != "Polish" || needs["wheelchair"] != true || got["email"] != "sam@example.com" {
				t.Errorf("the booking through the API: %v", got)
			}
		})
	}
}

func TestBrowserKeyboardOnly(t *testing.T) {
	s := browserServer(t)
	b := newTab(t, s, desktop)
	b.open("/", 200)
	b.key("\t")
	if f := b.focused(); !strings.Contains(f, "govuk-skip-link") {
		t.Errorf("the first Tab focuses %q, want the skip link", f)
	}
	b.tabTo("a.govuk-button--start")
	b.press("\r", 200)

	b.expectHeading("What do you need help with?")
	b.tabTo(`input[name="service"]`)
	b.key(" ")
	b.tabTo(`button[type="submit"]`)
	b.press("\r", 200)

	b.expectHeading("Which day would you like to come in?")
	b.tabTo(`input[name="day"]`)
	b.key(" ")
	b.tabTo(`button[type="submit"]`)
	b.press("\r", 200)

	b.expectHeading("Choose a time on Monday 22 March 2027")
	b.tabTo(`input[name="start"]`)
	b.key(" ")
	chosen := eval[string](b, `document.activeElement.value`)
	b.tabTo(`button[type="submit"]`)
	b.press("\r", 200)

	b.expectHeading("Your details")
	b.sees("Housing options, Monday 22 March 2027 at 10:20am")
	b.tabTo("#name")
	b.key("Kay Board")
	b.tabTo("#phone")
	b.key("07700 900333")
	b.tabTo("#needs")
	b.key(" ")
	b.key("\t")
	if f := b.focused(); f != "interpreter-language" {
		t.Fatalf("after ticking 'An interpreter', Tab focuses %q, want the language field", f)
	}
	b.key("Urdu")
	b.tabTo(`button[type="submit"]`)
	b.press("\r", 200)

	b.expectHeading("Check your answers before booking")
	b.sees("Kay Board", "Interpreter: Urdu")
	b.tabTo(`button[type="submit"]`)
	b.press("\r", 200)

	ref := b.checkConfirmation("Monday 22 March 2027 at 10:20am")
	got := apiBooking(t, s, ref)
	startsAt(t, got, chosen)
	if got["name"] != "Kay Board" {
		t.Errorf("booked by keyboard: %v", got)
	}
}

func TestBrowserErrorSummaryForBadPhone(t *testing.T) {
	s := browserServer(t)
	for _, jsOff := range []bool{false, true} {
		name := "javascript on"
		if jsOff {
			name = "javascript off"
		}
		t.Run(name, func(t *testing.T) {
			o := phone
			o.jsOff = jsOff
			b := newTab(t, s, o)
			b.open("/book/city-hall/details?service=HOU&day=2027-03-23&start=2027-03-23T09:40:00Z", 200)
			b.fill("name", "Pat Typo")
			b.fill("phone", "12345")
			b.click(button("Continue"), http.StatusBadRequest)

			if title := eval[string](b, "document.title"); !strings.HasPrefix(title, "Error: ") {
				t.Errorf("title %q does not start with Error:", title)
			}
			b.sees("There is a problem", "Enter a UK phone number, like 07700 900123")
			if !jsOff {
				b.screenshot("booking-error.png")
			}
			if href := b.attr(".govuk-error-summary__list a", "href"); href != "#phone" {
				t.Errorf("the error summary links to %q, want #phone", href)
			}
			if v := eval[string](b, `document.getElementById("phone").value + "|" + document.getElementById("name").value`); v != "12345|Pat Typo" {
				t.Errorf("what was typed was not kept: %q", v)
			}
			if d := b.attr("#phone", "aria-describedby"); !strings.Contains(d, "phone-error") || b.text("#phone-error") == "" {
				t.Errorf("the phone field is not described by its inline error (%q)", d)
			}
			if !jsOff {
				// GOV.UK Frontend moves focus to the summary, and its links to the field.
				focus, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`document.activeElement.classList.contains("govuk-error-summary")`,
					chromedp.WithPollingTimeout(3*time.Second)))
				if err != nil || !focus {
					t.Errorf("the error summary does not have the focus (%s)", b.focused())
				}
				b.do("follow the summary link", chromedp.Click(chromedp.CSS(".govuk-error-summary__list a")))
				if f := b.focused(); f != "phone" {
					t.Errorf("the summary link focuses %q, want the phone field", f)
				}
			} else {
				b.do("follow the summary link", chromedp.Click(chromedp.CSS(".govuk-error-summary__list a")))
				if h := eval[string](b, "location.hash"); h != "#phone" {
					t.Errorf("the summary link goes to %q, want #phone", h)
				}
			}
			if n := s.count(`SELECT COUNT(*) FROM bookings`); n != 0 {
				t.Errorf("%d bookings after a bad phone number", n)
			}
		})
	}
}

func TestBrowserTimeHasJustGone(t *testing.T) {
	s := browserServer(t)
	b := newTab(t, s, phone)
	b.open("/book/city-hall/time?service=HOU&day=2027-03-23", 200)
	b.choose("11am")
	b.click(button("Continue"), 200)
	b.fill("name", "Lee Late")
	b.fill("phone", "07700 900444")
	b.click(button("Continue"), 200)
	b.expectHeading("Check your answers before booking")

	// Someone else takes 11am while Lee reads the answers.
	s.must(201, "POST", "/api/v1/bookings", "", map[string]any{"site": "city-hall", "service": "HOU",
		"start": "2027-03-23T11:00:00Z", "name": "Quick", "phone": "07700 900555"})
	b.click(button("Book appointment"), http.StatusConflict)

	b.expectHeading("Sorry, that time has just gone")
	b.sees("Someone else booked 11am on Tuesday 23 March 2027", "Your details have been kept",
		"Tuesday 23 March at 10:40am", "Tuesday 23 March at 11:20am")
	if strings.Contains(b.text("form"), "Tuesday 23 March at 11am") {
		t.Error("the time that has gone is offered again")
	}
	b.screenshot("booking-gone.png")
	b.choose("Tuesday 23 March at 11:20am")
	b.click(button("Continue"), 200)
	b.expectHeading("Check your answers before booking")
	b.sees("11:20am", "Lee Late")
	b.click(button("Book appointment"), 200)
	ref := b.checkConfirmation("Tuesday 23 March 2027 at 11:20am")
	startsAt(t, apiBooking(t, s, ref), "2027-03-23T11:20:00Z")
	if n := s.count(`SELECT COUNT(*) FROM bookings WHERE start_at = ?`, time.Date(2027, 3, 23, 11, 0, 0, 0, time.UTC).UnixMilli()); n != 1 {
		t.Errorf("%d bookings at 11am, want 1", n)
	}
}

func TestBrowserManageChangeAndCancel(t *testing.T) {
	s := browserServer(t)
	var created struct {
		Reference string `json:"reference"`
		ManageURL string `json:"manage_url"`
		ICSURL    string `json:"ics_url"`
	}
	s.must(201, "POST", "/api/v1/bookings", "", map[string]any{"site": "city-hall", "service": "HOU",
		"start": "2027-03-24T09:00:00Z", "name": "Robin Mover", "phone": "07700 900666"}).JSON(t, &created)
	manage := strings.TrimPrefix(created.ManageURL, s.URL)

	b := newTab(t, s, tabOptions{width: 375, height: 812, mobile: true, jsOff: true})
	b.open(manage, 200)
	b.expectHeading("Your appointment")
	b.sees("Reference " + created.Reference)
	b.sees("Housing options on Wednesday 24 March 2027 at 9am", "Robin Mover", "City Hall")
	if !b.imageLoaded("img.app-qr") {
		t.Error("the QR code did not load on the manage page")
	}
	b.calendarLinkWorks(created.Reference)
	b.screenshot("manage.png")

	b.click(button("Change the time"), 200)
	b.expectHeading("Which day would you like to change to?")
	b.sees("Your appointment is now at Wednesday 24 March 2027 at 9am")
	b.choose("Thursday 25 March")
	b.click(button("Continue"), 200)
	b.expectHeading("Choose a new time on Thursday 25 March 2027")
	b.choose("9:20am")
	b.click(button("Change to this time"), 200)
	b.expectHeading("Appointment changed")
	b.sees("Thursday 25 March 2027 at 9:20am", created.Reference)
	startsAt(t, apiBooking(t, s, created.Reference), "2027-03-25T09:20:00Z")

	b.click(linkTo("View your appointment"), 200)
	b.click(button("Cancel appointment"), 200)
	b.expectHeading("Are you sure you want to cancel your appointment?")
	b.click(button("Yes, cancel my appointment"), 200)
	b.expectHeading("Appointment cancelled")
	if got := apiBooking(t, s, created.Reference); got["status"] != "cancelled" {
		t.Errorf("after cancelling, the booking is %v", got["status"])
	}
	b.open(manage, 200)
	b.sees("Cancelled", "This appointment was cancelled")

	b.open("/manage/"+created.Reference+"/not-the-token", http.StatusNotFound)
	b.expectHeading("We could not find your appointment")
	b.open("/manage/"+created.Reference, 200)
	b.expectHeading("Manage your appointment")
}

func TestBrowserPhoneBooking(t *testing.T) {
	s := browserServer(t)
	const password = "reception password 1"
	if _, err := s.app.staff.CreateUser(context.Background(), "rita", frontdoor.RoleReception, "", password); err != nil {
		t.Fatal(err)
	}
	b := newTab(t, s, desktop)
	b.open("/staff/phone-booking", 200)
	b.expectHeading("Sign in")
	b.fill("name", "rita")
	b.fill("password", password)
	b.click(button("Sign in"), 200)

	b.expectHeading("Book an appointment for a caller")
	if b.attr(`nav a[href="/staff/phone-booking"]`, "aria-current") != "true" {
		t.Error("the navigation does not mark Phone booking as the current page")
	}
	if b.attr(`nav a[href="/staff"]`, "aria-current") != "" {
		t.Error("the navigation marks Staff pages as current too")
	}
	b.sees("Free times on Monday 22 March 2027 at City Hall", "10:20am")
	b.setValue("date-day", "23")
	b.click(button("Find free times"), 200)
	b.sees("Free times on Tuesday 23 March 2027 at City Hall", "Housing options", "Council Tax", "1pm")
	b.screenshot("phone-booking.png")
	b.click(`//a[normalize-space()="Book Housing options at 9:20am"]`, 200)

	b.expectHeading("Caller’s details")
	b.sees("Housing options at City Hall, Tuesday 23 March 2027 at 9:20am")
	b.fill("name", "Casey Caller")
	b.fill("phone", "07700 900777")
	b.click(button("Book appointment"), 200)

	b.expectHeading("Appointment booked for the caller")
	spaced := strings.TrimPrefix(b.text("#reference"), "Reference ")
	if !regexp.MustCompile(`^[A-Z2-9]{3} [A-Z2-9]{3}$`).MatchString(spaced) {
		t.Fatalf("reference %q is not shown spaced for reading back", spaced)
	}
	ref := strings.ReplaceAll(spaced, " ", "")
	if p := b.text("#phonetic"); !strings.Contains(p, " for ") {
		t.Errorf("no phonetic spelling: %q", p)
	}
	b.sees("Tuesday 23 March 2027 at 9:20am", "Casey Caller", "07700 900777")
	b.screenshot("phone-booking-reference.png")
	got := apiBooking(t, s, ref)
	startsAt(t, got, "2027-03-23T09:20:00Z")
	if got["channel"] != "phone" {
		t.Errorf("channel %v, want phone", got["channel"])
	}

	b.click(button("Resend confirmation text"), 200)
	b.sees("Confirmation text queued")
	if n := s.count(`SELECT COUNT(*) FROM messages WHERE purpose = 'confirmation' AND booking_id = (SELECT id FROM bookings WHERE reference = ?)`, ref); n != 2 {
		t.Errorf("%d confirmation texts, want 2", n)
	}
}
