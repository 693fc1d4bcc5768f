package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	chromelog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"frontdoor"
)

// Abuse limits, security headers, logs and the audit trail, all over real HTTP.

func mustProxies(t *testing.T, s string) []*net.IPNet {
	t.Helper()
	n, err := parseProxies(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRateLimitBookingsPerClient(t *testing.T) {
	s := start(t, config{RateLimit: 60, TrustedProxies: mustProxies(t, "127.0.0.1")})
	s.setupCentre()
	from := func(ip string) []string { return []string{"X-Forwarded-For", ip} }
	bad := map[string]any{"site": "city-hall"} // refused as bad input, but counted all the same
	for i := 1; i <= 60; i++ {
		if r := s.do("POST", "/api/v1/bookings", "", bad, from("203.0.113.7")...); r.Status == 429 {
			t.Fatalf("request %d of the minute refused: %s", i, r.Body)
		}
	}
	r := s.do("POST", "/api/v1/bookings", "", bad, from("203.0.113.7")...)
	if r.Status != 429 {
		t.Fatalf("61st booking request in a minute: status %d, want 429\n%s", r.Status, r.Body)
	}
	if code, _ := r.ErrorCode(t); code != "rate_limited" {
		t.Errorf("error code %q, want rate_limited", code)
	}
	if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 60 {
		t.Errorf("Retry-After %q, want whole seconds from 1 to 60", r.Header.Get("Retry-After"))
	}
	// The booking pages count against the same budget and answer with a page.
	p := s.page("POST", "/book/city-hall", url.Values{"service": {"HOU"}}, nil, from("203.0.113.7")...)
	if p.Status != 429 || !strings.Contains(p.Header.Get("Content-Type"), "text/html") || p.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(p.Body), "Too many requests") {
		t.Errorf("booking page over the limit: status %d, %s, Retry-After %q", p.Status, p.Header.Get("Content-Type"), p.Header.Get("Retry-After"))
	}
	// Another address is unaffected, and so is staff's own booking line.
	if r := s.do("POST", "/api/v1/bookings", "", bad, from("203.0.113.8")...); r.Status == 429 {
		t.Errorf("another client address was limited too")
	}
	if r := s.do("POST", "/api/v1/bookings", s.token(frontdoor.RoleReception, ""), bad, from("203.0.113.7")...); r.Status == 429 {
		t.Errorf("a reception token was limited")
	}
	// Check-in has its own budget.
	if r := s.do("POST", "/api/v1/checkins", "", map[string]string{"code": "x"}, from("203.0.113.7")...); r.Status == 429 {
		t.Errorf("check-in shares the booking budget")
	}
	if n := s.app.limits.booking.Len(); n != 2 {
		t.Errorf("the booking limiter tracks %d clients, want 2", n)
	}
}

func TestRateLimitIgnoresForwardedForWithoutTrustedProxy(t *testing.T) {
	s := start(t, config{RateLimit: 5})
	for i := range 5 {
		s.do("POST", "/api/v1/checkins", "", map[string]string{"code": "x"}, "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
	}
	r := s.do("POST", "/api/v1/checkins", "", map[string]string{"code": "x"}, "X-Forwarded-For", "198.51.100.99")
	if r.Status != 429 {
		t.Fatalf("a forged X-Forwarded-For escaped the limit: status %d", r.Status)
	}
	// The kiosk's check-in form counts against the check-in budget too.
	p := s.page("POST", "/sites/city-hall/kiosk/checkin", url.Values{"code": {"x"}}, nil)
	if p.Status != 429 {
		t.Errorf("kiosk check-in form over the limit: status %d", p.Status)
	}
}

func TestRateLimitIdleClientsExpire(t *testing.T) {
	s := start(t, config{RateLimit: 2, TrustedProxies: mustProxies(t, "127.0.0.0/8")})
	lim := s.app.limits.booking
	now := time.Now()
	lim.SetClock(func() time.Time { return now })
	for i := range 50 {
		s.do("POST", "/api/v1/bookings", "", map[string]any{}, "X-Forwarded-For", fmt.Sprintf("192.0.2.%d", i))
	}
	if lim.Len() != 50 {
		t.Fatalf("tracking %d clients, want 50", lim.Len())
	}
	now = now.Add(2 * time.Minute)
	s.do("POST", "/api/v1/bookings", "", map[string]any{}, "X-Forwarded-For", "192.0.2.200")
	if lim.Len() != 1 {
		t.Errorf("after two idle minutes the limiter still tracks %d clients, want 1", lim.Len())
	}
}

// TestRateLimitFlagDefault runs `frontdoor serve` itself: with --fake-clock
// the limit is off unless --rate-limit is given.
func TestRateLimitFlagDefault(t *testing.T) {
	old := slog.Default()
	t.Cleanup(func() { slog.SetDefault(old) })
	for _, c := range []struct {
		args    []string
		limited bool
	}{
		{[]string{"--fake-clock"}, false},
		{[]string{"--fake-clock", "--rate-limit", "5"}, true},
		{[]string{"--rate-limit", "5"}, true},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			addr := freeAddr(t)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			args := append([]string{"--addr", addr, "--db", t.TempDir() + "/fd.db"}, c.args...)
			go func() { done <- serveCommand(ctx, args, io.Discard, io.Discard) }()
			t.Cleanup(func() { cancel(); <-done })
			base := "http://" + addr
			waitUntil(t, 10*time.Second, "serve answers", func() bool {
				r, err := http.Get(base + "/healthz")
				if err == nil {
					r.Body.Close()
				}
				return err == nil && r.StatusCode == 200
			})
			limited := false
			for range 70 {
				r, err := http.Post(base+"/api/v1/bookings", "application/json", strings.NewReader(`{}`))
				if err != nil {
					t.Fatal(err)
				}
				r.Body.Close()
				limited = limited || r.StatusCode == 429
			}
			if limited != c.limited {
				t.Errorf("70 booking requests: limited %v, want %v", limited, c.limited)
			}
		})
	}
}

