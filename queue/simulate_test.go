package queue

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// apiExample is the scenario in API.md, "Simulation scenario".
const apiExample = `{"timezone":"Europe/London","day":"2026-12-01",
 "services":[{"code":"HOU","ticket_prefix":"H","appointment_target_minutes":10,"walk_in_first_contact_minutes":10,"walk_in_target_minutes":30}],
 "desks":[{"id":"d1","services":["HOU"],"open":"09:00","close":"17:00"}],
 "visits":[{"id":"v1","service":"HOU","kind":"appointment","appointment":"09:00","arrive":"08:55","service_minutes":18},
           {"id":"v2","service":"HOU","kind":"walk_in","arrive":"09:03","service_minutes":7,"priority":false}]}`

func simulateJSON(t *testing.T, scenario string, policy string) (Result, string) {
	t.Helper()
	sc, err := ReadScenario(strings.NewReader(scenario))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := PolicyByName(policy)
	if !ok {
		t.Fatalf("no policy %q", policy)
	}
	res, err := Simulate(sc, p)
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(out)
}

// Worked by hand. v1 arrives at 08:55 for 09:00; the desk opens at 09:00
// and calls it at once: waited 0.0 (from its time), told 0.0. v2 arrives at
// 09:03 while v1 is at the desk; with nothing finished yet a visit is taken
// to last 10 minutes, so the desk is expected free at 09:10: told 7.0, not
// more than 10, so not offered an appointment and due at 09:13. v1 really
// takes 18 minutes: v2 is called at 09:18:00, waited 15.0, missing first
// contact (not offered, not called by 09:13) but seen within 30. Estimate
// errors 0 and 8: mean 4.0. Waits 0 and 15: median 7.5, p90 and max 15.0.
func TestSimulateAPIExample(t *testing.T) {
	_, got := simulateJSON(t, apiExample, "default")
	want := `{"policy":"default","visits":[` +
		`{"id":"v1","ticket":"H001","called":"09:00:00","desk":"d1","waited_minutes":0.0,"within_standard":true,"estimated_wait_minutes":0.0,"due":"09:10:00"},` +
		`{"id":"v2","ticket":"H002","called":"09:18:00","desk":"d1","waited_minutes":15.0,"within_standard":true,"estimated_wait_minutes":7.0,"due":"09:13:00","offered_appointment":false}],` +
		`"standards":{"appointments":{"visits":1,"within":1,"percent":100.0},"walk_in_first_contact":{"visits":1,"within":0,"percent":0.0},` +
		`"walk_ins":{"visits":1,"within":1,"percent":100.0},"all_visits":{"visits":2,"within":2,"percent":100.0}},` +
		`"estimates":{"mean_absolute_error_minutes":4.0},` +
		`"waits":{"called":2,"not_called":0,"median_wait_minutes":7.5,"p90_wait_minutes":15.0,"max_wait_minutes":15.0}}`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// Simultaneous events at 09:10: d1 finishes a1 (6 minutes of CTX), x, y
// and w2 arrive, and d2 opens. Finishes come first, so y's estimate uses
// CTX's median of 6 minutes (it would be 10, and y offered an appointment,
// if the arrivals came first): d1 takes x now and y at 09:16, told 6.0.
// Arrivals at the same second are numbered in listed order.
func TestSimulateSimultaneousEvents(t *testing.T) {
	sc := `{"day":"2026-12-01","services":[{"code":"CTX","ticket_prefix":"C"},{"code":"PRK","ticket_prefix":"P"}],
	 "desks":[{"id":"d1","services":["CTX","PRK"],"open":"09:00","close":"17:00"},{"id":"d2","services":["PRK"],"open":"09:10","close":"17:00"}],
	 "visits":[{"id":"late","service":"PRK","kind":"walk_in","arrive":"09:20","service_minutes":5},
	           {"id":"a1","service":"CTX","kind":"walk_in","arrive":"09:04","service_minutes":6},
	           {"id":"x","service":"CTX","kind":"walk_in","arrive":"09:10","service_minutes":6},
	           {"id":"y","service":"CTX","kind":"walk_in","arrive":"09:10","service_minutes":6},
	           {"id":"w2","service":"PRK","kind":"walk_in","arrive":"09:10","service_minutes":6}]}`
	res, _ := simulateJSON(t, sc, "default")
	want := map[string]struct {
		ticket, called, desk string
		told                 float64
	}{
		"a1":   {"C001", "09:04:00", "d1", 0},
		"x":    {"C002", "09:10:00", "d1", 0},
		"y":    {"C003", "09:16:00", "d1", 6},
		"w2":   {"P001", "09:10:00", "d2", 0}, // d2 opens at 09:10 and calls at once
		"late": {"P002", "09:20:00", "d2", 0}, // d1 is busy with y until 09:22
	}
	for _, v := range res.Visits {
		w := want[v.ID]
		if v.Ticket != w.ticket || deref(v.Called) != w.called || deref(v.Desk) != w.desk || float64(*v.EstimatedWaitMinutes) != w.told {
			t.Errorf("%s: ticket %s called %s desk %s told %v; want %+v", v.ID, v.Ticket, deref(v.Called), deref(v.Desk), *v.EstimatedWaitMinutes, w)
		}
	}
}

// Free desks call in listed order.
func TestSimulateDeskOrder(t *testing.T) {
	for _, first := range []string{"d1", "d2"} {
		other := map[string]string{"d1": "d2", "d2": "d1"}[first]
		sc := `{"day":"2026-12-01","services":[{"code":"CTX"}],
		 "desks":[{"id":"` + first + `","services":["CTX"],"open":"09:00","close":"17:00"},{"id":"` + other + `","services":["CTX"],"open":"09:00","close":"17:00"}],
		 "visits":[{"id":"v","service":"CTX","kind":"walk_in","arrive":"09:30","service_minutes":5}]}`
		res, _ := simulateJSON(t, sc, "default")
		if got := deref(res.Visits[0].Desk); got != first {
			t.Errorf("desks listed %s, %s: called by %s", first, other, got)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// Estimates use the median service time of the visits of that service
// finished so far, else (no duration_minutes given) the median of all
// finished visits, else 10 minutes.
func TestSimulateServiceTimeEstimates(t *testing.T) {
	sc := `{"day":"2026-12-01","services":[{"code":"A"},{"code":"B"}],
	 "desks":[{"id":"d1","services":["A","B"],"open":"09:00","close":"17:00"}],
	 "visits":[{"id":"a1","service":"A","kind":"walk_in","arrive":"09:00","service_minutes":4},
	           {"id":"b1","service":"B","kind":"walk_in","arrive":"09:00:30","service_minutes":6},
	           {"id":"a2","service":"A","kind":"walk_in","arrive":"09:06","service_minutes":3},
	           {"id":"a3","service":"A","kind":"walk_in","arrive":"09:07","service_minutes":3}]}`
	res, _ := simulateJSON(t, sc, "default")
	// a1: desk free, 0. b1: a1 started 09:00, nothing finished, 10 minutes:
	// free 09:10, told 9.5. a2: b1 started 09:04 (a1 finished), B has no
	// history, all finished = {4}: free 09:08, told 2.0. a3: a2 at 09:08
	// for A's median 4, then a3 at 09:12: told 5.0.
	want := map[string]float64{"a1": 0, "b1": 9.5, "a2": 2, "a3": 5}
	for _, v := range res.Visits {
		if got := float64(*v.EstimatedWaitMinutes); got != want[v.ID] {
			t.Errorf("%s told %v, want %v", v.ID, got, want[v.ID])
		}
	}
}

// A service's duration_minutes is what estimates take its visits to last
// until one has finished, as in the live queue: in the API example with
// 30-minute appointments, v2 at 09:03 expects the desk free at 09:30 (v1
// started at 09:00), is told 27.0, more than 10, so it is offered an
// appointment and due 30 minutes after arrival. v1 really takes 18 minutes.
func TestSimulateServiceDuration(t *testing.T) {
	sc := strings.Replace(apiExample, `"walk_in_target_minutes":30}`, `"walk_in_target_minutes":30,"duration_minutes":30}`, 1)
	res, _ := simulateJSON(t, sc, "default")
	v := res.Visits[1]
	if float64(*v.EstimatedWaitMinutes) != 27 || !*v.OfferedAppointment || v.Due != "09:33:00" || deref(v.Called) != "09:18:00" {
		t.Errorf("v2 told %v, offered %v, due %s, called %s; want 27, true, 09:33:00, 09:18:00",
			*v.EstimatedWaitMinutes, *v.OfferedAppointment, v.Due, deref(v.Called))
	}
	if _, err := Simulate(Scenario{Day: "2026-12-01", Services: []ScenarioService{{Code: "HOU", DurationMinutes: -5}},
		Desks: []ScenarioDesk{{ID: "d1", Services: []string{"HOU"}, Open: "09:00", Close: "17:00"}}}, DefaultPolicy); err == nil ||
		!strings.Contains(err.Error(), "services[0] (HOU).duration_minutes: -5 is less than 0") {
		t.Errorf("a negative duration_minutes: %v", err)
	}
}

// typicalTimes, the live queue's rule and the simulator's: per service the
// median of its latest 20 visits (of an even number, the longer of the
// middle two), else its appointment length, else the median of all.
func TestTypicalTimes(t *testing.T) {
	recent := []finishedVisit{{"B", 4 * time.Minute}, {"B", 6 * time.Minute}}
	for range 20 {
		recent = append(recent, finishedVisit{"A", 2 * time.Minute})
	}
	recent = append(recent, finishedVisit{"A", 50 * time.Minute}) // the 21st latest A: forgotten for A, not for the fallback
	times, fallback := typicalTimes(recent, map[string]time.Duration{"A": 30 * time.Minute, "C": 15 * time.Minute})
	want := map[string]time.Duration{"A": 2 * time.Minute, "B": 6 * time.Minute, "C": 15 * time.Minute}
	if len(times) != len(want) || times["A"] != want["A"] || times["B"] != want["B"] || times["C"] != want["C"] || fallback != 2*time.Minute {
		t.Errorf("times %v, fallback %v; want %v, 2m", times, fallback, want)
	}
	if times, fallback := typicalTimes(nil, nil); len(times) != 0 || fallback != 10*time.Minute {
		t.Errorf("with nothing finished: times %v, fallback %v; want none and 10m", times, fallback)
	}
}

// Desks stop calling at close; a visit never called is null and not within
// standard; a service no desk serves gets no estimate and is offered an
// appointment; tickets are numbered per letter in arrival order.
func TestSimulateCloseAndUnserved(t *testing.T) {
	sc := `{"day":"2026-12-01","services":[{"code":"HOU","ticket_prefix":"H"},{"code":"BEN","ticket_prefix":"B"}],
	 "desks":[{"id":"d1","services":["HOU"],"open":"09:00","close":"09:30"}],
	 "visits":[{"id":"second","service":"HOU","kind":"walk_in","arrive":"09:10","service_minutes":5},
	           {"id":"first","service":"HOU","kind":"walk_in","arrive":"09:00","service_minutes":30},
	           {"id":"ben","service":"BEN","kind":"walk_in","arrive":"09:05","service_minutes":5}]}`
	res, _ := simulateJSON(t, sc, "default")
	byID := map[string]SimVisit{}
	for _, v := range res.Visits {
		byID[v.ID] = v
	}
	if v := byID["first"]; v.Ticket != "H001" || deref(v.Called) != "09:00:00" || !v.WithinStandard {
		t.Errorf("first: %+v", v)
	}
	// The desk is busy until 09:30, its close: second is never called.
	if v := byID["second"]; v.Ticket != "H002" || v.Called != nil || v.Desk != nil || v.WaitedMinutes != nil || v.WithinStandard {
		t.Errorf("second: %+v", v)
	}
	if v := byID["ben"]; v.Ticket != "B001" || v.Called != nil || v.EstimatedWaitMinutes != nil || v.OfferedAppointment == nil || !*v.OfferedAppointment {
		t.Errorf("ben: %+v", v)
	}
	s := res.Standards
	if s.WalkIns.Visits != 3 || s.WalkIns.Within != 1 || *s.WalkIns.Percent != 33.3 ||
		s.WalkInFirstContact.Within != 2 || s.Appointments.Visits != 0 || s.Appointments.Percent != nil {
		t.Errorf("standards %+v", s)
	}
	if res.Waits.Called != 1 || res.Waits.NotCalled != 2 {
		t.Errorf("waits %+v", res.Waits)
	}
}

// On 2027-03-28 the clocks in London go forward at 01:00 GMT to 02:00 BST.
// d1 opens at 00:30 GMT; v1 takes an hour and finishes at 01:30 GMT, which
// is 02:30 on the wall. v2, waiting since 00:40, has waited 50 minutes, not
// 110. v3 arrives at 02:10 BST (01:10 GMT) and is called at 02:40 BST when
// v2 is done: exactly 30 minutes, which is within the walk-in standard.
func TestSimulateClockChange(t *testing.T) {
	sc := `{"timezone":"Europe/London","day":"2027-03-28","services":[{"code":"HOU","ticket_prefix":"H"}],
	 "desks":[{"id":"d1","services":["HOU"],"open":"00:30","close":"04:00"}],
	 "visits":[{"id":"v1","service":"HOU","kind":"walk_in","arrive":"00:30","service_minutes":60},
	           {"id":"v2","service":"HOU","kind":"walk_in","arrive":"00:40","service_minutes":10},
	           {"id":"v3","service":"HOU","kind":"walk_in","arrive":"02:10","service_minutes":10}]}`
	res, _ := simulateJSON(t, sc, "default")
	want := []struct {
		called string
		waited float64
		within bool
	}{{"00:30:00", 0, true}, {"02:30:00", 50, false}, {"02:40:00", 30, true}}
	for i, v := range res.Visits {
		if deref(v.Called) != want[i].called || float64(*v.WaitedMinutes) != want[i].waited || v.WithinStandard != want[i].within {
			t.Errorf("%s: called %s waited %v within %v; want %+v", v.ID, deref(v.Called), *v.WaitedMinutes, v.WithinStandard, want[i])
		}
	}
}

func TestSimulateDeterministic(t *testing.T) {
	data, err := os.ReadFile("testdata/busy-day.json")
	if err != nil {
		t.Fatal(err)
	}
	_, first := simulateJSON(t, string(data), "default")
	for range 3 {
		if _, again := simulateJSON(t, string(data), "default"); again != first {
			t.Fatal("the same day gave different output")
		}
	}
}

func TestOneDecimal(t *testing.T) {
	for v, want := range map[float64]string{0: "0.0", -0.01: "0.0", 7: "7.0", 66.66666: "66.7", 4.25: "4.3", 100: "100.0"} {
		got, _ := json.Marshal(OneDecimal(v))
		if !bytes.Equal(got, []byte(want)) {
			t.Errorf("OneDecimal(%v) = %s, want %s", v, got, want)
		}
	}
}

// Each broken scenario names the field that is wrong, in plain English.
func TestSimulateScenarioErrors(t *testing.T) {
	base := func(edit func(*Scenario)) Scenario {
		sc, err := ReadScenario(strings.NewReader(apiExample))
		if err != nil {
			t.Fatal(err)
		}
		edit(&sc)
		return sc
	}
	cases := []struct {
		name string
		edit func(*Scenario)
		want string
	}{
		{"unknown service on a visit", func(s *Scenario) { s.Visits[1].Service = "XYZ" },
			`visits[1] (v2).service: "XYZ" is not one of the scenario's services (HOU)`},
		{"unknown service on a desk", func(s *Scenario) { s.Desks[0].Services = []string{"HOU", "CTX"} },
			`desks[0] (d1).services[1]: "CTX" is not one of the scenario's services (HOU)`},
		{"bad time", func(s *Scenario) { s.Visits[0].Arrive = "25:00" },
			`visits[0] (v1).arrive: "25:00" is not a time of day; write it as HH:MM`},
		{"bad desk time", func(s *Scenario) { s.Desks[0].Close = "5pm" },
			`desks[0] (d1).close: "5pm" is not a time of day`},
		{"bad kind", func(s *Scenario) { s.Visits[1].Kind = "walkin" },
			`visits[1] (v2).kind: "walkin" is not a kind of visit; use "appointment" or "walk_in"`},
		{"appointment missing", func(s *Scenario) { s.Visits[0].Appointment = "" },
			`visits[0] (v1).appointment: missing: an appointment visit needs its appointment time`},
		{"walk-in with an appointment", func(s *Scenario) { s.Visits[1].Appointment = "09:30" },
			`visits[1] (v2).appointment: a walk_in has no appointment time`},
		{"unknown zone", func(s *Scenario) { s.Timezone = "Europe/Londres" },
			`timezone: "Europe/Londres" is not a time zone we know`},
		{"machine's zone", func(s *Scenario) { s.Timezone = "Local" },
			`timezone: "Local" is not a time zone we know`},
		{"duplicate visit id", func(s *Scenario) { s.Visits[1].ID = "v1" },
			`visits[1] (v1).id: "v1" is already the id of visits[0]`},
		{"bad day", func(s *Scenario) { s.Day = "01/12/2026" },
			`day: "01/12/2026" is not a date; write it as YYYY-MM-DD`},
		{"no length", func(s *Scenario) { s.Visits[0].ServiceMinutes = 0 },
			`visits[0] (v1).service_minutes: 0 is not a length of time`},
		{"desk closes before it opens", func(s *Scenario) { s.Desks[0].Close = "08:00" },
			`desks[0] (d1).close: 08:00 is not after the desk opens at 09:00`},
		{"negative target", func(s *Scenario) { s.Services[0].WalkInTargetMinutes = -5 },
			`services[0] (HOU).walk_in_target_minutes: -5 is less than 0`},
		{"no desks", func(s *Scenario) { s.Desks = nil }, `desks: there are none`},
		{"a time the clocks skip", func(s *Scenario) { s.Day = "2027-03-28"; s.Visits[1].Arrive = "01:30" },
			`visits[1] (v2).arrive: 01:30 does not exist on 2027-03-28 in Europe/London: the clocks go forward then`},
		{"two problems at once", func(s *Scenario) { s.Visits[0].Arrive = "8:61"; s.Visits[1].Service = "" },
			"the scenario has 2 problems:\n  visits[0] (v1).arrive: \"8:61\" is not a time of day"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Simulate(base(tc.edit), DefaultPolicy)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestReadScenarioErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "the scenario is empty"},
		{"{\"day\": \"2026-12-01\",\n \"visits\": [}", "the scenario is not valid JSON: line 2, column 13"},
		{`{"day": "2026-12-01", "visits": [{"id": "v1", "service_minutes": "18"}]}`,
			"visits.service_minutes: should be a number, not a JSON string"},
		{`{"day": "2026-12-01", "desk": []}`, `the scenario: unknown field "desk"`},
		{`{"day": "2026-12-01"`, "the scenario is cut short"},
		{`{"day": "2026-12-01"} {}`, "there is more after the scenario's closing brace"},
	}
	for _, tc := range cases {
		_, err := ReadScenario(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadScenario(%q): %v\nwant it to contain %q", tc.in, err, tc.want)
		}
	}
}

// The documented busy day (docs/simulation.md): the default policy must see
// a larger share of all visits within their standard than first come,
// first served (an appointment within its appointment target, a walk-in
// within the walk-in target: standards.all_visits), with a longest wait no
// more than 5 minutes longer.
func TestSimulateBusyDayPolicies(t *testing.T) {
	data, err := os.ReadFile("testdata/busy-day.json")
	if err != nil {
		t.Fatal(err)
	}
	results := map[string]Result{}
	for _, name := range []string{"default", "edf", "fifo"} {
		res, _ := simulateJSON(t, string(data), name)
		results[name] = res
		s, w := res.Standards, res.Waits
		t.Logf("%-7s within %5.1f%% (appointments %5.1f%%, first contact %5.1f%%, walk-ins %5.1f%%); wait median %4.1f p90 %4.1f max %4.1f; estimate MAE %.1f min",
			name, *s.AllVisits.Percent, *s.Appointments.Percent, *s.WalkInFirstContact.Percent, *s.WalkIns.Percent,
			*w.MedianWaitMinutes, *w.P90WaitMinutes, *w.MaxWaitMinutes, *res.Estimates.MeanAbsoluteErrorMinutes)
	}
	def, fifo := results["default"], results["fifo"]
	if def.Standards.AllVisits.Within <= fifo.Standards.AllVisits.Within {
		t.Errorf("default: %d visits within standard, fifo %d: the default must beat fifo",
			def.Standards.AllVisits.Within, fifo.Standards.AllVisits.Within)
	}
	if d, f := *def.Waits.MaxWaitMinutes, *fifo.Waits.MaxWaitMinutes; d > f+5 {
		t.Errorf("default's longest wait %.1f min is more than 5 minutes longer than fifo's %.1f", d, f)
	}
	if mae := *def.Estimates.MeanAbsoluteErrorMinutes; mae >= 10 {
		t.Errorf("estimates are off by %.1f minutes on average", mae)
	}
	if n := def.Waits.Called + def.Waits.NotCalled; n != len(def.Visits) || n < 150 {
		t.Errorf("the busy day has %d visits", n)
	}
}
