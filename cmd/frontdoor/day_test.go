package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"frontdoor"
	"frontdoor/queue"
)

// A day in the centre (issue #10): the demo centre on Tuesday 1 December
// 2026, 50 appointments booked the day before through the booking API and
// 30 walk-ins, played through the real HTTP API on a clock that stands still
// between moves; then the server's day is held to what the simulator makes of
// the same day: every ticket, due time, offer and wait told, which desk
// called which ticket at which second, and the standards report.
//
// The test plays the day as the simulator does (queue/simulate.go): at each
// instant, in this order, desks finish their visits, visitors arrive (by
// time, then in the scenario's order) and check in or take a ticket, and then
// every desk that is free presses "call next" (desks in the order the site
// lists them); a desk that gets no one (204) waits for the next instant.
// Which ticket a desk gets is the server's choice alone. A desk starts the
// visit as soon as it has called it and finishes it the generated number of
// minutes after the call. Desks call from the site's opening time until its
// close, and finish the visit they have after it. The simulator models
// neither recalls nor visitors who are called and do not come to the desk,
// so neither happens here: a no-show is a booked resident who never arrives,
// left out of the scenario (docs/simulation.md) and never checked in.

// dayInCentre is the day played: a Tuesday, when London is on GMT.
var dayInCentre = time.Date(2026, 12, 1, 0, 0, 0, 0, london)

const (
	daySite     = "riverside"
	daySeed     = 10 // issue #10
	dayBookings = 50
	dayWalkIns  = 30
)

// dayServiceMinutes is the shortest and longest a visit takes, per service,
// as on the simulator's busy day (docs/simulation.md).
var dayServiceMinutes = map[string][2]int{"HOU": {25, 40}, "CTX": {8, 15}, "BEN": {15, 25}, "PRK": {5, 10}}

// dayWalkInShare is how walk-ins spread over the services that take them.
var dayWalkInShare = map[string]int{"PRK": 35, "CTX": 30, "BEN": 20, "HOU": 15}

// dayCentre is the site as the server describes it.
type dayCentre struct {
	Services []struct {
		Code                      string `json:"code"`
		TicketPrefix              string `json:"ticket_prefix"`
		DurationMinutes           int    `json:"duration_minutes"`
		Bookable                  bool   `json:"bookable"`
		WalkIn                    bool   `json:"walk_in"`
		AppointmentTargetMinutes  int    `json:"appointment_target_minutes"`
		WalkInFirstContactMinutes int    `json:"walk_in_first_contact_minutes"`
		WalkInTargetMinutes       int    `json:"walk_in_target_minutes"`
	} `json:"services"`
	Desks           []dayDesk `json:"desks"`
	openAt, closeAt string    // the day's opening hours, HH:MM
	open, close     time.Time
}

type dayDesk struct {
	ID       string   `json:"id"`
	Services []string `json:"services"`
}

// dayVisit is one visitor of the day, as generated and as the server saw it.
type dayVisit struct {
	id       string
	service  string
	kind     string    // queue.KindAppointment or queue.KindWalkIn
	appt     time.Time // the booked time; zero for a walk-in
	arrive   time.Time
	length   time.Duration // how long the desk takes once it has called them
	priority bool          // walk-ins only: given priority by reception
	code     string        // the booking's check-in code

	// What the server answered and did.
	ticketID string
	number   string
	due      time.Time
	offered  bool
	told     int // estimated_wait_minutes
	called   time.Time
	desk     string
}

// wait is how long the visitor waited as the standards count it: from the
// later of arrival and appointment time, to the call.
func (v *dayVisit) wait() time.Duration {
	return max(0, v.called.Sub(dayLater(v.arrive, v.appt)))
}

type dayCall struct {
	at     time.Time
	desk   string
	number string
}

func (c dayCall) String() string {
	return fmt.Sprintf("%s %s %s", c.at.In(london).Format(time.TimeOnly), c.desk, c.number)
}