func TestSignInLockout(t *testing.T) {
	s := start(t, config{TrustedProxies: mustProxies(t, "127.0.0.1")})
	const password = "correct horse battery"
	for _, name := range []string{"Sam Manager", "Kim Officer"} {
		if _, err := s.app.staff.CreateUser(t.Context(), name, frontdoor.RoleManager, "", password); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	var mu sync.Mutex
	s.app.lockout.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	from := func(ip string) []string { return []string{"X-Forwarded-For", ip} }

	for i := 1; i <= 4; i++ {
		if r := s.signIn("sam manager", "wrong password", from("203.0.113.1")...); r.Status != 422 {
			t.Fatalf("wrong password %d: status %d, want 422", i, r.Status)
		}
	}
	r := s.signIn("Sam Manager", "wrong again", from("203.0.113.2")...)
	if r.Status != 429 || !strings.Contains(string(r.Body), "Sign-in is locked for 15 minutes") {
		t.Fatalf("5th wrong password: status %d, want 429 with the lock explained\n%s", r.Status, r.Body)
	}
	// Now even the right password is refused, from anywhere, until the lock ends.
	advance(14 * time.Minute)
	r = s.signIn("Sam Manager", password, from("198.51.100.9")...)
	if r.Status != 429 || sessionCookie(r) != nil || r.Header.Get("Retry-After") == "" {
		t.Fatalf("right password while locked: status %d, cookie %v, Retry-After %q", r.Status, sessionCookie(r), r.Header.Get("Retry-After"))
	}
	if secs, _ := strconv.Atoi(r.Header.Get("Retry-After")); secs < 50 || secs > 60 {
		t.Errorf("Retry-After %d s, want about a minute", secs)
	}
	// Another name is not locked.
	if r := s.signIn("Kim Officer", password, from("198.51.100.9")...); r.Status != 303 || sessionCookie(r) == nil {
		t.Errorf("another user while Sam is locked: status %d", r.Status)
	}
	advance(2 * time.Minute)
	if r := s.signIn("Sam Manager", password, from("198.51.100.9")...); r.Status != 303 || sessionCookie(r) == nil {
		t.Fatalf("right password after the lock ended: status %d\n%s", r.Status, r.Body)
	}

	// One address guessing many names is locked out too.
	for i := 1; i <= 19; i++ {
		if r := s.signIn(fmt.Sprintf("guess %d", i), "nope", from("192.0.2.66")...); r.Status != 422 {
			t.Fatalf("guess %d: status %d", i, r.Status)
		}
	}
	if r := s.signIn("guess 20", "nope", from("192.0.2.66")...); r.Status != 429 {
		t.Fatalf("20th failure from one address: status %d, want 429", r.Status)
	}
	if r := s.signIn("Kim Officer", password, from("192.0.2.66")...); r.Status != 429 {
		t.Errorf("a locked address signed in: status %d", r.Status)
	}
	if r := s.signIn("Kim Officer", password, from("192.0.2.67")...); r.Status != 303 {
		t.Errorf("another address was locked too: status %d", r.Status)
	}
	// The lock-out runs on real time: moving the service's test clock does not end it.
	advance(16 * time.Minute)
	if r := s.signIn("Kim Officer", password, from("192.0.2.66")...); r.Status != 303 {
		t.Errorf("address lock did not end: status %d", r.Status)
	}
}

func TestMaxBookingsPerPhone(t *testing.T) {
	s := start(t, config{testClock: frontdoor.NewFakeClockAt(monday), MaxBookingsPerPhone: 3})
	s.setupCentre()
	day := time.Date(2026, 12, 1, 9, 0, 0, 0, london)
	var first bookingAnswer
	for i := range 3 {
		b := s.book(day.Add(time.Duration(i)*20*time.Minute), "07700 900111")
		if i == 0 {
			first = b
		}
	}
	r := s.do("POST", "/api/v1/bookings", "", bookBody(day.Add(60*time.Minute), "07700900111"))
	if r.Status != 409 {
		t.Fatalf("4th booking for one phone: status %d, want 409\n%s", r.Status, r.Body)
	}
	if code, _ := r.ErrorCode(t); code != "too_many_bookings" {
		t.Errorf("code %q, want too_many_bookings", code)
	}
	// The same slot again is the existing booking, not a new one.
	s.must(200, "POST", "/api/v1/bookings", "", bookBody(day, "07700 900111"))
	// Another phone may book; staff booking for the resident are exempt.
	s.book(day.Add(60*time.Minute), "07700 900112")
	staffBody := bookBody(day.Add(80*time.Minute), "07700 900111")
	staffBody["channel"] = "phone"
	s.must(201, "POST", "/api/v1/bookings", s.token(frontdoor.RoleReception, "city-hall"), staffBody)
	// The staff booking counts too: cancelling one leaves three, still the most.
	s.must(200, "POST", "/api/v1/bookings/"+first.Reference+"/cancel", first.ManageToken, nil)
	if r := s.do("POST", "/api/v1/bookings", "", bookBody(day.Add(100*time.Minute), "07700 900111")); r.Status != 409 {
		t.Errorf("with 3 still booked: status %d, want 409", r.Status)
	}
	// Past bookings do not count: once the day is over the phone may book again.
	s.app.clock.(*frontdoor.FakeClock).Set(t.Context(), time.Date(2026, 12, 1, 18, 0, 0, 0, london))
	s.book(time.Date(2026, 12, 2, 9, 0, 0, 0, london), "07700 900111")
}

var scriptTag = regexp.MustCompile(`<script\b[^>]*>`)
var nonceAttr = regexp.MustCompile(`\bnonce="([^"]*)"`)

func TestSecurityHeaders(t *testing.T) {
	s := start(t, config{})
	s.setupCentre()
	var nonces []string
	for _, path := range []string{"/", "/book/city-hall", "/sign-in", "/sites/city-hall/display", "/sites/city-hall/kiosk"} {
		r := s.page("GET", path, nil, nil)
		csp := r.Header.Get("Content-Security-Policy")
		m := regexp.MustCompile(`script-src 'self' 'nonce-([A-Za-z0-9_-]{16,})'`).FindStringSubmatch(csp)
		if m == nil {
			t.Errorf("%s: CSP %q has no script nonce", path, csp)
			continue
		}
		nonces = append(nonces, m[1])
		for _, want := range []string{"default-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
			"frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %s", path, csp, want)
			}
		}
		tags := scriptTag.FindAllString(string(r.Body), -1)
		for _, tag := range tags {
			n := nonceAttr.FindStringSubmatch(tag)
			if n == nil && !strings.Contains(tag, "src=") {
				t.Errorf("%s: inline script without a nonce: %s", path, tag)
			} else if n != nil && n[1] != m[1] {
				t.Errorf("%s: script nonce %q, header's %q", path, n[1], m[1])
			}
		}
		if len(tags) == 0 && r.Status == 200 {
			t.Errorf("%s: no scripts found (status %d)", path, r.Status)
		}
		for h, want := range map[string]string{"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s: %s %q, want %q", path, h, got, want)
			}
		}
		camera := "camera=()"
		if strings.Contains(path, "/kiosk") {
			camera = "camera=(self)"
		}
		if pp := r.Header.Get("Permissions-Policy"); !strings.Contains(pp, camera) {
			t.Errorf("%s: Permissions-Policy %q, want %s", path, pp, camera)
		}
		if r.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain http", path)
		}
	}
	if len(nonces) > 1 && nonces[0] == nonces[1] {
		t.Errorf("the nonce is the same on two requests: %q", nonces[0])
	}
	// JSON answers carry the headers too.
	if r := s.do("GET", "/api/v1/sites", "", nil); r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("API answer without security headers: %v", r.Header)
	}
}

