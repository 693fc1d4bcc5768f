package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Browser tests drive Debian's Chromium through chromedp. One browser serves
// the whole test binary; each test gets its own tab in its own browser
// context (no shared cookies), and runs axe-core on every page it visits.

const chromiumPath = "/usr/bin/chromium"

// axePath is axe-core as testdata/node's `npm ci` installs it.
var axePath = filepath.Join("..", "..", "testdata", "node", "node_modules", "axe-core", "axe.min.js")

// screenshotDir is where FRONTDOOR_SCREENSHOTS=1 saves the key pages.
var screenshotDir = filepath.Join("..", "..", "docs", "screenshots")

var shared struct {
	once    sync.Once
	browser context.Context // the first tab: it owns the browser
	stop    context.CancelFunc
	profile string
	axe     string
	err     error
}

// needBrowser skips the test when Chromium or axe-core is missing, and
// fails it instead under CI, where they must be installed.
func needBrowser(t *testing.T) {
	t.Helper()
	missing := ""
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = chromiumPath + " (apt-get install chromium)"
	} else if _, err := os.Stat(axePath); err != nil {
		missing = axePath + " (run npm ci in testdata/node)"
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("browser tests need %s", missing)
	}
	t.Skipf("skipping browser test: %s is missing", missing)
}

// startBrowser starts the shared Chromium once. Chromium dies with the test
// binary (chromedp starts it with Pdeathsig on Linux); its profile folder is
// removed by closeBrowser, or else by a later run.
func startBrowser() (context.Context, string, error) {
	shared.once.Do(func() {
		axe, err := os.ReadFile(axePath)
		if err != nil {
			shared.err = err
			return
		}
		shared.axe = string(axe)
		removeStaleProfiles()
		dir, err := os.MkdirTemp("", "frontdoor-chromium-")
		if err != nil {
			shared.err = err
			return
		}
		shared.profile = dir
		alloc, stop := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(chromiumPath),
			chromedp.Flag("headless", true),
			chromedp.Flag("no-sandbox", true),
			chromedp.Flag("disable-gpu", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("no-first-run", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("hide-scrollbars", true),
			chromedp.UserDataDir(dir),
			chromedp.WindowSize(1200, 900),
		)
		shared.stop = stop
		shared.browser, _ = chromedp.NewContext(alloc)
		shared.err = chromedp.Do(shared.browser, chromedp.Navigate("about:blank"))
	})
	return shared.browser, shared.axe, shared.err
}

// closeBrowser stops the shared Chromium and removes its profile folder.
// TestMain may call it after m.Run; without it, Chromium still dies with the
// test binary and the next run removes the folder.
func closeBrowser() {
	if shared.stop != nil {
		shared.stop()
		os.RemoveAll(shared.profile)
	}
}

// removeStaleProfiles deletes profile folders of earlier runs (over an hour old).
func removeStaleProfiles() {
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), "frontdoor-chromium-*"))
	for _, dir := range old {
		if fi, err := os.Stat(dir); err == nil && time.Since(fi.ModTime()) > time.Hour {
			os.RemoveAll(dir)
		}
	}
}

// tab is one browser tab on the test server.
type tab struct {
	t     *testing.T
	s     *testServer
	ctx   context.Context
	axe   string
	jsOff bool
	pages []string // titles of the pages checked with axe
}

type tabOptions struct {
	width, height int64
	mobile        bool
	jsOff         bool
}

var phone = tabOptions{width: 375, height: 812, mobile: true}
var desktop = tabOptions{width: 1200, height: 900}

// newTab opens a tab in a fresh browser context.
func newTab(t *testing.T, s *testServer, o tabOptions) *tab {
	t.Helper()
	needBrowser(t)
	browser, axe, err := startBrowser()
	if err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelTimeout)
	var opts []chromedp.EmulateViewportOption
	if o.mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(o.width, o.height, opts...)); err != nil {
		t.Fatal(err)
	}
	watchCSP(t, ctx) // hardening_test.go: a CSP violation fails the test
	b := &tab{t: t, s: s, ctx: ctx, axe: axe, jsOff: o.jsOff}
	if o.jsOff {
		b.scripts(false)
	}
	return b
}

