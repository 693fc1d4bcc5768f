package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdoor"
)

// The lobby screen in Debian's Chromium, through the shared browser of
// browser_helpers_test.go: a call shows and is announced within a second,
// the screen rides out a restart of the server, and axe-core finds nothing
// serious, landscape or portrait, with JavaScript on or off.

// lobbyJS polls a JavaScript predicate until it holds or timeout passes.
func (b *tab) lobbyJS(expr string, timeout time.Duration) bool {
	b.t.Helper()
	timeout = max(timeout, time.Millisecond) // 0 would mean no timeout at all
	_, err := chromedp.Run(b.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(10*time.Millisecond)))
	return err == nil
}

// showing is a predicate: the lobby's current call is number at desk.
func showing(number, desk string) string {
	return fmt.Sprintf(`(() => { const n = document.querySelector('#lobby-current .lobby__number');
		const d = document.querySelector('#lobby-current .lobby__desk strong');
		return !!n && n.dataset.number === %q && !!d && d.textContent === %q })()`, number, desk)
}

// announced is a predicate: the hook has received text.
func announced(text string) string {
	return fmt.Sprintf(`(window.lobbyTestSaid || []).includes(%q)`, text)
}

// listenAgain listens on addr once the old server has let it go.
func listenAgain(t *testing.T, addr string) net.Listener {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			t.Fatalf("listen on %s again: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestLobbyBrowserShowsAnnouncesAndSurvivesRestart(t *testing.T) {
	needBrowser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	cfg := config{DB: filepath.Join(t.TempDir(), "frontdoor.db"),
		testClock: frontdoor.NewFakeClockAt(time.Date(2026, 11, 30, 9, 0, 0, 0, london))}
	s := startOn(t, cfg, ln)
	s.setupCentre()
	s.must(201, "POST", "/api/v1/sites/city-hall/desks", s.Admin, map[string]any{"id": "desk-2", "name": "Desk 2", "services": []string{"HOU", "CTX"}})
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	for range 3 {
		s.walkIn("HOU")
	}

	b := newTab(t, s, tabOptions{width: 1920, height: 1080})
	b.open("/sites/city-hall/display", 200)
	if !b.lobbyJS(`document.body.dataset.state === 'live'`, 10*time.Second) {
		t.Fatalf("the screen never connected to its stream (state %q)", eval[string](b, `document.body.dataset.state`))
	}
	b.do("install the announcement hook", chromedp.Evaluate[chromedp.Void](
		`window.lobbyTestSaid = []; window.frontdoorAnnounce = text => window.lobbyTestSaid.push(text)`))
	if got := b.text(".lobby__site"); got != "City Hall" {
		t.Errorf("site name %q", got)
	}
	// The clock reads the service's time (the test's clock, not the
	// browser's) in the site's zone.
	clock := b.text("#lobby-clock")
	if now := s.app.clock.Now().In(london); clock != now.Format("15:04") && clock != now.Add(-time.Minute).Format("15:04") {
		t.Errorf("clock %q, want the service's London time %s", clock, now.Format("15:04"))
	}

	// A call shows, and is announced, within a second of the desk's call.
	began := time.Now()
	s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil)
	if !b.lobbyJS(showing("H001", "Desk 1"), time.Second-time.Since(began)) {
		t.Fatalf("H001 to Desk 1 not shown within a second of the call; the screen shows %q", b.text("#lobby-current"))
	}
	shown := time.Since(began)
	if !b.lobbyJS(announced("Ticket H 0 0 1, please go to Desk 1"), time.Second-time.Since(began)) {
		t.Errorf("not announced within a second: the hook got %v", eval[[]string](b, `window.lobbyTestSaid`))
	}
	t.Logf("shown %s and announced %s after the call began", shown, time.Since(began))
	b.checkAccessibility()
	b.screenshot("lobby-screen.png")

	// A second call moves the first down the list.
	s.must(200, "POST", "/api/v1/desks/desk-2/call-next", officer, nil)
	if !b.lobbyJS(showing("H002", "Desk 2"), 10*time.Second) {
		t.Fatalf("H002 not shown; the screen shows %q", b.text("#lobby-current"))
	}
	if prev := b.text("#lobby-previous"); !strings.Contains(prev, "H001") || !strings.Contains(prev, "Desk 1") {
		t.Errorf("recent calls %q, want H001 at Desk 1", prev)
	}

	// The server stops and a new one starts on the same address and
	// database: the screen reconnects by itself and shows the next call.
	s.stop()
	if !b.lobbyJS(`document.body.dataset.state !== 'live'`, 10*time.Second) {
		t.Fatal("the screen did not notice the server stopping")
	}
	s2 := startOn(t, cfg, listenAgain(t, addr))
	b.s = s2
	s2.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil) // H003
	if !b.lobbyJS(showing("H003", "Desk 1"), 30*time.Second) {
		t.Fatalf("after the restart H003 was not shown; the screen shows %q (state %q)", b.text("#lobby-current"), eval[string](b, `document.body.dataset.state`))
	}
	if !b.lobbyJS(announced("Ticket H 0 0 3, please go to Desk 1"), 5*time.Second) {
		t.Errorf("H003 not announced: the hook got %v", eval[[]string](b, `window.lobbyTestSaid`))
	}
	if !b.lobbyJS(`document.body.dataset.state === 'live' && document.getElementById('lobby-status').textContent === ''`, 10*time.Second) {
		t.Errorf("after reconnecting the screen still says %q", b.text("#lobby-status"))
	}
	// Each call was announced once.
	if said := eval[[]string](b, `window.lobbyTestSaid`); len(said) != 3 {
		t.Errorf("announcements %q, want one for each of the 3 calls", said)
	}
}