func TestHTTPSHeadersAndCookies(t *testing.T) {
	s := start(t, config{BaseURL: "https://frontdoor.example.gov.uk"})
	if _, err := s.app.staff.CreateUser(t.Context(), "Sam Manager", frontdoor.RoleManager, "", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	r := s.signIn("Sam Manager", "correct horse battery")
	if hsts := r.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(hsts, "max-age=") {
		t.Errorf("HSTS %q under an https base URL", hsts)
	}
	c := sessionCookie(r)
	if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie %+v: want Secure, HttpOnly, SameSite=Lax", c)
	}
}

// syncBuffer is a log destination safe for many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestLogsCarryNoPersonalData(t *testing.T) {
	var logs syncBuffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(old) })

	clock := frontdoor.NewFakeClockAt(monday)
	s := start(t, config{testClock: clock})
	s.setupCentre()
	const name, phone = "Zebedee Quartermaine", "07700 900987"
	body := bookBody(time.Date(2026, 11, 30, 10, 20, 0, 0, london), phone)
	body["name"], body["email"] = name, "zebedee@example.com"
	var b bookingAnswer
	s.must(201, "POST", "/api/v1/bookings", "", body).JSON(t, &b)
	manage := "/manage/" + b.Reference + "/" + b.ManageToken
	s.page("GET", manage, nil, nil)
	s.page("GET", manage+"/change", nil, nil)
	s.page("GET", "/manage/"+b.Reference+"/wrongtoken", nil, nil)
	s.page("GET", b.QRURL, nil, nil)
	s.page("GET", b.ICSURL, nil, nil)
	s.must(200, "GET", "/api/v1/bookings/"+b.Reference, b.ManageToken, nil)
	s.do("POST", "/api/v1/bookings/"+b.Reference+"/reschedule", b.ManageToken, map[string]string{"start": "not a time"})
	s.must(200, "POST", "/api/v1/bookings/"+b.Reference+"/reschedule", b.ManageToken,
		map[string]string{"start": time.Date(2026, 11, 30, 10, 40, 0, 0, london).Format(time.RFC3339)})
	clock.Set(t.Context(), time.Date(2026, 11, 30, 10, 30, 0, 0, london))
	kiosk := s.token(frontdoor.RoleDevice, "city-hall")
	s.must(201, "POST", "/api/v1/checkins", kiosk, map[string]string{"code": b.CheckinCode})
	s.do("POST", "/api/v1/checkins", kiosk, map[string]string{"code": b.CheckinCode}) // 409: already
	s.do("POST", "/api/v1/checkins", kiosk, map[string]string{"reference": b.Reference})
	s.must(201, "POST", "/api/v1/sites/city-hall/tickets", kiosk, map[string]string{"service": "HOU", "phone": "07700 900986"})
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil)

	out := logs.String()
	if !strings.Contains(out, "route=/manage/{reference}/{token}") {
		t.Fatalf("the run's requests were not logged (is the log capture working?):\n%s", out)
	}
	for _, secret := range []string{name, "Zebedee", "Quartermaine", phone, "+447700900987", "7700900987", "7700900986", "zebedee@example.com",
		b.Reference, strings.ToLower(b.Reference), b.ManageToken, b.CheckinCode, kiosk, officer} {
		if strings.Contains(out, secret) {
			t.Errorf("the logs carry %q", secret)
		}
	}
}

