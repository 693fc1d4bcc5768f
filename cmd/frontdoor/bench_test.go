package main

// Helpers for the package's testing.B benchmarks (the outbox's, in
// notify_test.go). The service's own speed is measured by the bench
// command (bench.go): frontdoor bench, or TestBenchCommand for its test.

import (
	"context"
	"net/http"
	"testing"
	"time"

	"frontdoor"
)

// load runs b.N calls of op spread over clients goroutines (as the bench
// command's steps do) and reports throughput and latency percentiles.
func load(b *testing.B, clients int, op func(i int) error) {
	b.Helper()
	b.ResetTimer()
	f, err := measure(context.Background(), b.Name(), clients, b.N, nil, op)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(f.Rate(), "req/s")
	b.ReportMetric(f.Pct(50), "p50-ms")
	b.ReportMetric(f.Pct(99), "p99-ms")
	b.ReportMetric(0, "ns/op") // wall time per op across clients says little here
}

func benchClient(clients int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
}

// benchCentre is a site open every day, all day, with 5-minute slots of 1,000 places,
// so every booking in a run finds room.
func benchCentre(b *testing.B) (*testServer, []time.Time) {
	s := start(b, config{testClock: frontdoor.NewFakeClockAt(time.Date(2027, 1, 4, 8, 0, 0, 0, time.UTC))})
	s.must(201, "POST", "/api/v1/sites", s.Admin, map[string]any{"id": "bench", "name": "Bench Centre", "address": "1 Load Street", "timezone": "Europe/London"})
	s.must(201, "POST", "/api/v1/sites/bench/services", s.Admin, map[string]any{"code": "HOU", "name": "Housing", "duration_minutes": 5, "ticket_prefix": "H", "min_notice_minutes": 0})
	var weekly, bands []map[string]any
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		weekly = append(weekly, map[string]any{"weekday": d, "open": "08:00", "close": "20:00"})
		bands = append(bands, map[string]any{"weekday": d, "from": "08:00", "to": "20:00", "parallel": 100})
	}
	s.must(200, "PUT", "/api/v1/sites/bench/hours", s.Admin, map[string]any{"weekly": weekly})
	s.must(200, "PUT", "/api/v1/sites/bench/services/HOU/capacity", s.Admin, map[string]any{"weekly": bands})
	var starts []time.Time
	day := time.Date(2027, 1, 5, 0, 0, 0, 0, london)
	for d := range 60 {
		for m := 8 * 60; m < 20*60; m += 5 {
			starts = append(starts, day.AddDate(0, 0, d).Add(time.Duration(m)*time.Minute))
		}
	}
	return s, starts
}

func drain(resp *http.Response) error {
	var buf [4096]byte
	for {
		if _, err := resp.Body.Read(buf[:]); err != nil {
			return nil
		}
	}
}
