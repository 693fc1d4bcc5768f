package queue

import (
	"testing"
	"time"
)

func desk(id string, freeIn float64, services ...string) DeskLoad {
	return DeskLoad{ID: id, Services: services, FreeAt: mins(freeIn)}
}

// The target in every case is ticket 9 (the walk-in target unless a case
// lists its own); the expected waits are worked out
// by hand from the desks' free times and the typical service times.
func TestEstimateWait(t *testing.T) {
	times := map[string]time.Duration{"HOU": 20 * time.Minute, "CTX": 10 * time.Minute}
	target := walkIn(9, "HOU", 0, 10)
	cases := []struct {
		name     string
		policy   string
		desks    []DeskLoad
		waiting  []Candidate
		wantMins float64
		wantOK   bool
	}{
		{"free desk, no one ahead", "default", []DeskLoad{desk("d1", 0, "HOU")},
			[]Candidate{target}, 0, true},
		{"a desk free earlier than now is free now", "default", []DeskLoad{desk("d1", -30, "HOU")},
			[]Candidate{target}, 0, true},
		{"busy desk: until it is free", "default", []DeskLoad{desk("d1", 7, "HOU")},
			[]Candidate{target}, 7, true},
		{"one desk, two ahead at 20 minutes each", "default", []DeskLoad{desk("d1", 0, "HOU")},
			[]Candidate{walkIn(1, "HOU", -5, 5), target, walkIn(2, "HOU", -3, 7)}, 40, true},
		{"one busy desk, one ahead", "default", []DeskLoad{desk("d1", 4, "HOU")},
			[]Candidate{walkIn(1, "HOU", -5, 5), target}, 24, true},
		// First come, first served: d1 takes 1 at 0 (free at 10), d2 takes 2
		// at 5 (free at 15), d1 takes 3 at 10, d2 takes the target at 15.
		{"two desks, three ahead", "fifo", []DeskLoad{desk("d1", 0, "CTX", "HOU"), desk("d2", 5, "HOU", "CTX")},
			[]Candidate{walkIn(1, "CTX", -9, 1), walkIn(2, "CTX", -8, 2), walkIn(3, "CTX", -7, 3), target}, 15, true},
		// The default policy plays time forward too: by 5, tickets 2 and 3 are
		// past due and the target (due at 10) is still in time, so d2 takes it.
		{"two desks, three ahead, late ones held back", "default", []DeskLoad{desk("d1", 0, "CTX", "HOU"), desk("d2", 5, "HOU", "CTX")},
			[]Candidate{walkIn(1, "CTX", -9, 1), walkIn(2, "CTX", -8, 2), walkIn(3, "CTX", -7, 3), target}, 5, true},
		{"two busy desks: the sooner free", "default", []DeskLoad{desk("d1", 12, "HOU"), desk("d2", 3, "HOU")},
			[]Candidate{target}, 3, true},
		{"a free desk that cannot serve it does not help", "default", []DeskLoad{desk("d1", 0, "CTX"), desk("d2", 10, "HOU", "CTX")},
			[]Candidate{target}, 10, true},
		// First come, first served, d2 alone would take 1 at 10 and 2 at 20,
		// then the target at 30; d1, free now, takes 1 at 0 and 2 at 10
		// (it is listed first when both come free at 10).
		{"another desk clears the way", "fifo", []DeskLoad{desk("d1", 0, "CTX"), desk("d2", 10, "HOU", "CTX")},
			[]Candidate{walkIn(1, "CTX", -9, 1), walkIn(2, "CTX", -9, 2), target}, 10, true},
		{"without it, the way is long", "fifo", []DeskLoad{desk("d2", 10, "HOU", "CTX")},
			[]Candidate{walkIn(1, "CTX", -9, 1), walkIn(2, "CTX", -9, 2), target}, 30, true},
		{"a priority ticket arriving after it goes ahead", "default", []DeskLoad{desk("d1", 0, "HOU")},
			[]Candidate{target, prio(walkIn(1, "HOU", 0, 30))}, 20, true},
		{"unknown service time falls back", "default", []DeskLoad{desk("d1", 0, "PRK", "HOU")},
			[]Candidate{walkIn(1, "PRK", -5, 5), target}, 6, true},
		{"an early appointment does not hold it up", "default", []DeskLoad{desk("d1", 0, "HOU")},
			[]Candidate{appt(1, "HOU", -20, 30), target}, 0, true},
		// At 0 the appointment (at 14) is early, so ticket 2 goes (CTX, free
		// at 10); at 10 it is inside the window and due before the target,
		// so it goes next, and the desk is free for the target at 30.
		{"early appointments come into the window as time runs", "default", []DeskLoad{desk("d1", 0, "HOU", "CTX")},
			[]Candidate{appt(1, "HOU", -20, 14), walkIn(2, "CTX", -5, 5), walkIn(9, "HOU", 0, 30)}, 30, true},
		// At 20 the target has waited 20 minutes and goes before the
		// appointment, although the appointment is due first.
		{"a long wait puts the target first", "default", []DeskLoad{desk("d1", 0, "HOU", "CTX")},
			[]Candidate{appt(1, "HOU", -20, 22), walkIn(2, "HOU", -5, 5), walkIn(9, "HOU", 0, 33)}, 20, true},
		{"late within the bound: default lets the in-time one go first", "default", []DeskLoad{desk("d1", 0, "HOU")},
			[]Candidate{walkIn(1, "HOU", -12, -2), target}, 0, true},
		{"late within the bound: fifo serves it first", "fifo", []DeskLoad{desk("d1", 0, "HOU")},
			[]Candidate{walkIn(1, "HOU", -12, -2), target}, 20, true},
		{"no desk serves the service", "default", []DeskLoad{desk("d1", 0, "CTX")},
			[]Candidate{target}, 0, false},
		{"no desks at all", "default", nil, []Candidate{target}, 0, false},
		{"target not waiting", "default", []DeskLoad{desk("d1", 0, "HOU")},
			[]Candidate{walkIn(1, "HOU", -5, 5)}, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := PolicyByName(tc.policy)
			waiting := append([]Candidate(nil), tc.waiting...)
			got, ok := EstimateWait(now, p, tc.desks, waiting, 9, times, 6*time.Minute)
			want := time.Duration(tc.wantMins * float64(time.Minute))
			if ok != tc.wantOK || got != want {
				t.Errorf("EstimateWait = %v, %v; want %v, %v", got, ok, want, tc.wantOK)
			}
			for i := range waiting {
				if waiting[i] != tc.waiting[i] {
					t.Fatalf("EstimateWait changed waiting[%d]", i)
				}
			}
		})
	}
}