func TestDayInTheCentre(t *testing.T) {
	clock := frontdoor.NewStoppedClock(dayInCentre.AddDate(0, 0, -1).Add(10 * time.Hour)) // the Monday before, 10:00
	s := start(t, config{testClock: clock})
	if err := s.app.demo(context.Background(), &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	kiosk := s.token(frontdoor.RoleDevice, daySite)
	reception := s.token(frontdoor.RoleReception, daySite)
	officer := s.token(frontdoor.RoleOfficer, daySite)
	manager := s.token(frontdoor.RoleManager, daySite)
	setClock := func(at time.Time) {
		t.Helper()
		s.must(http.StatusOK, "PUT", "/api/v1/clock", s.Admin, map[string]string{"now": at.UTC().Format(time.RFC3339Nano)})
	}

	centre := readCentre(t, s, officer)
	rng := rand.New(rand.NewPCG(daySeed, 2026))
	visits, noShows := bookDay(t, s, centre, rng)
	sc := dayScenario(centre, visits)
	t.Cleanup(func() {
		if t.Failed() {
			js, _ := json.Marshal(sc)
			t.Logf("the day as a scenario, for frontdoor simulate --scenario:\n%s", js)
		}
	})
	sim, err := queue.Simulate(sc, queue.DefaultPolicy)
	if err != nil {
		t.Fatal(err)
	}

	// The day, played through the API.
	type desk struct {
		id     string
		busy   *dayVisit
		freeAt time.Time
	}
	var desks []*desk
	for _, d := range centre.Desks {
		desks = append(desks, &desk{id: d.ID})
	}
	byNumber := map[string]*dayVisit{}
	var calls []dayCall
	next := 0
	var last time.Time
	for {
		// The next instant anything happens.
		var now time.Time
		consider := func(at time.Time) {
			if at.After(last) && (now.IsZero() || at.Before(now)) {
				now = at
			}
		}
		if next < len(visits) {
			consider(visits[next].arrive)
		}
		consider(centre.open)
		for _, d := range desks {
			if d.busy != nil {
				consider(d.freeAt)
			}
		}
		if now.IsZero() {
			break
		}
		last = now
		setClock(now)
		for _, d := range desks {
			if d.busy != nil && !d.freeAt.After(now) {
				s.must(http.StatusOK, "POST", "/api/v1/tickets/"+d.busy.ticketID+"/finish", officer, map[string]string{"outcome": "resolved"})
				d.busy = nil
			}
		}
		for ; next < len(visits) && !visits[next].arrive.After(now); next++ {
			v := visits[next]
			var a struct {
				Ticket struct {
					ID     string    `json:"id"`
					Number string    `json:"number"`
					Due    time.Time `json:"due"`
				} `json:"ticket"`
				Estimated int  `json:"estimated_wait_minutes"`
				Offer     bool `json:"offer_appointment"`
			}
			if v.kind == queue.KindAppointment {
				s.must(http.StatusCreated, "POST", "/api/v1/checkins", kiosk, map[string]string{"code": v.code}).JSON(t, &a)
			} else {
				token, body := kiosk, map[string]any{"service": v.service}
				if v.priority {
					token, body["priority"] = reception, true
				}
				s.must(http.StatusCreated, "POST", "/api/v1/sites/"+daySite+"/tickets", token, body).JSON(t, &a)
			}
			v.ticketID, v.number, v.due, v.offered, v.told = a.Ticket.ID, a.Ticket.Number, a.Ticket.Due, a.Offer, a.Estimated
			if byNumber[v.number] != nil {
				t.Fatalf("%s: ticket number %s given twice", v.id, v.number)
			}
			byNumber[v.number] = v
		}
		if now.Before(centre.open) || !now.Before(centre.close) {
			continue
		}
		for _, d := range desks {
			if d.busy != nil {
				continue
			}
			r := s.do("POST", "/api/v1/desks/"+d.id+"/call-next", officer, nil)
			if r.Status == http.StatusNoContent {
				continue
			}
			if r.Status != http.StatusOK {
				t.Fatalf("%s call-next at %s: status %d\n%s", d.id, now.In(london).Format(time.TimeOnly), r.Status, r.Body)
			}
			var c struct {
				Ticket struct {
					ID     string    `json:"id"`
					Number string    `json:"number"`
					Called time.Time `json:"called"`
					Desk   string    `json:"desk"`
				} `json:"ticket"`
			}
			r.JSON(t, &c)
			v := byNumber[c.Ticket.Number]
			if v == nil || v.ticketID != c.Ticket.ID || v.desk != "" || !c.Ticket.Called.Equal(now) || c.Ticket.Desk != d.id {
				t.Fatalf("%s at %s called %+v: not a waiting ticket, or not called by this desk now", d.id, now.In(london).Format(time.TimeOnly), c.Ticket)
			}
			v.called, v.desk = now, d.id
			calls = append(calls, dayCall{now, d.id, v.number})
			s.must(http.StatusOK, "POST", "/api/v1/tickets/"+v.ticketID+"/start", officer, nil)
			d.busy, d.freeAt = v, now.Add(v.length)
		}
	}

	// The report, read late that evening, when no visit is pending any more.
	setClock(dayInCentre.Add(22 * time.Hour))
	day := dayInCentre.Format(time.DateOnly)
	var rep queue.Report
	s.must(http.StatusOK, "GET", "/api/v1/sites/"+daySite+"/reports/standards?from="+day+"&to="+day, manager, nil).JSON(t, &rep)
	if len(sim.Visits) != len(visits) {
		t.Fatalf("the simulator played %d visits, the server %d", len(sim.Visits), len(visits))
	}

	t.Run("visits", func(t *testing.T) { dayCompareVisits(t, visits, sim) })
	t.Run("calling order", func(t *testing.T) { dayCompareCalls(t, calls, sim, centre) })
	t.Run("standards", func(t *testing.T) { dayCompareStandards(t, visits, noShows, sim, rep) })
	t.Run("estimates", func(t *testing.T) { dayCompareEstimates(t, visits, sim, rep) })

	var longest time.Duration
	appointments := 0
	for _, v := range visits {
		if v.desk != "" {
			longest = max(longest, v.wait())
		}
		if v.kind == queue.KindAppointment {
			appointments++
		}
	}
	within := rep.Appointments.Within + rep.WalkIns.Within
	t.Logf("%s at %s: %d visits (%d appointments, %d walk-ins; %d more booked and did not come), %d called",
		day, daySite, len(visits), appointments, len(visits)-appointments, daySum(noShows), len(calls))
	t.Logf("seen within standard: %d of %d visits (%.1f %%); appointments %s, walk-ins within 30 minutes %s, walk-in first contact %s",
		within, len(visits), 100*float64(within)/float64(len(visits)), dayCount(rep.Appointments), dayCount(rep.WalkIns), dayCount(rep.WalkInFirstContact))
	t.Logf("longest wait %.1f minutes (simulator: median %s, p90 %s, longest %s)", longest.Minutes(),
		dayTenths(sim.Waits.MedianWaitMinutes), dayTenths(sim.Waits.P90WaitMinutes), dayTenths(sim.Waits.MaxWaitMinutes))
}

// readCentre reads the site's services, desks and the day's opening hours
// from the API.
func readCentre(t *testing.T, s *testServer, token string) dayCentre {
	t.Helper()
	var c dayCentre
	s.must(http.StatusOK, "GET", "/api/v1/sites/"+daySite+"/services", "", nil).JSON(t, &c)
	s.must(http.StatusOK, "GET", "/api/v1/sites/"+daySite+"/queue", token, nil).JSON(t, &c)
	var hours struct {
		Weekly []struct{ Weekday, Open, Close string } `json:"weekly"`
	}
	s.must(http.StatusOK, "GET", "/api/v1/sites/"+daySite+"/hours", "", nil).JSON(t, &hours)
	for _, h := range hours.Weekly {
		if strings.EqualFold(h.Weekday, dayInCentre.Weekday().String()) {
			c.openAt, c.closeAt = h.Open, h.Close
		}
	}
	if c.openAt == "" || len(c.Desks) != 4 || len(c.Services) != 4 {
		t.Fatalf("the demo centre is not the one this test was written for: hours %+v, desks %+v, services %+v", hours, c.Desks, c.Services)
	}
	c.open, c.close = dayLocalTime(t, c.openAt), dayLocalTime(t, c.closeAt)
	return c
}

// bookDay books dayBookings of the places still free on the day, at random,
// through the booking API (the clock is on the day before), and makes up
// who comes when: about 1 booking in 16 does not come, about 1 in 4 comes
// up to 20 minutes late and the rest up to 15 minutes early; walk-ins come
// in a morning peak, a lunchtime peak and a trickle all day, from opening
// until 45 minutes before the close, about 1 in 15 given priority by
// reception. It returns the visitors in arrival order (the scenario's
// order, which the simulator breaks ties by as the server does by ticket
// id) and the no-shows per service.
func bookDay(t *testing.T, s *testServer, c dayCentre, rng *rand.Rand) ([]*dayVisit, map[string]int) {
	t.Helper()
	type place struct {
		service string
		start   time.Time
	}
	var places []place
	var walkIn []string
	day := dayInCentre.Format(time.DateOnly)
	for _, svc := range c.Services {
		if svc.WalkIn {
			walkIn = append(walkIn, svc.Code)
		}
		if !svc.Bookable {
			continue
		}
		var slots struct {
			Slots []struct {
				Start     time.Time `json:"start"`
				Remaining int       `json:"remaining"`
			} `json:"slots"`
		}
		s.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/sites/%s/services/%s/slots?from=%s&to=%s", daySite, svc.Code, day, day), "", nil).JSON(t, &slots)
		for _, sl := range slots.Slots {
			for range sl.Remaining {
				places = append(places, place{svc.Code, sl.Start})
			}
		}
	}
	if len(places) < dayBookings {
		t.Fatalf("only %d places free on %s, want at least %d", len(places), day, dayBookings)
	}
	rng.Shuffle(len(places), func(i, j int) { places[i], places[j] = places[j], places[i] })

	var visits []*dayVisit
	noShows := map[string]int{}
	for i, p := range places[:dayBookings] {
		var b bookingAnswer
		s.must(http.StatusCreated, "POST", "/api/v1/bookings", "", map[string]any{"site": daySite, "service": p.service,
			"start": p.start.Format(time.RFC3339), "name": fmt.Sprintf("Resident %02d", i+1),
			"phone": fmt.Sprintf("07700 900%03d", i+1), "channel": "online"}).JSON(t, &b)
		v := &dayVisit{service: p.service, kind: queue.KindAppointment, appt: p.start, code: b.CheckinCode, length: dayLength(rng, p.service)}
		switch r := rng.Float64(); {
		case r < 0.06:
			noShows[p.service]++
			continue
		case r < 0.30:
			v.arrive = p.start.Add(time.Duration(1+rng.IntN(20)) * time.Minute)
		default:
			v.arrive = p.start.Add(-time.Duration(rng.IntN(16)) * time.Minute)
		}
		visits = append(visits, v)
	}
	for range dayWalkIns {
		var from, to time.Duration // after opening
		switch r := rng.Float64(); {
		case r < 0.35:
			from, to = 0, 90*time.Minute
		case r < 0.65:
			from, to = 3*time.Hour, 4*time.Hour+30*time.Minute
		default:
			from, to = 0, c.close.Sub(c.open)-45*time.Minute
		}
		arrive := c.open.Add(from + time.Duration(rng.Int64N(int64((to-from)/time.Minute)))*time.Minute)
		svc := dayPick(rng, walkIn)
		visits = append(visits, &dayVisit{service: svc, kind: queue.KindWalkIn, arrive: arrive,
			length: dayLength(rng, svc), priority: rng.IntN(15) == 0})
	}
	slices.SortStableFunc(visits, func(a, b *dayVisit) int { return a.arrive.Compare(b.arrive) })
	for i, v := range visits {
		v.id = fmt.Sprintf("v%02d", i+1)
	}
	return visits, noShows
}

// dayScenario is the same day for the simulator: the centre's services (with
// their appointment lengths, which the live wait estimate starts from),
// desks and hours, and the visitors who came, in arrival order.
func dayScenario(c dayCentre, visits []*dayVisit) queue.Scenario {
	sc := queue.Scenario{Timezone: "Europe/London", Day: dayInCentre.Format(time.DateOnly)}
	for _, svc := range c.Services {
		sc.Services = append(sc.Services, queue.ScenarioService{Code: svc.Code, TicketPrefix: svc.TicketPrefix,
			AppointmentTargetMinutes: svc.AppointmentTargetMinutes, WalkInFirstContactMinutes: svc.WalkInFirstContactMinutes,
			WalkInTargetMinutes: svc.WalkInTargetMinutes, DurationMinutes: svc.DurationMinutes})
	}
	for _, d := range c.Desks {
		sc.Desks = append(sc.Desks, queue.ScenarioDesk{ID: d.ID, Services: d.Services, Open: c.openAt, Close: c.closeAt})
	}
	for _, v := range visits {
		sv := queue.ScenarioVisit{ID: v.id, Service: v.service, Kind: v.kind, Arrive: v.arrive.In(london).Format(time.TimeOnly),
			ServiceMinutes: v.length.Minutes(), Priority: v.priority}
		if !v.appt.IsZero() {
			sv.Appointment = v.appt.In(london).Format(time.TimeOnly)
		}
		sc.Visits = append(sc.Visits, sv)
	}
	return sc
}

// dayCompareVisits holds each visit to the simulator's: its ticket number,
// due time, appointment offer, and when and by which desk it was called.
func dayCompareVisits(t *testing.T, visits []*dayVisit, sim queue.Result) {
	for i, v := range visits {
		sv := sim.Visits[i]
		if sv.ID != v.id {
			t.Fatalf("simulator visit %d is %s, want %s", i, sv.ID, v.id)
		}
		if sv.Ticket != v.number {
			t.Errorf("%s: ticket %s on the server, %s in the simulator", v.id, v.number, sv.Ticket)
		}
		if due := v.due.In(london).Format(time.TimeOnly); sv.Due != due {
			t.Errorf("%s (%s, %s): due %s on the server, %s in the simulator", v.id, v.number, v.kind, due, sv.Due)
		}
		if v.kind == queue.KindWalkIn && (sv.OfferedAppointment == nil || *sv.OfferedAppointment != v.offered) {
			t.Errorf("%s (%s): offered an appointment %v on the server (told %d minutes), %s in the simulator (told %s)",
				v.id, v.number, v.offered, v.told, dayBool(sv.OfferedAppointment), dayTenths(sv.EstimatedWaitMinutes))
		}
		called := v.called.In(london).Format(time.TimeOnly)
		switch {
		case sv.Called == nil && v.desk != "":
			t.Errorf("%s (%s): called at %s by %s on the server, never in the simulator", v.id, v.number, called, v.desk)
		case sv.Called != nil && v.desk == "":
			t.Errorf("%s (%s): never called on the server, at %s by %s in the simulator", v.id, v.number, *sv.Called, *sv.Desk)
		case sv.Called != nil && (*sv.Called != called || *sv.Desk != v.desk):
			t.Errorf("%s (%s): called at %s by %s on the server, at %s by %s in the simulator", v.id, v.number, called, v.desk, *sv.Called, *sv.Desk)
		}
	}
}

// dayCompareCalls holds the server's calls, in the order the desks made
// them, to the simulator's: by time, then desks in the site's order, as both
// call at each instant.
func dayCompareCalls(t *testing.T, calls []dayCall, sim queue.Result, c dayCentre) {
	var want []dayCall
	for _, sv := range sim.Visits {
		if sv.Called != nil {
			want = append(want, dayCall{dayLocalTime(t, *sv.Called), *sv.Desk, sv.Ticket})
		}
	}
	deskIndex := func(id string) int {
		return slices.IndexFunc(c.Desks, func(d dayDesk) bool { return d.ID == id })
	}
	slices.SortStableFunc(want, func(a, b dayCall) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return deskIndex(a.desk) - deskIndex(b.desk)
	})
	for i := range max(len(calls), len(want)) {
		var got, sim string
		if i < len(calls) {
			got = calls[i].String()
		}
		if i < len(want) {
			sim = want[i].String()
		}
		if got != sim {
			t.Fatalf("call %d of %d: %q on the server, %q in the simulator", i+1, len(want), got, sim)
		}
	}
}

