package queue

import (
	"slices"
	"testing"
	"time"
)

// now is the instant every hand-built queue is judged at.
var now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func mins(m float64) time.Time {
	return now.Add(time.Duration(m * float64(time.Minute))).Round(time.Second)
}

// sec is one second, in minutes.
const sec = 1.0 / 60

// walkIn waiting since arrived, due at due (minutes from now; negative is past).
func walkIn(id int64, service string, arrived, due float64) Candidate {
	return Candidate{ID: id, Service: service, Kind: KindWalkIn, Arrived: mins(arrived), Due: mins(due)}
}

// appt is an appointment at appointment, due ten minutes after the later of
// its time and its arrival, as check-in sets it.
func appt(id int64, service string, arrived, appointment float64) Candidate {
	return Candidate{ID: id, Service: service, Kind: KindAppointment, Arrived: mins(arrived),
		Appointment: mins(appointment), Due: mins(max(arrived, appointment) + 10)}
}

func prio(c Candidate) Candidate { c.Priority = true; return c }

func TestPolicyNext(t *testing.T) {
	hou := []string{"HOU"}
	both := []string{"HOU", "CTX"}
	cases := []struct {
		name     string
		policy   string
		services []string
		waiting  []Candidate
		want     int64 // the ID called; 0 when no one is
	}{
		{"earliest due first", "default", hou,
			[]Candidate{walkIn(1, "HOU", -2, 8), walkIn(2, "HOU", -5, 5), walkIn(3, "HOU", -1, 9)}, 2},
		{"priority ahead of an earlier due", "default", hou,
			[]Candidate{walkIn(1, "HOU", -9, 1), prio(walkIn(2, "HOU", -1, 9))}, 2},
		{"priority ahead of a ticket past the late bound", "default", hou,
			[]Candidate{walkIn(1, "HOU", -40, -20), prio(walkIn(2, "HOU", -1, 9))}, 2},
		{"among priority tickets, earliest due", "default", hou,
			[]Candidate{prio(walkIn(1, "HOU", -3, 7)), walkIn(2, "HOU", -9, 1), prio(walkIn(3, "HOU", -6, 4))}, 3},
		{"desk calls only what it serves", "default", []string{"CTX"},
			[]Candidate{walkIn(1, "HOU", -9, 1), walkIn(2, "CTX", -1, 9), prio(walkIn(3, "BEN", -5, 5))}, 2},
		{"desk with several skills takes the earliest due of them", "default", both,
			[]Candidate{walkIn(1, "BEN", -9, 1), walkIn(2, "CTX", -1, 9), walkIn(3, "HOU", -4, 6)}, 3},
		{"nothing this desk serves", "default", []string{"PRK"},
			[]Candidate{walkIn(1, "HOU", -9, 1), walkIn(2, "CTX", -1, 9)}, 0},
		{"empty queue", "default", hou, nil, 0},
		{"desk with no services", "default", nil, []Candidate{walkIn(1, "HOU", -9, 1)}, 0},
		{"early appointment waits while a walk-in could be called", "default", hou,
			[]Candidate{appt(1, "HOU", -10, 20), walkIn(2, "HOU", -1, 29)}, 2},
		{"early priority appointment waits too", "default", hou,
			[]Candidate{prio(appt(1, "HOU", -10, 20)), walkIn(2, "HOU", -1, 29)}, 2},
		{"early appointment called when nobody else this desk serves waits", "default", hou,
			[]Candidate{walkIn(1, "CTX", -9, 1), appt(2, "HOU", -10, 20)}, 2},
		{"of two early appointments, the sooner", "default", hou,
			[]Candidate{appt(1, "HOU", -10, 40), appt(2, "HOU", -5, 20)}, 2},
		{"appointment exactly EarlyWindow ahead is callable", "default", hou,
			[]Candidate{walkIn(1, "HOU", -1, 29), appt(2, "HOU", -10, 5)}, 2},
		{"appointment a second beyond EarlyWindow is early", "default", hou,
			[]Candidate{walkIn(1, "HOU", -1, 29), appt(2, "HOU", -10, 5+sec)}, 1},
		{"15 minutes late jumps ahead of in-time tickets", "default", hou,
			[]Candidate{walkIn(1, "HOU", -2, 1), walkIn(2, "HOU", -45, -15), walkIn(3, "HOU", -5, 5)}, 2},
		{"waited 15 minutes jumps ahead of in-time tickets", "default", hou,
			[]Candidate{walkIn(1, "HOU", -2, 1), walkIn(2, "HOU", -15, 15), walkIn(3, "HOU", -5, 5)}, 2},
		{"waited a second under 15 minutes does not", "default", hou,
			[]Candidate{walkIn(1, "HOU", -2, 1), walkIn(2, "HOU", -15+sec, 15+sec), walkIn(3, "HOU", -5, 5)}, 1},
		{"appointment 5 minutes late has waited 15: it jumps", "default", hou,
			[]Candidate{walkIn(1, "HOU", -2, 1), appt(2, "HOU", -20, -15)}, 2},
		{"appointment a second less late does not", "default", hou,
			[]Candidate{walkIn(1, "HOU", -2, 1), appt(2, "HOU", -20, -15+sec)}, 1},
		{"an appointment's wait starts at its time, not its early arrival", "default", hou,
			[]Candidate{appt(1, "HOU", -40, -10), walkIn(2, "HOU", -16, 14)}, 2},
		{"late, not yet waited long: behind a later in-time due", "default", hou,
			[]Candidate{walkIn(1, "HOU", -12, -2), walkIn(2, "HOU", -1, 29)}, 2},
		{"due this very second still counts as in time", "default", hou,
			[]Candidate{walkIn(1, "HOU", -14, -4), walkIn(2, "HOU", -10, 0)}, 2},
		{"a second past due joins the late ones", "default", hou,
			[]Candidate{walkIn(1, "HOU", -14, -4), walkIn(2, "HOU", -10, -sec)}, 1},
		{"late tickets: earliest due, not first arrival", "default", hou,
			[]Candidate{walkIn(1, "HOU", -13, -1), walkIn(2, "HOU", -10, -5)}, 2},
		// The reason the long-waiting go by wait, not due: an appointment
		// due 20 minutes ago must not overtake a walk-in waiting 10 minutes longer.
		{"waited long: longest waiting first, not earliest due", "default", hou,
			[]Candidate{appt(1, "HOU", -30, -30), walkIn(2, "HOU", -40, -10)}, 2},
		{"waited long: same start, earliest due", "default", hou,
			[]Candidate{walkIn(1, "HOU", -20, 10), walkIn(2, "HOU", -20, -10)}, 2},
		{"priority ahead of one who has waited long", "default", hou,
			[]Candidate{walkIn(1, "HOU", -50, -20), prio(walkIn(2, "HOU", 0, 30))}, 2},
		{"late appointment measured from arrival", "default", hou,
			[]Candidate{walkIn(1, "HOU", -1, 9), appt(2, "HOU", -2, -30)}, 2}, // due 8 min from now
		{"same due: who arrived first", "default", hou,
			[]Candidate{appt(1, "HOU", -1, -2), walkIn(2, "HOU", -4, 8), walkIn(3, "HOU", -3, 8)}, 2},
		{"same due and arrival: lower ID", "default", hou,
			[]Candidate{walkIn(7, "HOU", -3, 8), walkIn(4, "HOU", -3, 8)}, 4},

		{"fifo: first arrival, whatever the due", "fifo", hou,
			[]Candidate{walkIn(1, "HOU", -2, 1), walkIn(2, "HOU", -8, 22), walkIn(3, "HOU", -5, 5)}, 2},
		{"fifo: priority does not move up", "fifo", hou,
			[]Candidate{prio(walkIn(1, "HOU", -2, 8)), walkIn(2, "HOU", -3, 7)}, 2},
		{"fifo: early appointment still held back", "fifo", hou,
			[]Candidate{appt(1, "HOU", -30, 20), walkIn(2, "HOU", -1, 9)}, 2},
		{"fifo: early appointment called when alone", "fifo", hou,
			[]Candidate{appt(1, "HOU", -30, 20), walkIn(2, "CTX", -40, -30)}, 1},
		{"fifo: desk skills", "fifo", []string{"CTX"},
			[]Candidate{walkIn(1, "HOU", -20, -10), walkIn(2, "CTX", -3, 7)}, 2},

		{"edf: a late ticket goes before in-time ones", "edf", hou,
			[]Candidate{walkIn(1, "HOU", -2, 1), walkIn(2, "HOU", -15, -5)}, 2},
		{"edf: priority does not move up", "edf", hou,
			[]Candidate{prio(walkIn(1, "HOU", -2, 8)), walkIn(2, "HOU", -1, 7)}, 2},
		{"edf: early appointment held back", "edf", hou,
			[]Candidate{appt(1, "HOU", -30, 20), walkIn(2, "HOU", -1, 29)}, 2},
		{"edf: same due, first arrival", "edf", hou,
			[]Candidate{walkIn(1, "HOU", -2, 8), walkIn(2, "HOU", -3, 8)}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := PolicyByName(tc.policy)
			if !ok {
				t.Fatalf("no policy %q", tc.policy)
			}
			// The answer must not depend on where a ticket sits in the list.
			for _, order := range []string{"as listed", "reversed"} {
				waiting := slices.Clone(tc.waiting)
				if order == "reversed" {
					slices.Reverse(waiting)
				}
				got := p.Next(now, tc.services, waiting)
				var gotID int64
				if got >= 0 {
					gotID = waiting[got].ID
				}
				if gotID != tc.want {
					t.Errorf("%s: called %d (index %d), want %d", order, gotID, got, tc.want)
				}
			}
		})
	}
}

