package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestHealthz(t *testing.T) {
	s := start(t, config{})
	var h map[string]string
	r := s.must(200, "GET", "/healthz", "", nil)
	r.JSON(t, &h)
	if h["status"] != "ok" {
		t.Errorf("GET /healthz: %s, want status ok", r.Body)
	}

	// It asks the database: with the database gone, it says so.
	s.app.db.Close()
	r = s.do("GET", "/healthz", "", nil)
	r.JSON(t, &h)
	if r.Status != 503 || h["status"] == "ok" {
		t.Errorf("GET /healthz with the database closed: %d %s, want 503", r.Status, r.Body)
	}
}

func TestMetrics(t *testing.T) {
	s := start(t, config{})
	s.setupCentre()
	s.must(200, "GET", "/api/v1/sites/city-hall/services", "", nil)
	s.must(404, "GET", "/api/v1/sites/no-such-site-SECRET/services", "", nil)
	s.do("GET", "/api/v1/nothing/here/SECRET-REF", "", nil)

	r := s.must(200, "GET", "/metrics", "", nil)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want Prometheus text", ct)
	}
	var found, histogram bool
	for _, line := range strings.Split(string(r.Body), "\n") {
		if !strings.HasPrefix(line, "frontdoor_http_") {
			continue
		}
		if strings.HasPrefix(line, "frontdoor_http_requests_total{") &&
			strings.Contains(line, `route="/api/v1/sites/{site}/services"`) && strings.Contains(line, `method="GET"`) && strings.Contains(line, `code="200"`) {
			found = true
			if strings.HasSuffix(line, " 0") {
				t.Errorf("counted no requests: %s", line)
			}
		}
		if strings.HasPrefix(line, "frontdoor_http_request_duration_seconds_bucket{") && strings.Contains(line, `route="/api/v1/sites/{site}/services"`) {
			histogram = true
		}
		for _, leak := range []string{"city-hall", "SECRET", "/nothing/here"} {
			if strings.Contains(line, leak) {
				t.Errorf("a metric label holds a path, not a route pattern: %s", line)
			}
		}
	}
	if !found {
		t.Errorf("no frontdoor_http_requests_total for GET /api/v1/sites/{site}/services 200:\n%s", grep(r.Body, "frontdoor_http_requests_total"))
	}
	if !histogram {
		t.Error("no latency histogram for /api/v1/sites/{site}/services")
	}
}

func grep(b []byte, prefix string) string {
	var out []string
	for _, line := range bytes.Split(b, []byte("\n")) {
		if bytes.HasPrefix(line, []byte(prefix)) {
			out = append(out, string(line))
		}
	}
	return strings.Join(out, "\n")
}
