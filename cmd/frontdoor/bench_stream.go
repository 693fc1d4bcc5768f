package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"frontdoor"
)

// stream connects the lobby screens to one site's event stream and measures
// how long a call takes to reach the last of them: first from the hub's
// Publish (what the display issue's target is about), then from the moment
// a desk presses call-next over HTTP (what the person at the desk waits for).
func (b *bench) stream(ctx context.Context) (string, error) {
	e := b.env
	n, rounds := b.o.screens, b.o.rounds
	if err := e.withdrawWaiting(ctx); err != nil {
		return "", err
	}

	// The numbers each round calls, known before any screen reads.
	round := map[string]int{}
	for r := range rounds {
		round[fmt.Sprintf("S%03d", r+1)] = r          // called from a desk
		round[fmt.Sprintf("Z%04d", r+1)] = rounds + r // published straight to the hub
	}
	sent := make([]atomic.Int64, 2*rounds) // unix ns each round began
	got := make([]atomic.Int32, 2*rounds)  // screens that have had it
	recv := make([][]int64, 2*rounds)      // ns from the round's start to each screen
	for i := range recv {
		recv[i] = make([]int64, n)
	}

	screens, cancel := context.WithCancel(ctx)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: -1, DisableCompression: true}}
	var boarded, done sync.WaitGroup
	var failed atomic.Value
	for batch := 0; batch < n; batch += 100 {
		var opened sync.WaitGroup
		for i := batch; i < min(batch+100, n); i++ {
			boarded.Add(1)
			opened.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				req, _ := http.NewRequestWithContext(screens, "GET", e.url+"/api/v1/sites/bench/events", nil)
				resp, err := client.Do(req)
				opened.Done()
				if err != nil || resp.StatusCode != 200 {
					failed.CompareAndSwap(nil, fmt.Errorf("screen %d: %v %v", i, err, resp))
					boarded.Done()
					return
				}
				defer resp.Body.Close()
				readScreen(bufio.NewReader(resp.Body), i, &boarded, round, sent, got, recv)
			}()
		}
		opened.Wait()
	}
	boarded.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return "", err
	}
	if s := e.app.hub.Subscribers("bench"); s != n {
		return "", fmt.Errorf("%d screens following the stream, want %d", s, n)
	}

	wait := func(r int) error {
		deadline := time.Now().Add(30 * time.Second)
		for got[r].Load() < int32(n) {
			if time.Now().After(deadline) {
				return fmt.Errorf("round %d: %d of %d screens had the call after 30 s", r, got[r].Load(), n)
			}
			time.Sleep(50 * time.Microsecond)
		}
		return nil
	}
	desk := httpClient(1)
	err := b.prof.run("stream", func() error {
		// A desk calls: one waiting ticket, called by desk 1, so the number is known.
		for r := range rounds {
			if err := e.waitingTicket(ctx, r+1); err != nil {
				return err
			}
			sent[r].Store(time.Now().UnixNano())
			if _, err := expectStatus(desk, e.request("POST", "/api/v1/desks/desk-1/call-next", e.officer, nil), 200); err != nil {
				return err
			}
			if err := wait(r); err != nil {
				return err
			}
		}
		// Straight to the hub, after the real calls: the hub orders events by id.
		for r := range rounds {
			data, _ := json.Marshal(map[string]string{"number": fmt.Sprintf("Z%04d", r+1), "desk": "Desk 1", "at": benchNow.Format(time.RFC3339)})
			sent[rounds+r].Store(time.Now().UnixNano())
			e.app.hub.Publish(frontdoor.Event{ID: int64(100_000_000 + r), Site: "bench", Kind: "called", Data: data})
			if err := wait(rounds + r); err != nil {
				return err
			}
		}
		return nil
	})
	cancel()
	done.Wait()
	if err != nil {
		return "", err
	}
	if d := e.app.hub.Dropped(); d > 0 {
		return "", fmt.Errorf("the hub dropped %d screens", d)
	}

	summary := func(rs [][]int64) (last, every figure) {
		for _, r := range rs {
			worst := int64(0)
			for _, ns := range r {
				every.Lat = append(every.Lat, time.Duration(ns))
				worst = max(worst, ns)
			}
			last.Lat = append(last.Lat, time.Duration(worst))
		}
		slices.Sort(last.Lat)
		slices.Sort(every.Lat)
		return last, every
	}
	callLast, callEvery := summary(recv[:rounds])
	pubLast, pubEvery := summary(recv[rounds:])
	verdict := "met"
	if pubLast.Pct(99) >= 50 {
		verdict = "MISSED"
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "lobby stream, %s screens on one site, %d calls each way:\n", thousands(float64(n)), rounds)
	fmt.Fprintf(&out, "  hub publish → last screen: p50 %.1f ms, p99 %.1f ms, max %.1f ms (target p99 < 50 ms: %s); any screen p99 %.1f ms\n",
		pubLast.Pct(50), pubLast.Pct(99), pubLast.Pct(100), verdict, pubEvery.Pct(99))
	fmt.Fprintf(&out, "  desk presses call-next → last screen: p50 %.1f ms, p99 %.1f ms, max %.1f ms; any screen p99 %.1f ms",
		callLast.Pct(50), callLast.Pct(99), callLast.Pct(100), callEvery.Pct(99))
	return out.String(), e.withdrawWaiting(ctx)
}

// readScreen reads one screen's stream as a lobby TV would, noting when each
// round's number first arrives.
func readScreen(r *bufio.Reader, screen int, boarded *sync.WaitGroup, round map[string]int, sent []atomic.Int64, got []atomic.Int32, recv [][]int64) {
	board := false
	marker := []byte(`"number":"`)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			if !board {
				boarded.Done()
			}
			return
		}
		if !board && bytes.HasPrefix(line, []byte("event: board")) {
			board = true
			boarded.Done()
			continue
		}
		if !bytes.HasPrefix(line, []byte("data: ")) {
			continue
		}
		for rest := line; ; {
			k := bytes.Index(rest, marker)
			if k < 0 {
				break
			}
			rest = rest[k+len(marker):]
			end := bytes.IndexByte(rest, '"')
			if end < 0 {
				break
			}
			if i, ok := round[string(rest[:end])]; ok && recv[i][screen] == 0 {
				recv[i][screen] = max(1, time.Now().UnixNano()-sent[i].Load())
				got[i].Add(1)
			}
		}
	}
}

// waitingTicket writes walk-in S<seq> as the one ticket waiting.
func (e *benchEnv) waitingTicket(ctx context.Context, seq int) error {
	now := e.clock.Now()
	return e.app.db.WithTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO tickets(site_id, service_code, local_day, letter, seq, number, kind, channel, arrived_at, due_at,
			appointment_target_s, first_contact_s, walk_in_target_s, status, updated_at)
			VALUES ('bench', 'HOU', ?, 'S', ?, ?, 'walk_in', 'walk_in', ?, ?, 600, 600, 1800, 'waiting', ?)`,
			now.In(benchLondon).Format(time.DateOnly), seq, fmt.Sprintf("S%03d", seq), now.UnixMilli(), now.Add(30*time.Minute).UnixMilli(), now.UnixMilli())
		return err
	})
}