// dayCompareStandards holds the report to the simulator: visits and within
// for each standard, in total and per service; the share of all visits seen
// within standard; the median and 90th percentile waits; and the report's
// no-shows and channels to the day as generated.
func dayCompareStandards(t *testing.T, visits []*dayVisit, noShows map[string]int, sim queue.Result, rep queue.Report) {
	for _, c := range []struct {
		name string
		got  queue.Standard
		want queue.SimCount
	}{{"appointments", rep.Appointments, sim.Standards.Appointments},
		{"walk_in_first_contact", rep.WalkInFirstContact, sim.Standards.WalkInFirstContact},
		{"walk_ins", rep.WalkIns, sim.Standards.WalkIns}} {
		if c.got.Visits != c.want.Visits || c.got.Within != c.want.Within || !daySamePercent(c.got.Percent, c.want.Percent) || c.got.Pending != 0 {
			t.Errorf("%s: report %s, %d pending; simulator %d/%d (%s %%)", c.name, dayCount(c.got), c.got.Pending,
				c.want.Within, c.want.Visits, dayTenths(c.want.Percent))
		}
	}
	all := sim.Standards.AllVisits
	if n, w := rep.Appointments.Visits+rep.WalkIns.Visits, rep.Appointments.Within+rep.WalkIns.Within; n != all.Visits || w != all.Within {
		t.Errorf("seen within standard: report %d of %d visits, simulator %d of %d", w, n, all.Within, all.Visits)
	}

	// Per service, counting the simulator's visits as its totals count them
	// (queue.simRun.result).
	type tally struct{ appt, first, walk [2]int } // visits, within
	per := map[string]*tally{}
	var apptWaits, walkWaits []float64
	for i, v := range visits {
		sv := sim.Visits[i]
		if per[v.service] == nil {
			per[v.service] = &tally{}
		}
		ts := per[v.service]
		add := func(c *[2]int, within bool) {
			c[0]++
			if within {
				c[1]++
			}
		}
		if v.kind == queue.KindAppointment {
			add(&ts.appt, sv.WithinStandard)
			if sv.WaitedMinutes != nil {
				apptWaits = append(apptWaits, float64(*sv.WaitedMinutes))
			}
			continue
		}
		first := sv.OfferedAppointment != nil && *sv.OfferedAppointment
		if sv.Called != nil {
			first = first || !dayLocalTime(t, *sv.Called).After(v.arrive.Add(10*time.Minute))
			walkWaits = append(walkWaits, float64(*sv.WaitedMinutes))
		}
		add(&ts.first, first)
		add(&ts.walk, sv.WithinStandard)
	}
	if len(rep.Services) != len(per) {
		t.Errorf("the report has %d services, the day %d", len(rep.Services), len(per))
	}
	for _, svc := range rep.Services {
		ts := per[svc.Service]
		if ts == nil {
			t.Errorf("the report has service %s, which no one came for", svc.Service)
			continue
		}
		for _, c := range []struct {
			name string
			got  queue.Standard
			want [2]int
		}{{"appointments", svc.Appointments, ts.appt}, {"walk_in_first_contact", svc.WalkInFirstContact, ts.first},
			{"walk_ins", svc.WalkIns, ts.walk}} {
			if c.got.Visits != c.want[0] || c.got.Within != c.want[1] || !daySamePercent(c.got.Percent, dayPercent(c.want)) {
				t.Errorf("%s %s: report %s, simulator %d/%d", svc.Service, c.name, dayCount(c.got), c.want[1], c.want[0])
			}
		}
		if svc.NoShows != noShows[svc.Service] {
			t.Errorf("%s: %d no-shows in the report, want %d", svc.Service, svc.NoShows, noShows[svc.Service])
		}
	}

	// The report's waits are the nearest rank of the waits of the visits called.
	for _, c := range []struct {
		name  string
		got   queue.Standard
		waits []float64
	}{{"appointments", rep.Appointments, apptWaits}, {"walk_ins", rep.WalkIns, walkWaits}} {
		if len(c.waits) == 0 {
			continue
		}
		slices.Sort(c.waits)
		rank := func(p float64) float64 { return c.waits[max(int(math.Ceil(p*float64(len(c.waits))))-1, 0)] }
		if c.got.MedianMinutes == nil || c.got.P90Minutes == nil || *c.got.MedianMinutes != rank(0.5) || *c.got.P90Minutes != rank(0.9) {
			t.Errorf("%s waits: median %s and p90 %s in the report, %.1f and %.1f in the simulator", c.name,
				dayFloat(c.got.MedianMinutes), dayFloat(c.got.P90Minutes), rank(0.5), rank(0.9))
		}
	}
	var longest time.Duration
	for _, v := range visits {
		if v.desk != "" {
			longest = max(longest, v.wait())
		}
	}
	if sim.Waits.MaxWaitMinutes == nil || math.Round(longest.Minutes()*10)/10 != float64(*sim.Waits.MaxWaitMinutes) {
		t.Errorf("longest wait %.1f minutes on the server, %s in the simulator", longest.Minutes(), dayTenths(sim.Waits.MaxWaitMinutes))
	}

	if rep.NoShows != daySum(noShows) {
		t.Errorf("%d no-shows in the report, want the %d booked residents who never came", rep.NoShows, daySum(noShows))
	}
	appointments := 0
	for _, v := range visits {
		if v.kind == queue.KindAppointment {
			appointments++
		}
	}
	if rep.Channels["online"] != appointments || rep.Channels["walk_in"] != len(visits)-appointments || len(rep.Channels) != 2 {
		t.Errorf("channels %v in the report, want online %d and walk_in %d", rep.Channels, appointments, len(visits)-appointments)
	}
}

