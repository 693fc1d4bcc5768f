package main

import (
	"net/http"
	"strings"
	"testing"

	"frontdoor"
)

// A whole morning at City Hall in real Chromium, on a clock that stands
// still until the test moves it: a resident checks in at the kiosk by
// scanning (typing) their QR code, a walk-in takes a ticket and is offered
// an appointment, an officer calls both in the right order from the desk
// console, reception watches its lists change without reloading, and the
// manager's report shows the morning's figures. axe-core checks every page;
// the kiosk and the desk are driven by keyboard alone.

func TestConsoleMorningInBrowser(t *testing.T) {
	c := newConsoleCentre(t)
	sam := c.bookFor("10:00", "Sam Resident", "07700 900123", map[string]any{"interpreter": "Polish"})
	c.bookFor("10:20", "Ann Example", "07700 900456", nil)
	recName, recPass := c.user("Rita Reception", frontdoor.RoleReception)
	offName, offPass := c.user("Olu Officer", frontdoor.RoleOfficer)
	manName, manPass := c.user("Mo Manager", frontdoor.RoleManager)
	device := c.token(frontdoor.RoleDevice, "city-hall")

	// The kiosk: a portrait touch screen set up once with its device token.
	c.at("09:50")
	kiosk := newTab(t, c.testServer, tabOptions{width: 1080, height: 1920})
	kiosk.open("/sites/city-hall/kiosk", 200)
	kiosk.expectHeading("Set up this kiosk")
	kiosk.fill("token", device)
	kiosk.press("\r", 200)
	kiosk.expectHeading("Welcome. Check in or take a ticket")
	kiosk.sees("I have an appointment", "I do not have an appointment", "Housing options", "Parking permits")
	if f := kiosk.focused(); f != "code" {
		t.Errorf("the scanner input does not have the focus (%s)", f)
	}
	kiosk.fitsWidth("the kiosk at 1080×1920")
	kiosk.screenshot("kiosk-start.png")

	// The hand-held scanner types the QR code's text and Enter.
	c.at("09:52")
	kiosk.press(sam.CheckinCode+"\r", 200)
	kiosk.expectHeading("Your ticket number is H001")
	kiosk.sees("Housing options: appointment at 10am", "You are early. We will call you from about 10am.", "Please take a seat")
	if strings.Contains(kiosk.text("body"), "Sam") {
		t.Error("the kiosk shows the resident's name")
	}
	kiosk.fitsWidth("the ticket at 1080×1920")
	kiosk.screenshot("kiosk-ticket.png")
	kiosk.tabTo(`a[href="/sites/city-hall/kiosk/tickets/` + c.ticketID("H001") + `/print"]`)
	kiosk.press("\r", 200)
	kiosk.sees("Ticket H001", "Housing options", "Taken at 9:52am on Monday 30 November 2026")
	kiosk.click(button("Finish"), 200)

	// A walk-in chooses a service by keyboard; the wait is long, so an appointment is offered.
	c.at("09:55")
	kiosk.expectHeading("Welcome. Check in or take a ticket")
	kiosk.tabTo(`button[value="HOU"]`)
	kiosk.press("\r", 200)
	kiosk.expectHeading("Your ticket number is H002")
	kiosk.sees("The wait is longer than usual", "Choose an appointment", "Tuesday 1 December 2026 at 9am", "No thanks, I’ll wait")
	kiosk.fitsWidth("the offer at 1080×1920")
	kiosk.screenshot("kiosk-offer.png")
	kiosk.tabTo(`form[action$="/wait"] button`)
	kiosk.press("\r", 200)
	kiosk.sees("You chose to wait rather than book an appointment")

	// The same kiosk on a landscape screen.
	wide := newTab(t, c.testServer, tabOptions{width: 1920, height: 1080})
	wide.open("/sites/city-hall/kiosk", 200)
	wide.fill("token", device)
	wide.press("\r", 200)
	wide.expectHeading("Welcome. Check in or take a ticket")
	wide.fitsWidth("the kiosk at 1920×1080")
	if top := eval[float64](wide, `document.querySelector('#walkin-heading').getBoundingClientRect().top`); top > 700 {
		t.Errorf("at 1920×1080 the walk-in panel starts %vpx down: not side by side", top)
	}

	// Reception signs in and follows the queue.
	c.at("09:58")
	rec := newTab(t, c.testServer, tabOptions{width: 1400, height: 1100})
	rec.open("/staff/reception", 200)
	rec.signIn(recName, recPass)
	rec.expectHeading("Reception")
	rec.sees("Waiting, in calling order (2)", "Appointment 10am: Sam Resident", "Interpreter: Polish", "Arrived: H001 waiting",
		"Ann Example", "Not arrived", "Offered an appointment: chose to wait")
	live := func() {
		t.Helper()
		eval[bool](rec, `window.noReload = true`)
		rec.waitFor("the staff stream", `document.documentElement.dataset.live === 'on'`)
	}
	live()

	// The officer opens Desk 1 and calls, by keyboard.
	c.at("10:00")
	desk := newTab(t, c.testServer, tabOptions{width: 1400, height: 1100})
	desk.open("/staff/desk", 200)
	desk.signIn(offName, offPass)
	desk.expectHeading("Which desk are you working at?")
	desk.tabTo(`input[value="desk-1"]`)
	desk.key(" ")
	desk.tabTo(`main button[type="submit"]`)
	desk.press("\r", 200)
	desk.expectHeading("Desk 1 Open")
	desk.tabTo(`main button.app-call-button`)
	desk.press("\r", 200)
	if n := desk.text("#current-number"); n != "H001" {
		t.Fatalf("the desk called %q first, want H001 (the appointment due at 10:10)", n)
	}
	desk.sees("Appointment at 10am: Arrived 8 minutes early", "Sam Resident", "Interpreter: Polish")

	rec.waitFor("reception to see H001 called", `document.querySelector('#desks').innerText.includes('Called H001') &&
		!document.querySelector('#waiting').innerText.includes('H001') && document.querySelector('#appointments').innerText.includes('At Desk 1: H001')`)
	if !eval[bool](rec, `window.noReload === true`) {
		t.Error("the reception page reloaded instead of updating")
	}

	desk.tabTo(`form[action$="/start"] button`)
	desk.press("\r", 200)
	desk.sees("Started serving ticket H001", "Serving H001")
	desk.tabTo(`#outcome`)
	desk.key(" ")
	desk.tabTo(`form[action$="/finish"] button`)
	desk.press("\r", 200)
	desk.sees("Ticket H001 finished.", "No visitor at this desk")

	// 10:23: the walk-in is two minutes from its due time.
	c.at("10:23")
	rec.open("/staff/reception?site=city-hall", 200)
	rec.sees("Close to or past due (1)", "Due in 2 minutes", "Seen")
	rec.screenshot("reception.png")
	live()

	desk.tabTo(`main button.app-call-button`)
	desk.press("\r", 200)
	if n := desk.text("#current-number"); n != "H002" {
		t.Fatalf("the desk called %q second, want H002", n)
	}
	desk.sees("Walk-in", "Waited 28 minutes")
	desk.screenshot("desk.png")
	rec.waitFor("reception to see H002 called", `document.querySelector('#desks').innerText.includes('Called H002') &&
		document.querySelector('#due').innerText.includes('No one is close')`)

	c.at("10:40")
	desk.choose("No, not resolved")
	desk.choose("Follow-up needed")
	desk.click(button("Finish"), 200)
	desk.sees("Ticket H002 finished.")

	// An emergency at the desk reaches reception at once, and never the lobby.
	desk.fill("emergency-message", "Please come to desk 1")
	desk.click(button("Emergency: alert all staff"), 200)
	desk.sees("Emergency alert sent from Desk 1")
	rec.waitFor("the emergency on reception", `document.querySelector('#alerts').innerText.includes('Emergency at Desk 1')`)
	rec.sees("Please come to desk 1")
	if !eval[bool](rec, `window.noReload === true`) {
		t.Error("the reception page reloaded instead of updating")
	}

	// The manager's report for the morning.
	c.at("10:45")
	mgr := newTab(t, c.testServer, tabOptions{width: 1400, height: 1100})
	mgr.open("/staff/reports", 200)
	mgr.signIn(manName, manPass)
	mgr.expectHeading("Customer standards")
	standards := mgr.text("#standards")
	for _, want := range []string{
		"Appointments seen within their target", "1 1 100.0% 0.0 min 0.0 min",
		"Walk-ins: first contact within target", "1 1 100.0% – –",
		"Walk-ins seen within target", "1 1 100.0% 28.0 min 28.0 min",
	} {
		if !strings.Contains(standards, want) {
			t.Errorf("the standards table does not show %q:\n%s", want, standards)
		}
	}
	// Ann's 10:20 appointment ended at 10:40 without her: a no-show.
	if n := mgr.text("#no-shows"); n != "1" {
		t.Errorf("no-shows %q, want 1", n)
	}
	mgr.sees("Booked online 1 50.0%", "Walk-in 1 50.0%", "50.0% (1 of 2 visits finished with an outcome)")
	if s := mgr.text("#by-service"); !strings.Contains(s, "Housing options 1 of 1 (100.0%) 1 of 1 (100.0%) 1 of 1 (100.0%) 0.0 / 0.0 min 28.0 / 28.0 min 1 50.0%") {
		t.Errorf("by service: %s", s)
	}
	if href := mgr.attr(`a[download]`, "href"); href != "/api/v1/sites/city-hall/reports/standards?format=csv&from=2026-11-30&to=2026-11-30" {
		t.Errorf("CSV link %q", href)
	}
	mgr.screenshot("reports.png")
	mgr.setValue("from-day", "31")
	mgr.setValue("from-month", "2")
	mgr.click(button("Show report"), http.StatusBadRequest)
	mgr.sees("There is a problem", "Start date must be a real date")
	t.Logf("axe-core checked: kiosk %q, reception %q, desk %q, reports %q", kiosk.pages, rec.pages, desk.pages, mgr.pages)
}

