package web

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSecurityHeadersAndNonce(t *testing.T) {
	var seen string
	h := Security{HTTPS: true, CameraPath: KioskPath}.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = Nonce(r.Context())
	}))
	for _, c := range []struct{ path, camera string }{
		{"/", "camera=()"}, {"/sites/city-hall/kiosk", "camera=(self)"}, {"/sites/city-hall/kiosk/checkin", "camera=(self)"},
		{"/sites/city-hall/display", "camera=()"}, {"/sites/kiosk", "camera=()"}, {"/staff/kiosk", "camera=()"},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", c.path, nil))
		if seen == "" || !strings.Contains(w.Header().Get("Content-Security-Policy"), "'nonce-"+seen+"'") {
			t.Errorf("%s: nonce %q not in CSP %q", c.path, seen, w.Header().Get("Content-Security-Policy"))
		}
		if pp := w.Header().Get("Permissions-Policy"); !strings.HasPrefix(pp, c.camera+",") {
			t.Errorf("%s: Permissions-Policy %q, want %s", c.path, pp, c.camera)
		}
		if w.Header().Get("Strict-Transport-Security") == "" || w.Header().Get("Referrer-Policy") != "no-referrer" ||
			w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", c.path, w.Header())
		}
	}
}

func cidrs(t *testing.T, ss ...string) []*net.IPNet {
	var out []*net.IPNet
	for _, s := range ss {
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func TestClientIP(t *testing.T) {
	trusted := ClientIPs{Trusted: cidrs(t, "10.0.0.0/8")}
	for _, c := range []struct {
		name   string
		c      ClientIPs
		remote string
		xff    []string
		want   string
	}{
		{"no proxies: header ignored", ClientIPs{}, "198.51.100.1:4000", []string{"203.0.113.9"}, "198.51.100.1"},
		{"untrusted sender: header ignored", trusted, "198.51.100.1:4000", []string{"203.0.113.9"}, "198.51.100.1"},
		{"one trusted proxy", trusted, "10.0.0.2:4000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"forged left part skipped", trusted, "10.0.0.2:4000", []string{"1.2.3.4, 203.0.113.9"}, "203.0.113.9"},
		{"two trusted hops", trusted, "10.0.0.2:4000", []string{"203.0.113.9, 10.0.0.3"}, "203.0.113.9"},
		{"several header lines", trusted, "10.0.0.2:4000", []string{"1.2.3.4", "203.0.113.9"}, "203.0.113.9"},
		{"garbage stops the walk", trusted, "10.0.0.2:4000", []string{"203.0.113.9, nonsense"}, "10.0.0.2"},
		{"proxy without header", trusted, "10.0.0.2:4000", nil, "10.0.0.2"},
		{"IPv6", ClientIPs{}, "[2001:db8::1]:4000", nil, "2001:db8::1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		var got string
		c.c.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = ClientIP(r) })).ServeHTTP(httptest.NewRecorder(), r)
		if got != c.want {
			t.Errorf("%s: client %q, want %q", c.name, got, c.want)
		}
	}
}

func TestRateLimiter(t *testing.T) {
	l := NewRateLimiter(60)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	l.SetClock(func() time.Time { return now })
	for i := range 60 {
		if ok, _ := l.Allow("192.0.2.1"); !ok {
			t.Fatalf("request %d refused", i+1)
		}
	}
	ok, wait := l.Allow("192.0.2.1")
	if ok || RetryAfter(wait) != 1 {
		t.Fatalf("61st: ok %v, wait %v (Retry-After %d), want refused for 1 s", ok, wait, RetryAfter(wait))
	}
	if ok, _ := l.Allow("192.0.2.2"); !ok {
		t.Error("another client refused")
	}
	// One IPv6 subscriber's /64 is one client.
	small := NewRateLimiter(1)
	small.SetClock(func() time.Time { return now })
	small.Allow("2001:db8:1:2::1")
	if ok, _ := small.Allow("2001:db8:1:2::ffff"); ok {
		t.Error("a second address in the same /64 had its own budget")
	}
	if ok, _ := small.Allow("2001:db8:1:3::1"); !ok {
		t.Error("another /64 was refused")
	}
	now = now.Add(time.Second)
	if ok, _ := l.Allow("192.0.2.1"); !ok {
		t.Error("a second later one more request was refused")
	}
	now = now.Add(2 * time.Minute)
	l.Allow("192.0.2.3")
	if n := l.Len(); n != 1 {
		t.Errorf("idle clients kept: %d entries, want 1", n)
	}
	if ok, _ := NewRateLimiter(0).Allow("192.0.2.1"); !ok {
		t.Error("a limit of 0 refused")
	}
}