// dayCompareEstimates holds the waits told on arrival to the simulator's
// (the server's to the whole minute, the simulator's to a tenth), and the
// report's estimate error to the simulator's.
func dayCompareEstimates(t *testing.T, visits []*dayVisit, sim queue.Result, rep queue.Report) {
	for i, v := range visits {
		sv := sim.Visits[i]
		if sv.EstimatedWaitMinutes == nil || v.told != int(math.Floor(float64(*sv.EstimatedWaitMinutes)+0.5)) {
			t.Errorf("%s (%s, %s, arrived %s for %s): told %d minutes on the server, %s in the simulator", v.id, v.number, v.kind,
				v.arrive.In(london).Format("15:04"), dayClock(v.appt), v.told, dayTenths(sv.EstimatedWaitMinutes))
		}
	}
	if rep.Estimates.Compared != sim.Waits.Called || sim.Estimates.MeanAbsoluteErrorMinutes == nil ||
		rep.Estimates.MAE != float64(*sim.Estimates.MeanAbsoluteErrorMinutes) {
		t.Errorf("estimates out by %.1f minutes on average over %d visits in the report, %s over %d in the simulator",
			rep.Estimates.MAE, rep.Estimates.Compared, dayTenths(sim.Estimates.MeanAbsoluteErrorMinutes), sim.Waits.Called)
	}
}

