package main

import (
	"bytes"
	"image"
	_ "image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"frontdoor"
)

// The whole chain in real Chromium, each step checked as a person sees it:
// a resident books on a phone on the Friday before; on Monday the QR code
// the service drew for them, read by a real decoder (zbarimg), is typed by
// the kiosk's hand-held scanner; an officer calls them from the desk
// console; and the lobby screen, live on its event stream, shows the call
// without reloading and without a name. axe-core checks every page.

// journeyFriday is when the resident books: Friday afternoon before the
// console tests' Monday (consoleDay), on a clock that stands still.
var journeyFriday = time.Date(2026, 11, 27, 14, 0, 0, 0, london)

// decodeQR reads a QR code PNG with zbarimg and returns the text it holds.
func decodeQR(t *testing.T, png []byte) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "booking-qr.png")
	if err := os.WriteFile(file, png, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("zbarimg", "--quiet", "--raw", file).Output()
	if err != nil {
		t.Fatalf("zbarimg could not read the QR code the confirmation page showed: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// shownImage fetches the image sel (CSS) finds from the address the browser
// loaded it from, and checks it is a PNG the size the browser drew it from.
func (b *tab) shownImage(sel string) []byte {
	b.t.Helper()
	src := eval[string](b, `document.querySelector(`+jsString(sel)+`).currentSrc`)
	if !strings.HasPrefix(src, b.s.URL+"/") {
		b.t.Fatalf("the image %s comes from %q, not from the service at %s", sel, src, b.s.URL)
	}
	resp, err := http.Get(src)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		b.t.Fatalf("GET %s: %d %s", src, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil || format != "png" {
		b.t.Fatalf("GET %s: not a PNG (%s, %v)", src, format, err)
	}
	w := eval[int](b, `document.querySelector(`+jsString(sel)+`).naturalWidth`)
	h := eval[int](b, `document.querySelector(`+jsString(sel)+`).naturalHeight`)
	if cfg.Width != w || cfg.Height != h {
		b.t.Errorf("the PNG served is %d×%d, the browser's image %d×%d", cfg.Width, cfg.Height, w, h)
	}
	return body
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return `'` + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + `'`
}

// hidesPersonalData fails the test if the page's text or markup holds any
// of the resident's details.
func (b *tab) hidesPersonalData(where string, details ...string) {
	b.t.Helper()
	text := eval[string](b, `document.body.innerText`)
	html := eval[string](b, `document.documentElement.outerHTML`)
	for _, d := range details {
		if strings.Contains(text, d) || strings.Contains(html, d) {
			b.t.Errorf("%s shows the resident's %q", where, d)
		}
	}
}

func TestBrowserProofJourney(t *testing.T) {
	needTool(t, "zbarimg", "zbarimg (Debian package zbar-tools)")
	began := time.Now()
	clock := frontdoor.NewStoppedClock(journeyFriday)
	c := &consoleCentre{testServer: start(t, config{testClock: clock}), clock: clock}
	c.setupCentre()
	offName, offPass := c.user("Olu Officer", frontdoor.RoleOfficer)
	device := c.token(frontdoor.RoleDevice, "city-hall")
	const name, mobile = "Jo Journey", "07700 900321"

	// 1. Friday: the resident books on a phone, through every question.
	res := newTab(t, c.testServer, phone)
	res.open("/", 200)
	res.expectHeading("Book a face-to-face appointment")
	res.sees("Choose a customer centre", "City Hall", "1 High Street")
	res.click(`//a[contains(@class, "govuk-button--start") and contains(normalize-space(), "at City Hall")]`, 200)
	res.expectHeading("What do you need help with?")
	res.choose("Housing options")
	res.click(button("Continue"), 200)
	res.expectHeading("Which day would you like to come in?")
	res.sees("Week beginning Monday 30 November 2026", "Monday 30 November")
	res.choose("Monday 30 November")
	res.click(button("Continue"), 200)
	res.expectHeading("Choose a time on Monday 30 November 2026")
	res.choose("10am")
	res.click(button("Continue"), 200)
	res.expectHeading("Your details")
	res.sees("Housing options, Monday 30 November 2026 at 10am")
	res.fill("name", name)
	res.fill("phone", mobile)
	res.click(button("Continue"), 200)
	res.expectHeading("Check your answers before booking")
	res.sees("Housing options", "Monday 30 November 2026", "10am (20 minutes)", name, mobile)
	res.click(button("Book appointment"), 200)
	ref := res.checkConfirmation("Monday 30 November 2026 at 10am") // reference, QR image loaded, calendar and manage links
	res.sees("Housing options at City Hall", "We’re sending a text message to "+mobile)
	res.fitsWidth("the confirmation on a phone")
	res.screenshot("journey-1-confirmation.png")

	// 2. The QR code as served to that page, read by a real decoder.
	scanned := decodeQR(t, res.shownImage("img.app-qr"))
	if scanned == "" || strings.Contains(scanned, "Journey") || strings.Contains(scanned, "900321") {
		t.Fatalf("the QR code holds %q: want the check-in code, with no name or phone", scanned)
	}

	// Monday at 09:50: the kiosk, a portrait touch screen, is set up once.
	c.at("09:50")
	kiosk := newTab(t, c.testServer, tabOptions{width: 1080, height: 1920})
	kiosk.open("/sites/city-hall/kiosk", 200)
	kiosk.expectHeading("Set up this kiosk")
	kiosk.fill("token", device)
	kiosk.press("\r", 200)
	kiosk.expectHeading("Welcome. Check in or take a ticket")
	if f := kiosk.focused(); f != "code" {
		t.Fatalf("the scanner field does not have the focus (%s)", f)
	}
	// 09:52: the resident holds the phone under the scanner, which types
	// what the code holds and Enter into the focused field.
	c.at("09:52")
	kiosk.press(scanned+"\r", 200)
	kiosk.expectHeading("Your ticket number is H001")
	if n := kiosk.text("#ticket-number"); n != "H001" {
		t.Errorf("the ticket number reads %q", n)
	}
	kiosk.sees("Housing options: appointment at 10am", "You are early. We will call you from about 10am.", "Please take a seat")
	kiosk.hidesPersonalData("the kiosk's ticket", name, "Journey", mobile, "900321")
	kiosk.fitsWidth("the ticket at 1080×1920")
	kiosk.screenshot("journey-2-kiosk-ticket.png")

	// 3. 10:00: the lobby screen, live on its event stream, with nothing
	// called yet. Its clock is the browser's, set to the test's clock.
	c.at("10:00")
	lobby := newTab(t, c.testServer, tabOptions{width: 1920, height: 1080})
	lobby.open("/sites/city-hall/display", 200)
	if !lobby.lobbyJS(`document.body.dataset.state === 'live'`, 10*time.Second) {
		t.Fatalf("the lobby never connected to its stream (state %q)", eval[string](lobby, `document.body.dataset.state`))
	}
	if got := lobby.text("#lobby-current"); got != "Please wait to be called" {
		t.Errorf("before any call the lobby shows %q", got)
	}
	if clock, date := lobby.text("#lobby-clock"), lobby.text("#lobby-date"); clock != "10:00" || date != "Monday 30 November" {
		t.Errorf("the lobby's clock reads %s %s, want 10:00 Monday 30 November", clock, date)
	}
	// A mark that a reload would wipe, the announcement hook, and the
	// moment (real time, not the page's Date) the current call changes.
	eval[bool](lobby, `(() => {
		window.noReload = true;
		window.lobbyTestSaid = [];
		window.frontdoorAnnounce = text => window.lobbyTestSaid.push(text);
		new MutationObserver(() => { window.journeyShownAt = window.journeyShownAt || Math.round(performance.timeOrigin + performance.now()) })
			.observe(document.querySelector('#lobby-current'), {childList: true, subtree: true, characterData: true});
		return true })()`)

	// 4. An officer signs in at the desk console, opens Desk 1 and calls.
	desk := newTab(t, c.testServer, tabOptions{width: 1400, height: 1100})
	desk.open("/staff/desk", 200)
	desk.signIn(offName, offPass)
	desk.expectHeading("Which desk are you working at?")
	desk.choose("Desk 1")
	desk.click(button("Open desk"), 200)
	desk.expectHeading("Desk 1 Open")
	called := time.Now()
	desk.click(button("Call next"), 200)
	if n := desk.text("#current-number"); n != "H001" {
		t.Fatalf("the desk called %q, want H001", n)
	}
	desk.sees("Called H001", "Housing options", "Appointment at 10am: Arrived 8 minutes early",
		"Name "+name+" ("+ref[:3]+" "+ref[3:]+")")
	desk.screenshot("journey-3-desk.png")

	// 5. The lobby shows the call by itself, from its stream, without a name.
	if !lobby.lobbyJS(showing("H001", "Desk 1"), 10*time.Second) {
		t.Fatalf("the lobby never showed H001 at Desk 1; it shows %q (state %q)", lobby.text("#lobby-current"), eval[string](lobby, `document.body.dataset.state`))
	}
	if shownAt := eval[int64](lobby, `window.journeyShownAt || 0`); shownAt == 0 {
		t.Error("the lobby's current call changed without the page noticing")
	} else if took := time.UnixMilli(shownAt).Sub(called); took > 2*time.Second {
		t.Errorf("the lobby showed the call %s after the officer pressed Call next, want within 2 s", took)
	} else {
		t.Logf("the lobby showed the call %s after the officer pressed Call next", took.Round(time.Millisecond))
	}
	if !eval[bool](lobby, `window.noReload === true`) {
		t.Error("the lobby reloaded instead of following its stream")
	}
	if !lobby.lobbyJS(announced("Ticket H 0 0 1, please go to Desk 1"), 5*time.Second) {
		t.Errorf("the call was not announced: the hook got %v", eval[[]string](lobby, `window.lobbyTestSaid`))
	}
	if got := lobby.text("#lobby-current"); !strings.Contains(got, "H001") || !strings.Contains(got, "Please go to Desk 1") {
		t.Errorf("the lobby's current call reads %q", got)
	}
	lobby.hidesPersonalData("the lobby", name, "Journey", mobile, "900321", ref, scanned)
	lobby.checkAccessibility()
	lobby.screenshot("journey-4-lobby.png")

	t.Logf("axe-core checked: resident %q, kiosk %q, desk %q, lobby %q", res.pages, kiosk.pages, desk.pages, lobby.pages)
	t.Logf("the journey took %s", time.Since(began).Round(time.Millisecond))
}
