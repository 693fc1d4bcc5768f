package main

import (
	"net/http"
	"strconv"
	"strings"
	"sync"

	"frontdoor"
	"frontdoor/web"
)

// streamCap bounds the lobby event streams one client address may hold
// open without a token (--max-streams). A lobby screen holds one; without a
// bound, one address could hold thousands, each a socket and a goroutine.
// Streams opened with a device or staff token are not counted: those are
// the centre's own screens and consoles, often many behind one address.
type streamCap struct {
	max  int // 0: no bound
	mu   sync.Mutex
	open map[string]int
}

func newStreamCap(max int) *streamCap { return &streamCap{max: max, open: map[string]int{}} }

func (c *streamCap) acquire(ip string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[ip] >= c.max {
		return false
	}
	c.open[ip]++
	return true
}

func (c *streamCap) release(ip string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[ip]--; c.open[ip] <= 0 {
		delete(c.open, ip)
	}
}

// Open is how many streams ip holds, for tests.
func (c *streamCap) Open(ip string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open[ip]
}

// isLobbyStream is GET /api/v1/sites/{site}/events.
func isLobbyStream(r *http.Request) bool {
	p := r.URL.Path
	return r.Method == http.MethodGet && strings.HasPrefix(p, "/api/v1/sites/") && strings.HasSuffix(p, "/events") &&
		strings.Count(p, "/") == 5
}

func (c *streamCap) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.max <= 0 || !isLobbyStream(r) || frontdoor.PrincipalFrom(r.Context()) != nil {
			next.ServeHTTP(w, r)
			return
		}
		ip := web.ClientIP(r)
		if !c.acquire(ip) {
			w.Header().Set("Retry-After", "60")
			web.WriteError(w, r, frontdoor.Errorf(frontdoor.RateLimited, "too_many_streams",
				"Your connection already has %s following this service's screens, the most allowed without a device token. "+
					"Close one, or give the screen a device token, and try again.", plural(c.max, "stream")))
			return
		}
		defer c.release(ip)
		next.ServeHTTP(w, r)
	})
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
