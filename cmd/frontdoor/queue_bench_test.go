package main

// Queue benchmarks through the real HTTP server:
//
//	go test ./cmd/frontdoor -run '^$' -bench 'CallNext|CheckIn|StandardsReportYear' -benchtime 2000x
//
// docs/benchmarks.md records the figures.

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"frontdoor"
)

// queueBenchCentre is City Hall with n desks serving HOU and CTX, on a stopped
// clock at 09:00 on Tuesday 1 December 2026.
func queueBenchCentre(b *testing.B, desks int) (*testServer, *frontdoor.FakeClock) {
	clock := frontdoor.NewStoppedClock(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC))
	s := start(b, config{testClock: clock})
	s.setupCentre()
	for i := 2; i <= desks; i++ {
		s.must(201, "POST", "/api/v1/sites/city-hall/desks", s.Admin, map[string]any{"id": fmt.Sprintf("desk-%d", i), "name": fmt.Sprintf("Desk %d", i), "services": []string{"HOU", "CTX"}})
	}
	clock.Set(context.Background(), time.Date(2026, 12, 1, 9, 0, 0, 0, london))
	return s, clock
}

// insertWaiting adds n waiting walk-in tickets straight into the table: the
// benchmark measures calling, not the making of its queue.
func insertWaiting(b *testing.B, s *testServer, n int, now time.Time) {
	err := s.app.db.WithTx(context.Background(), func(tx *sql.Tx) error {
		var seq int
		tx.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM tickets WHERE letter = 'H'`).Scan(&seq)
		for i := range n {
			seq++
			arrived := now.Add(-time.Duration(rand.IntN(40*60)) * time.Second)
			_, err := tx.Exec(`INSERT INTO tickets(site_id, service_code, local_day, letter, seq, number, kind, channel, arrived_at, due_at,
				appointment_target_s, first_contact_s, walk_in_target_s, status, updated_at, priority)
				VALUES ('city-hall', ?, '2026-12-01', 'H', ?, ?, 'walk_in', 'walk_in', ?, ?, 600, 600, 1800, 'waiting', ?, ?)`,
				[]string{"HOU", "CTX"}[i%2], seq, fmt.Sprintf("H%03d", seq), arrived.UnixMilli(), arrived.Add(30*time.Minute).UnixMilli(), arrived.UnixMilli(), i%50 == 0)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCallNext: 20 desks calling at once over a queue kept at 500 waiting tickets.
func BenchmarkCallNext(b *testing.B) {
	s, clock := queueBenchCentre(b, 20)
	officer := s.token(frontdoor.RoleOfficer, "city-hall")
	insertWaiting(b, s, 500, clock.Now())
	c := benchClient(20)
	lat := make([]time.Duration, b.N)
	var mu sync.Mutex
	next := 0
	b.ResetTimer()
	begin := time.Now()
	var wg sync.WaitGroup
	for d := 1; d <= 20; d++ {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= b.N {
					return
				}
				b.StopTimer()
				insertWaiting(b, s, 1, clock.Now()) // keep the queue at 500
				b.StartTimer()
				t0 := time.Now()
				req, _ := newRequest("POST", s.URL+fmt.Sprintf("/api/v1/desks/desk-%d/call-next", d), officer)
				resp, err := c.Do(req)
				if err != nil || resp.StatusCode != 200 {
					b.Errorf("call-next: %v %v", err, resp)
					return
				}
				drain(resp)
				resp.Body.Close()
				lat[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	report(b, lat, time.Since(begin))
}

// BenchmarkCheckIn: kiosks checking in the day's bookings, 16 at once.
func BenchmarkCheckIn(b *testing.B) {
	s, starts := benchCentre(b)
	kiosk := s.token(frontdoor.RoleDevice, "bench")
	codes := make([]string, b.N)
	// Book b.N visits on 5 January 2027, then open the doors that morning.
	for i := range b.N {
		var a bookingAnswer
		body := map[string]any{"site": "bench", "service": "HOU", "start": starts[i%144].Format(time.RFC3339), "name": "Load Test", "phone": fmt.Sprintf("+4474%08d", i)}
		s.must(201, "POST", "/api/v1/bookings", "", body).JSON(b, &a)
		codes[i] = a.CheckinCode
	}
	s.app.fake.Set(context.Background(), time.Date(2027, 1, 5, 7, 30, 0, 0, london))
	c := benchClient(16)
	load(b, 16, func(i int) error {
		req, _ := newRequest("POST", s.URL+"/api/v1/checkins", kiosk)
		req.Body = jsonBody(map[string]string{"code": codes[i]})
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 201 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return drain(resp)
	})
}

// BenchmarkStandardsReportYear: the standards report over a year of
// generated visits (≈ 250,000 tickets at one site).
func BenchmarkStandardsReportYear(b *testing.B) {
	clock := frontdoor.NewStoppedClock(time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC))
	s := start(b, config{testClock: clock})
	s.setupCentre()
	day := time.Date(2026, 1, 1, 9, 0, 0, 0, london)
	total := 0
	err := s.app.db.WithTx(context.Background(), func(tx *sql.Tx) error {
		stmt, err := tx.Prepare(`INSERT INTO tickets(site_id, service_code, local_day, letter, seq, number, kind, channel, appointment_at,
			arrived_at, due_at, appointment_target_s, first_contact_s, walk_in_target_s, status, desk_id, first_called_at, called_at,
			started_at, finished_at, outcome, estimate_s, offered, updated_at)
			VALUES ('city-hall', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 600, 600, 1800, 'done', 'desk-1', ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		r := rand.New(rand.NewPCG(1, 2))
		for d := 0; d < 365; d++ {
			date := day.AddDate(0, 0, d)
			if date.Weekday() == time.Saturday || date.Weekday() == time.Sunday {
				continue
			}
			for i := range 960 { // 260 working days × 960 ≈ 250,000
				svc, letter := "HOU", "H"
				if i%2 == 1 {
					svc, letter = "CTX", "C"
				}
				arrived := date.Add(time.Duration(r.IntN(8*3600)) * time.Second)
				kind, channel := "walk_in", "walk_in"
				var appt any
				if i%3 == 0 {
					kind, channel, appt = "appointment", "online", arrived.Add(time.Duration(r.IntN(600)-300)*time.Second).UnixMilli()
				}
				called := arrived.Add(time.Duration(r.ExpFloat64()*600) * time.Second)
				finished := called.Add(time.Duration(300+r.IntN(1200)) * time.Second)
				outcome := []string{"resolved", "not_resolved", ""}[r.IntN(3)]
				if _, err := stmt.Exec(svc, date.Format(time.DateOnly), letter, i+1, fmt.Sprintf("%s%03d", letter, i+1), kind, channel, appt,
					arrived.UnixMilli(), arrived.Add(10*time.Minute).UnixMilli(), called.UnixMilli(), called.UnixMilli(),
					called.UnixMilli(), finished.UnixMilli(), outcome, r.IntN(1200), r.IntN(4) == 0, finished.UnixMilli()); err != nil {
					return err
				}
				total++
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	c := benchClient(1)
	u := s.URL + "/api/v1/sites/city-hall/reports/standards?from=2026-01-01&to=2026-12-31"
	lat := make([]time.Duration, b.N)
	b.ResetTimer()
	begin := time.Now()
	for i := range b.N {
		t0 := time.Now()
		req, _ := newRequest("GET", u, s.Admin)
		resp, err := c.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("report: %v %v", err, resp)
		}
		drain(resp)
		resp.Body.Close()
		lat[i] = time.Since(t0)
	}
	report(b, lat, time.Since(begin))
	b.ReportMetric(float64(total), "tickets")
}

func report(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}