func TestAuditTrail(t *testing.T) {
	clock := frontdoor.NewFakeClockAt(monday)
	s := start(t, config{testClock: clock})
	s.setupCentre()
	b := s.book(time.Date(2026, 11, 30, 10, 20, 0, 0, london), "07700 900123")
	s.must(200, "POST", "/api/v1/bookings/"+b.Reference+"/reschedule", b.ManageToken,
		map[string]string{"start": time.Date(2026, 11, 30, 10, 40, 0, 0, london).Format(time.RFC3339)})
	other := s.book(time.Date(2026, 11, 30, 11, 0, 0, 0, london), "07700 900124")
	reception := s.token(frontdoor.RoleReception, "city-hall")
	s.must(200, "POST", "/api/v1/bookings/"+other.Reference+"/cancel", reception, nil)

	clock.Set(t.Context(), time.Date(2026, 11, 30, 10, 35, 0, 0, london))
	kiosk := s.token(frontdoor.RoleDevice, "city-hall")
	var a arrivalAnswer
	s.must(201, "POST", "/api/v1/checkins", kiosk, map[string]string{"code": b.CheckinCode}).JSON(t, &a)
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil)
	s.must(200, "POST", "/api/v1/tickets/"+a.Ticket.ID+"/recall", officer, nil)
	s.must(200, "POST", "/api/v1/tickets/"+a.Ticket.ID+"/start", officer, nil)
	s.must(200, "POST", "/api/v1/tickets/"+a.Ticket.ID+"/finish", officer, map[string]string{"outcome": "resolved"})

	manager := s.token(frontdoor.RoleManager, "city-hall")
	var got struct {
		Entries []struct {
			At      time.Time       `json:"at"`
			Actor   string          `json:"actor"`
			Action  string          `json:"action"`
			Site    string          `json:"site"`
			Subject string          `json:"subject"`
			Detail  json.RawMessage `json:"detail"`
		} `json:"entries"`
		NextPage int `json:"next_page"`
	}
	s.must(200, "GET", "/api/v1/audit?site=city-hall&from=2026-11-30&to=2026-11-30", manager, nil).JSON(t, &got)
	var lines []string
	for _, e := range got.Entries {
		lines = append(lines, e.Action+" "+e.Subject+" by "+e.Actor)
	}
	all := strings.Join(lines, "\n")
	label := func(secret string) string {
		p, err := s.app.staff.Authenticate(&http.Request{Header: http.Header{"Authorization": {"Bearer " + secret}}})
		if err != nil || p == nil {
			t.Fatalf("token: %v", err)
		}
		return p.Label()
	}
	ticket := "ticket:" + a.Ticket.ID
	for _, want := range []string{
		"booking.created booking:" + b.Reference + " by public",
		"booking.rescheduled booking:" + b.Reference + " by resident",
		"booking.cancelled booking:" + other.Reference + " by " + label(reception),
		"ticket.arrived " + ticket + " by " + label(kiosk),
		"ticket.called " + ticket + " by " + label(officer),
		"ticket.recalled " + ticket + " by " + label(officer),
		"ticket.started " + ticket + " by " + label(officer),
		"ticket.finished " + ticket + " by " + label(officer),
		"setup.hours_changed site:city-hall by " + label(s.Admin),
	} {
		if !strings.Contains(all, want) {
			t.Errorf("audit lacks %q; it has:\n%s", want, all)
		}
	}
	for i := 1; i < len(got.Entries); i++ {
		if got.Entries[i].At.After(got.Entries[i-1].At) {
			t.Errorf("entries not newest first at %d", i)
		}
	}
	if strings.Contains(string(s.must(200, "GET", "/api/v1/audit?site=city-hall&from=2026-11-30&to=2026-11-30&limit=2", manager, nil).Body), `"next_page":2`) == false {
		t.Errorf("a page of 2 does not point at the next")
	}
	// No personal data in the trail.
	raw := s.dump()
	auditRows := raw[strings.Index(raw, "== audit\n"):]
	auditRows = auditRows[:strings.Index(auditRows[1:], "== ")+1]
	for _, pd := range []string{"Ann Example", "+447700900123", "+447700900124", b.ManageToken, b.CheckinCode} {
		if strings.Contains(auditRows, pd) {
			t.Errorf("the audit table holds %q", pd)
		}
	}
	// Whole-service changes (tokens) are for managers of every site.
	if r := s.do("GET", "/api/v1/audit?site=annexe", manager, nil); r.Status != 403 {
		t.Errorf("a one-site manager asking for another site: status %d, want 403", r.Status)
	}
	if r := s.do("GET", "/api/v1/audit", officer, nil); r.Status != 403 {
		t.Errorf("an officer reading the audit: status %d, want 403", r.Status)
	}
	var whole struct {
		Entries []struct{ Action string } `json:"entries"`
	}
	s.must(200, "GET", "/api/v1/audit?from=2026-11-29&to=2026-11-30", s.token(frontdoor.RoleManager, ""), nil).JSON(t, &whole)
	if !strings.Contains(fmt.Sprint(whole.Entries), "token.created") {
		t.Errorf("an all-sites manager does not see token.created: %v", whole.Entries)
	}
	if r := s.do("GET", "/api/v1/audit?from=2026-12-40", manager, nil); r.Status != 400 {
		t.Errorf("a bad date: status %d, want 400", r.Status)
	}

	// Append-only: the database itself refuses to change or remove a row.
	for _, q := range []string{`UPDATE audit SET actor = 'someone else'`, `DELETE FROM audit`} {
		if _, err := s.app.db.Write.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err %v, want refused as append-only", q, err)
		}
	}

	// The staff page shows it to a signed-in manager, with names.
	if _, err := s.app.staff.CreateUser(t.Context(), "Sam Manager", frontdoor.RoleManager, "city-hall", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	cookie := sessionCookie(s.signIn("Sam Manager", "correct horse battery"))
	p := s.page("GET", "/staff/audit?from=2026-11-30&to=2026-11-30", nil, []*http.Cookie{cookie})
	if p.Status != 200 {
		t.Fatalf("/staff/audit: status %d\n%s", p.Status, p.Body)
	}
	for _, want := range []string{"Audit trail", "booking.created", "ticket.called", "test officer city-hall (" + label(officer) + ")", `href="/staff/audit"`} {
		if !strings.Contains(string(p.Body), want) {
			t.Errorf("/staff/audit lacks %q", want)
		}
	}
}