func TestPolicyNextSettings(t *testing.T) {
	hou := []string{"HOU"}
	// A shorter bound lets the ticket that is late, and has waited 12
	// minutes, go ahead of the one still in time.
	waiting := []Candidate{walkIn(1, "HOU", -2, 1), walkIn(2, "HOU", -12, -2)}
	p := DefaultPolicy
	if got := waiting[p.Next(now, hou, waiting)].ID; got != 1 {
		t.Errorf("15-minute bound: called %d, want 1", got)
	}
	p.LateBound = 10 * time.Minute
	if got := waiting[p.Next(now, hou, waiting)].ID; got != 2 {
		t.Errorf("10-minute bound: called %d, want 2", got)
	}
	// A wider early window makes the appointment in 8 minutes callable, and
	// its due (in 18) is earlier than the walk-in's.
	only := []Candidate{walkIn(1, "HOU", -2, 28), appt(3, "HOU", -30, 8)}
	p = DefaultPolicy
	p.EarlyWindow = 10 * time.Minute
	if got := only[p.Next(now, hou, only)].ID; got != 3 {
		t.Errorf("10-minute window: called %d, want 3", got)
	}
	if got := only[DefaultPolicy.Next(now, hou, only)].ID; got != 1 {
		t.Errorf("5-minute window: called %d, want 1", got)
	}
}

func TestPolicyByName(t *testing.T) {
	for _, name := range []string{"", "default", "edf", "fifo"} {
		p, ok := PolicyByName(name)
		if !ok || p.LateBound != 15*time.Minute || p.EarlyWindow != 5*time.Minute {
			t.Errorf("PolicyByName(%q) = %+v, %v", name, p, ok)
		}
	}
	if _, ok := PolicyByName("lifo"); ok {
		t.Error("PolicyByName(\"lifo\") is ok")
	}
}
