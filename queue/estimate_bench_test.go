package queue

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkEstimateWait is the forecast a check-in or a walk-in's ticket
// makes: the last to arrive in a queue of n, over 20 desks, played forward
// with the default policy (docs/benchmarks.md, check-in).
//
//	go test ./queue -run '^$' -bench EstimateWait
func BenchmarkEstimateWait(b *testing.B) {
	for _, n := range []int{20, 200, 2000} {
		b.Run(fmt.Sprintf("waiting=%d", n), func(b *testing.B) {
			now := time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)
			var waiting []Candidate
			for i := range n {
				arrived := now.Add(-time.Duration(n-i) * 20 * time.Second)
				c := Candidate{ID: int64(i + 1), Service: []string{"HOU", "CTX"}[i%2], Kind: KindWalkIn, Arrived: arrived, Due: arrived.Add(30 * time.Minute)}
				if i%3 == 0 {
					c.Kind, c.Appointment = KindAppointment, arrived.Add(5*time.Minute)
					c.Due = c.Appointment.Add(10 * time.Minute)
				}
				waiting = append(waiting, c)
			}
			var desks []DeskLoad
			for d := range 20 {
				desks = append(desks, DeskLoad{ID: fmt.Sprint(d), Services: []string{"HOU", "CTX"}, FreeAt: now.Add(time.Duration(d) * time.Minute)})
			}
			times := map[string]time.Duration{"HOU": 20 * time.Minute, "CTX": 10 * time.Minute}
			for b.Loop() {
				if _, ok := EstimateWait(now, DefaultPolicy, desks, waiting, int64(n), times, 15*time.Minute); !ok {
					b.Fatal("no estimate")
				}
			}
		})
	}
}