func TestAuditOfStaffChanges(t *testing.T) {
	s := start(t, config{FakeClock: true})
	r := s.must(201, "POST", "/api/v1/tokens", s.Admin, map[string]string{"name": "reporting", "role": "manager"})
	var tok struct {
		ID int64 `json:"id"`
	}
	r.JSON(t, &tok)
	s.must(200, "POST", fmt.Sprintf("/api/v1/tokens/%d/revoke", tok.ID), s.Admin, nil)
	s.must(201, "POST", "/api/v1/users", s.Admin, map[string]string{"name": "Sam Manager", "role": "manager", "password": "correct horse battery"})
	s.must(200, "PUT", "/api/v1/clock", s.Admin, map[string]string{"now": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	for _, action := range []string{"token.created", "token.revoked", "user.created", "clock.moved"} {
		if n := s.count(`SELECT COUNT(*) FROM audit WHERE action = ? AND actor LIKE 'token:%'`, action); n != 1 {
			t.Errorf("%s by the admin token: %d rows, want 1", action, n)
		}
	}
	if n := s.count(`SELECT COUNT(*) FROM audit WHERE detail LIKE '%Sam%' OR detail LIKE '%horse%' OR subject LIKE '%Sam%'`); n != 0 {
		t.Errorf("audit rows name the user")
	}
}

// watchCSP fails the test when the page in ctx reports a Content Security
// Policy violation: the pages must work under the policy they are sent.
func watchCSP(t *testing.T, ctx context.Context) {
	var mu sync.Mutex
	var seen []string
	t.Helper()
	err := chromedp.Listen(ctx, func(ev any) {
		var text string
		switch ev := ev.(type) {
		case *chromelog.EventEntryAdded:
			text = ev.Entry.Text
		case *runtime.EventExceptionThrown:
			if ev.ExceptionDetails != nil {
				text = ev.ExceptionDetails.Text
			}
		}
		if strings.Contains(text, "Content Security Policy") || strings.Contains(text, "Content-Security-Policy") {
			mu.Lock()
			seen = append(seen, text)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("listen for CSP violations: %v", err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range seen {
			t.Errorf("CSP violation in the browser: %s", s)
		}
	})
}
