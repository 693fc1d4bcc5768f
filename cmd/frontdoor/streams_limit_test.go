package main

import (
	"context"
	"flag"
	"io"
	"net/http"
	"testing"
	"time"

	"frontdoor"
)

// One address may hold --max-streams lobby streams open without a token;
// a device token's streams are the centre's own and are not counted, nor
// are another address's.
func TestLobbyStreamsPerAddress(t *testing.T) {
	s := start(t, config{MaxStreams: 3, TrustedProxies: mustProxies(t, "127.0.0.1")})
	s.setupCentre()
	device := s.token(frontdoor.RoleDevice, "city-hall")
	open := func(from, token string) (*http.Response, context.CancelFunc) {
		t.Helper()
		ctx, cancel := context.WithCancel(t.Context())
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/api/v1/sites/city-hall/events", nil)
		req.Header.Set("X-Forwarded-For", from)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		t.Cleanup(func() { cancel(); resp.Body.Close() })
		return resp, cancel
	}
	var first context.CancelFunc
	for i := range 3 {
		resp, cancel := open("203.0.113.7", "")
		if resp.StatusCode != 200 {
			t.Fatalf("stream %d: status %d", i+1, resp.StatusCode)
		}
		if i == 0 {
			first = cancel
		}
	}
	resp, _ := open("203.0.113.7", "")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a fourth stream from one address: status %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	body, _ := io.ReadAll(resp.Body)
	if code, _ := (response{Status: resp.StatusCode, Body: body}).ErrorCode(t); code != "too_many_streams" {
		t.Errorf("error code %q", code)
	}
	if resp, _ := open("203.0.113.7", device); resp.StatusCode != 200 {
		t.Errorf("a device token's stream from the same address: status %d, want 200", resp.StatusCode)
	}
	if resp, _ := open("198.51.100.2", ""); resp.StatusCode != 200 {
		t.Errorf("another address: status %d, want 200", resp.StatusCode)
	}
	// A screen that goes away gives its place back.
	first()
	waitUntil(t, 5*time.Second, "the closed stream to be released", func() bool { return s.app.streams.Open("203.0.113.7") == 2 })
	if resp, _ := open("203.0.113.7", ""); resp.StatusCode != 200 {
		t.Errorf("after one closed: status %d, want 200", resp.StatusCode)
	}
}

// --max-streams, like --rate-limit, is off under --fake-clock unless given.
func TestMaxStreamsFlagDefault(t *testing.T) {
	for _, c := range []struct {
		args []string
		fake bool
		want int
	}{
		{nil, false, 50},
		{nil, true, 0},
		{[]string{"--max-streams", "7"}, true, 7},
	} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		cfg := config{FakeClock: c.fake}
		fs.IntVar(&cfg.MaxStreams, "max-streams", 50, "")
		fs.IntVar(&cfg.RateLimit, "rate-limit", 60, "")
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		if err := rateLimitDefaults(fs, &cfg, ""); err != nil {
			t.Fatal(err)
		}
		if cfg.MaxStreams != c.want {
			t.Errorf("%v, fake clock %v: --max-streams %d, want %d", c.args, c.fake, cfg.MaxStreams, c.want)
		}
	}
}