// Reception and the report by keyboard alone, and the kiosk with
// JavaScript off: a reference typed by hand, then a walk-in ticket.
func TestReceptionKeyboardAndKioskWithoutScripts(t *testing.T) {
	c := newConsoleCentre(t)
	sam := c.bookFor("10:00", "Sam Resident", "07700 900123", map[string]any{"large_print": true})
	ann := c.bookFor("10:20", "Ann Example", "07700 900456", nil)
	recName, recPass := c.user("Mo Manager", frontdoor.RoleManager) // reception and reports
	device := c.token(frontdoor.RoleDevice, "city-hall")
	c.at("09:58")

	rec := newTab(t, c.testServer, tabOptions{width: 1280, height: 1000})
	rec.open("/staff/reception", 200)
	rec.tabTo("#name")
	rec.key(recName)
	rec.tabTo("#password")
	rec.key(recPass)
	rec.press("\r", 200)
	rec.expectHeading("Reception")
	rec.tabTo("#q")
	rec.key("0123")
	rec.press("\r", 200)
	rec.sees("Matches for “0123”", "Sam Resident", "Large print")
	rec.tabTo("#match-" + sam.Reference)
	rec.press("\r", 200)
	rec.sees("Checked in Sam Resident: ticket H001. Needs: Large print")
	rec.tabTo("#service")
	rec.key("Parking permits")
	rec.tabTo("#phone")
	rec.key("07700 900777")
	rec.tabTo("#priority")
	rec.key(" ")
	rec.tabTo(`form[action="/staff/reception/ticket"] button`)
	rec.press("\r", 200)
	rec.sees("Ticket P001 for Parking permits", "Priority")
	if n := c.count(`SELECT COUNT(*) FROM tickets WHERE number = 'P001' AND priority = 1`); n != 1 {
		t.Error("the keyboard walk-in ticket was not issued with priority")
	}
	// The report's date form, by keyboard.
	rec.open("/staff/reports", 200)
	rec.tabTo("#from-day")
	rec.key("\b\b29")
	rec.tabTo(`main button[type="submit"]`)
	rec.press("\r", 200)
	rec.sees("from Sunday 29 November 2026 to Monday 30 November 2026")

	kiosk := newTab(t, c.testServer, tabOptions{width: 1920, height: 1080, jsOff: true})
	kiosk.open("/sites/city-hall/kiosk", 200)
	kiosk.fill("token", device)
	kiosk.press("\r", 200)
	kiosk.fill("code", strings.ToLower(ann.Reference[:3]+" "+ann.Reference[3:]))
	kiosk.press("\r", 200)
	kiosk.expectHeading("Your ticket number is H002")
	kiosk.click(button("Finish"), 200)
	kiosk.click(`//button[@value="CTX"]`, 200)
	kiosk.expectHeading("Your ticket number is C001")
}
