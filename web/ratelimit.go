package web

import (
	"context"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ClientIPs works out each request's client address: the connection's
// remote address, or, when that is a trusted proxy (--trusted-proxy), the
// nearest address in X-Forwarded-For that is not itself a trusted proxy.
// Without trusted proxies the header is ignored: anyone can write it.
type ClientIPs struct {
	Trusted []*net.IPNet
}

type clientIPKey struct{}

// Middleware stores the client address in the request's context (ClientIP).
func (c ClientIPs) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientIPKey{}, c.of(r))))
	})
}

func (c ClientIPs) trusted(ip net.IP) bool {
	for _, n := range c.Trusted {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

func (c ClientIPs) of(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if len(c.Trusted) > 0 && c.trusted(ip) {
		// Right to left: each trusted proxy appended the address it saw.
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop := net.ParseIP(strings.TrimSpace(hops[i]))
			if hop == nil {
				break // a forged or broken entry: trust no further
			}
			ip = hop
			if !c.trusted(hop) {
				break
			}
		}
	}
	return ip.String()
}

// ClientIP is the request's client address as ClientIPs.Middleware found
// it, or the connection's remote host when that middleware did not run.
func ClientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey{}).(string); ok {
		return ip
	}
	return ClientIPs{}.of(r)
}

// RateLimiter allows each client address PerMinute requests a minute, with
// bursts of up to PerMinute (a token bucket from golang.org/x/time/rate).
// IPv6 clients are counted per /64, the block one subscriber usually holds.
// Entries idle long enough for their bucket to refill are dropped, so the
// map holds only clients seen in the last minute or two.
type RateLimiter struct {
	perMinute int
	now       func() time.Time // real time: limits are about the wall clock, not the test clock

	mu        sync.Mutex
	clients   map[string]*client
	lastSweep time.Time
}

type client struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewRateLimiter allows perMinute requests a minute per client; 0 or less
// allows everything.
func NewRateLimiter(perMinute int) *RateLimiter {
	return &RateLimiter{perMinute: perMinute, now: time.Now, clients: map[string]*client{}}
}

// idleAfter is how long an untouched bucket takes to fill again; an entry
// idle this long is the same as no entry.
const idleAfter = time.Minute

// Allow takes one request for the client at ip. When it is refused, wait is
// how long until one would be allowed.
func (l *RateLimiter) Allow(ip string) (ok bool, wait time.Duration) {
	if l == nil || l.perMinute <= 0 {
		return true, 0
	}
	key := limitKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastSweep) >= idleAfter {
		for k, c := range l.clients {
			if now.Sub(c.seen) >= idleAfter {
				delete(l.clients, k)
			}
		}
		l.lastSweep = now
	}
	c := l.clients[key]
	if c == nil {
		c = &client{lim: rate.NewLimiter(rate.Limit(float64(l.perMinute)/60), l.perMinute)}
		l.clients[key] = c
	}
	c.seen = now
	res := c.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Len is how many clients the limiter is tracking.
func (l *RateLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

// SetClock replaces the limiter's real-time clock (tests).
func (l *RateLimiter) SetClock(now func() time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now = now
}

func limitKey(ip string) string {
	parsed := net.ParseIP(ip)
	if parsed == nil || parsed.To4() != nil {
		return ip
	}
	return parsed.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// RetryAfter is a wait as the Retry-After header gives it: whole seconds, at least 1.
func RetryAfter(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}
