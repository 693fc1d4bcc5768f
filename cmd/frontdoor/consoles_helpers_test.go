package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdoor"
)

// The kiosk, reception, desk and report pages are tested on City Hall on
// Monday 30 November 2026, on a clock that stands still until moved.

// consoleDay is the morning the console tests play (London is on GMT).
var consoleDay = time.Date(2026, 11, 30, 8, 0, 0, 0, london)

// consoleCentre is City Hall with a walk-in-only parking service and a
// second desk for council tax and parking, its clock stopped at 08:00.
type consoleCentre struct {
	*testServer
	clock *frontdoor.FakeClock
}

func newConsoleCentre(t *testing.T) *consoleCentre {
	t.Helper()
	clock := frontdoor.NewStoppedClock(consoleDay)
	c := &consoleCentre{testServer: start(t, config{testClock: clock}), clock: clock}
	c.setupCentre()
	c.must(201, "POST", "/api/v1/sites/city-hall/services", c.Admin, map[string]any{"code": "PRK", "name": "Parking permits",
		"duration_minutes": 10, "ticket_prefix": "P", "bookable": false, "walk_in": true})
	c.must(201, "POST", "/api/v1/sites/city-hall/desks", c.Admin, map[string]any{"id": "desk-2", "name": "Desk 2", "services": []string{"CTX", "PRK"}})
	return c
}

// at moves the clock to hh:mm on the day.
func (c *consoleCentre) at(hhmm string) {
	c.t.Helper()
	t, err := time.ParseInLocation("2006-01-02 15:04", consoleDay.Format("2006-01-02")+" "+hhmm, london)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.clock.Set(context.Background(), t); err != nil {
		c.t.Fatal(err)
	}
}

// bookFor books HOU at hh:mm for name through the API, with needs.
func (c *consoleCentre) bookFor(hhmm, name, phone string, needs any) bookingAnswer {
	c.t.Helper()
	t, _ := time.ParseInLocation("2006-01-02 15:04", consoleDay.Format("2006-01-02")+" "+hhmm, london)
	body := map[string]any{"site": "city-hall", "service": "HOU", "start": t.Format(time.RFC3339), "name": name, "phone": phone, "channel": "online"}
	if needs != nil {
		body["needs"] = needs
	}
	var b bookingAnswer
	c.must(201, "POST", "/api/v1/bookings", "", body).JSON(c.t, &b)
	return b
}

// user creates a staff user and returns its name and password.
func (c *consoleCentre) user(name, role string) (string, string) {
	c.t.Helper()
	const password = "correct horse battery"
	if _, err := c.app.staff.CreateUser(context.Background(), name, role, "", password); err != nil {
		c.t.Fatal(err)
	}
	return name, password
}

// cookies signs in a new user with role and returns the session cookies.
func (c *consoleCentre) cookies(name, role string) []*http.Cookie {
	c.t.Helper()
	n, p := c.user(name, role)
	r := c.page("POST", "/sign-in", url.Values{"name": {n}, "password": {p}, "next": {"/staff"}}, nil)
	if r.Status != http.StatusSeeOther {
		c.t.Fatalf("sign in %s: %d", name, r.Status)
	}
	return r.Cookies
}

// post sends a form as a signed-in user and checks the status.
func (c *consoleCentre) post(path string, form url.Values, cookies []*http.Cookie, want int) response {
	c.t.Helper()
	r := c.page("POST", path, form, cookies)
	if r.Status != want {
		c.t.Fatalf("POST %s: status %d, want %d\n%s", path, r.Status, want, pageText(r.Body))
	}
	return r
}

// get fetches a page as a signed-in user and checks the status.
func (c *consoleCentre) get(path string, cookies []*http.Cookie, want int) response {
	c.t.Helper()
	r := c.page("GET", path, nil, cookies)
	if r.Status != want {
		c.t.Fatalf("GET %s: status %d, want %d\n%s", path, r.Status, want, pageText(r.Body))
	}
	return r
}

// pageText is a page's text without tags, for messages and assertions.
func pageText(body []byte) string {
	var b strings.Builder
	in := false
	for _, r := range string(body) {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteRune(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(strings.NewReplacer("&#39;", "'", "&rsquo;", "’", "&amp;", "&", "&#34;", `"`).Replace(b.String())), " ")
}

// shows fails the test unless the page's text has each of texts.
func shows(t *testing.T, r response, texts ...string) {
	t.Helper()
	body := pageText(r.Body)
	for _, s := range texts {
		if !strings.Contains(body, s) {
			t.Errorf("the page does not show %q:\n%s", s, body)
		}
	}
}

// queueState is the queue's and the bookings' rows as text: equal before
// and after a refused form when the form changed nothing.
func (c *consoleCentre) queueState() string {
	c.t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id || status || COALESCE(desk_id, '') || COALESCE(called_at, '') || COALESCE(finished_at, '') || outcome || follow_up || service_code || offer_response || transfers FROM tickets ORDER BY id`,
		`SELECT id || kind FROM ticket_events ORDER BY id`,
		`SELECT id || status FROM bookings ORDER BY id`,
		`SELECT desk_id || open FROM desk_sessions ORDER BY desk_id`,
		`SELECT id || purpose FROM messages ORDER BY id`,
		`SELECT COUNT(*) FROM tokens`,
	} {
		rows, err := c.app.db.Read.Query(q)
		if err != nil {
			c.t.Fatal(err)
		}
		for rows.Next() {
			var s string
			rows.Scan(&s)
			b.WriteString(s + "\n")
		}
		rows.Close()
		b.WriteString("--\n")
	}
	return b.String()
}

// waitFor polls js in the tab until it is true, failing the test after a
// few seconds: for changes that arrive without a page load.
func (b *tab) waitFor(what, js string) {
	b.t.Helper()
	ok, err := chromedp.Run(b.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(8*time.Second)))
	if err != nil || !ok {
		b.t.Fatalf("waiting for %s: %v (focus on %s)\n%s", what, err, b.focused(), b.text("main"))
	}
}

// signIn fills in the sign-in page the tab is on and waits for the page after it.
func (b *tab) signIn(name, password string) {
	b.t.Helper()
	b.expectHeading("Sign in")
	b.fill("name", name)
	b.fill("password", password)
	b.click(button("Sign in"), 200)
}

// fitsWidth fails the test if the page scrolls sideways.
func (b *tab) fitsWidth(what string) {
	b.t.Helper()
	if over := eval[int](b, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
		b.t.Errorf("%s is %dpx wider than the screen", what, over)
	}
}