func dayLength(rng *rand.Rand, service string) time.Duration {
	r := dayServiceMinutes[service]
	return time.Duration(r[0]+rng.IntN(r[1]-r[0]+1)) * time.Minute
}

func dayPick(rng *rand.Rand, codes []string) string {
	total := 0
	for _, c := range codes {
		total += dayWalkInShare[c]
	}
	n := rng.IntN(total)
	for _, c := range codes {
		if n -= dayWalkInShare[c]; n < 0 {
			return c
		}
	}
	return codes[len(codes)-1]
}

// dayLocalTime is hh:mm or hh:mm:ss on the day, in London.
func dayLocalTime(t *testing.T, hms string) time.Time {
	t.Helper()
	layout := "2006-01-02 15:04:05"
	if len(hms) == len("15:04") {
		layout = "2006-01-02 15:04"
	}
	at, err := time.ParseInLocation(layout, dayInCentre.Format(time.DateOnly)+" "+hms, london)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func dayLater(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func daySamePercent(got *float64, want *queue.OneDecimal) bool {
	if got == nil || want == nil {
		return got == nil && want == nil
	}
	return *got == float64(*want)
}

func dayPercent(c [2]int) *queue.OneDecimal {
	if c[0] == 0 {
		return nil
	}
	p := queue.OneDecimal(math.Round(float64(c[1])*1000/float64(c[0])) / 10)
	return &p
}

func daySum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func dayCount(s queue.Standard) string {
	return fmt.Sprintf("%d/%d (%s %%)", s.Within, s.Visits, dayFloat(s.Percent))
}

func dayTenths(p *queue.OneDecimal) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(*p))
}

func dayFloat(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f", *p)
}

func dayBool(p *bool) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprint(*p)
}

func dayClock(t time.Time) string {
	if t.IsZero() {
		return "a walk-in"
	}
	return t.In(london).Format("15:04")
}