// do runs actions, failing the test on error.
func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates JavaScript in the page (DevTools runs it even with the
// page's own scripts turned off) and decodes the result into T.
func eval[T any](b *tab, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// navigated runs trigger, waits for the page it loads and checks the page:
// its status is want and axe-core finds nothing serious.
func (b *tab) navigated(what string, want int64, trigger ...chromedp.Action[chromedp.Void]) *network.Response {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, trigger...)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	if resp == nil {
		b.t.Fatalf("%s: no page loaded", what)
	}
	if resp.Status != want {
		b.t.Fatalf("%s: status %d, want %d (%s)\n%s", what, resp.Status, want, resp.URL, b.text("main"))
	}
	b.checkAccessibility()
	return resp
}

// open goes to path on the test server.
func (b *tab) open(path string, want int64) {
	b.t.Helper()
	b.navigated("open "+path, want, chromedp.Navigate(b.s.URL+path))
}

// click clicks the element sel finds and waits for the next page.
func (b *tab) click(sel string, want int64) {
	b.t.Helper()
	b.navigated("click "+sel, want, chromedp.Click(chromedp.Search(sel), chromedp.NodeVisible))
}

// press sends keys (a key name from kb, or text) and waits for the next page.
func (b *tab) press(keys string, want int64) {
	b.t.Helper()
	b.navigated("press "+keys, want, chromedp.KeyEvent(keys))
}

// button is an XPath for a button or a link styled as one, by its text.
func button(text string) string {
	return fmt.Sprintf(`//*[(self::button or self::a) and normalize-space()=%q]`, text)
}

// linkTo is an XPath for a link by its text.
func linkTo(text string) string {
	return fmt.Sprintf(`//a[normalize-space()=%q]`, text)
}

// choose ticks the radio or checkbox whose label reads label.
func (b *tab) choose(label string) {
	b.t.Helper()
	b.do("choose "+label, chromedp.Click(chromedp.Search(fmt.Sprintf(`//label[normalize-space()=%q]`, label)), chromedp.NodeVisible))
}

// fill types text into the input with id.
func (b *tab) fill(id, text string) {
	b.t.Helper()
	b.do("fill "+id, chromedp.SendKeys(chromedp.ID(id), text, chromedp.NodeVisible))
}

// setValue replaces the value of the input or select with id.
func (b *tab) setValue(id, value string) {
	b.t.Helper()
	b.do("set "+id, chromedp.SetValue(chromedp.ID(id), value, chromedp.NodeVisible))
}

// text is the visible text of the first element sel (CSS) finds.
func (b *tab) text(sel string) string {
	b.t.Helper()
	return strings.Join(strings.Fields(eval[string](b, fmt.Sprintf(`(document.querySelector(%q) || {innerText: ""}).innerText`, sel))), " ")
}

// heading is the page's h1.
func (b *tab) heading() string { return b.text("h1") }

// expectHeading fails the test unless the page's h1 is want.
func (b *tab) expectHeading(want string) {
	b.t.Helper()
	if got := b.heading(); got != want {
		b.t.Fatalf("heading %q, want %q (at %s)", got, want, eval[string](b, "location.pathname"))
	}
}

// sees fails the test unless the page's main content shows each text.
func (b *tab) sees(texts ...string) {
	b.t.Helper()
	main := b.text("main")
	for _, s := range texts {
		if !strings.Contains(main, s) {
			b.t.Errorf("the page does not show %q:\n%s", s, main)
		}
	}
}

// visible reports whether the element with id is shown.
func (b *tab) visible(id string) bool {
	b.t.Helper()
	return eval[bool](b, fmt.Sprintf(`(() => { const e = document.getElementById(%q); return !!e && e.offsetParent !== null && getComputedStyle(e).visibility !== 'hidden' })()`, id))
}

// attr is an attribute of the first element sel (CSS) finds.
func (b *tab) attr(sel, name string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%q) || {getAttribute: () => ""}).getAttribute(%q) || ""`, sel, name))
}

// imageLoaded reports whether the image sel (CSS) finds has loaded.
func (b *tab) imageLoaded(sel string) bool {
	b.t.Helper()
	ok, err := chromedp.Run(b.ctx, chromedp.Poll[bool](fmt.Sprintf(`(() => { const i = document.querySelector(%q); return !!i && i.complete && i.naturalWidth > 0 })()`, sel),
		chromedp.WithPollingTimeout(5*time.Second)))
	return err == nil && ok
}

// focused describes the element that has the keyboard focus: its id, or
// its tag and class.
func (b *tab) focused() string {
	b.t.Helper()
	return eval[string](b, `(() => { const e = document.activeElement; return e ? (e.id || (e.tagName.toLowerCase() + "." + e.className)) : "" })()`)
}

// tabTo presses Tab until the focused element matches the CSS selector sel.
func (b *tab) tabTo(sel string) {
	b.t.Helper()
	for range 80 {
		if eval[bool](b, fmt.Sprintf(`!!document.activeElement && document.activeElement.matches(%q)`, sel)) {
			return
		}
		b.do("Tab", chromedp.KeyEvent("\t"))
	}
	b.t.Fatalf("Tab never reached %s (focus is on %s)", sel, b.focused())
}

// key sends keys that do not leave the page.
func (b *tab) key(keys string) {
	b.t.Helper()
	b.do("keys", chromedp.KeyEvent(keys))
}

// scripts turns the page's JavaScript on or off.
func (b *tab) scripts(on bool) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on}); err != nil {
		b.t.Fatal(err)
	}
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// checkAccessibility runs axe-core on the page (WCAG 2.2 A and AA and best
// practice) and fails the test on any serious or critical violation.
func (b *tab) checkAccessibility() {
	b.t.Helper()
	title := eval[string](b, "document.title")
	if b.jsOff {
		// axe-core needs timers, which do not run while scripts are off.
		// Turning them on now runs none of the page's own scripts: those
		// were skipped when the page loaded.
		b.scripts(true)
		defer b.scripts(false)
	}
	b.do("inject axe-core", chromedp.Evaluate[chromedp.Void](b.axe))
	res, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]byte](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}, resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe on %q: %v", title, err)
	}
	var text string
	if err := json.Unmarshal(res, &text); err != nil {
		b.t.Fatalf("axe on %q: %v", title, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(text), &vs); err != nil {
		b.t.Fatalf("axe on %q: %v", title, err)
	}
	var bad []string
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			var where []string
			for _, n := range v.Nodes {
				where = append(where, fmt.Sprint(n.Target...))
			}
			bad = append(bad, fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(where, ", ")))
		} else {
			b.t.Logf("axe on %q: %s (%s): %s", title, v.ID, v.Impact, v.Help)
		}
	}
	if len(bad) > 0 {
		b.t.Errorf("axe-core on %q found:\n  %s", title, strings.Join(bad, "\n  "))
	}
	b.pages = append(b.pages, title)
}

// screenshot saves the whole page as docs/screenshots/name when
// FRONTDOOR_SCREENSHOTS=1, so that ordinary runs leave the files alone.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	if os.Getenv("FRONTDOOR_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