func TestLobbyBrowserPortraitAndWithoutJavaScript(t *testing.T) {
	needBrowser(t)
	s := displayServer(t)
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	for range 7 {
		s.walkIn("CTX")
	}
	for range 6 {
		s.must(200, "POST", "/api/v1/desks/desk-1/call-next", officer, nil)
	}
	s.must(200, "POST", "/api/v1/desks/desk-2/call-next", officer, nil) // C007 to Desk 2

	portrait := newTab(t, s, tabOptions{width: 1080, height: 1920})
	portrait.open("/sites/city-hall/display?mute=1", 200)
	if !portrait.lobbyJS(showing("C007", "Desk 2"), 10*time.Second) {
		t.Fatalf("portrait: the screen shows %q", portrait.text("#lobby-current"))
	}
	// The current call fits the screen and is large.
	fits := eval[bool](portrait, `(() => { const r = document.querySelector('#lobby-current').getBoundingClientRect();
		const n = parseFloat(getComputedStyle(document.querySelector('.lobby__number')).fontSize);
		return r.top >= 0 && r.bottom <= innerHeight && r.right <= innerWidth && n >= 150 })()`)
	if !fits {
		t.Error("portrait: the current call does not fit the screen in large print")
	}
	portrait.screenshot("lobby-screen-portrait.png")

	// Without JavaScript the page refreshes itself every ten seconds. axe-core
	// counts any timed refresh as critical (WCAG 2.2.1); here it is what lets
	// a screen with scripts off show new calls at all, on a page with nothing
	// to read at length or fill in, so that one rule is left out of this run.
	off := newTab(t, s, tabOptions{width: 1920, height: 1080, jsOff: true})
	if resp, err := chromedp.RunResponse(off.ctx, chromedp.Navigate(s.URL+"/sites/city-hall/display")); err != nil || resp == nil || resp.Status != 200 {
		t.Fatalf("open the lobby with scripts off: %v %v", resp, err)
	}
	off.axeExcept("meta-refresh")
	if got := off.text("#lobby-current"); !strings.Contains(got, "C007") || !strings.Contains(got, "Desk 2") {
		t.Errorf("without JavaScript the screen shows %q", got)
	}
	if prev := off.text("#lobby-previous"); !strings.Contains(prev, "C006") {
		t.Errorf("without JavaScript the recent calls are %q", prev)
	}
	if n := eval[int](off, `document.querySelectorAll('noscript').length`); n != 1 {
		t.Errorf("%d noscript elements, want the one that refreshes the page", n)
	}
}

// axeExcept is checkAccessibility with some of axe-core's rules turned off,
// for a page that breaks them on purpose (each caller says why).
func (b *tab) axeExcept(rules ...string) {
	b.t.Helper()
	if b.jsOff {
		b.scripts(true) // axe needs timers; the page's own scripts stay skipped
		defer b.scripts(false)
	}
	off := map[string]map[string]bool{}
	for _, r := range rules {
		off[r] = map[string]bool{"enabled": false}
	}
	opts, _ := json.Marshal(off)
	b.do("inject axe-core", chromedp.Evaluate[chromedp.Void](b.axe))
	res, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}, rules: `+
		string(opts)+`, resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe: %v", err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(res), &vs); err != nil {
		b.t.Fatalf("axe: %v", err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Errorf("axe-core: %s (%s): %s", v.ID, v.Impact, v.Help)
		} else {
			b.t.Logf("axe-core: %s (%s): %s", v.ID, v.Impact, v.Help)
		}
	}
}
