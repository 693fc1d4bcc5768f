package queue

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// Simulate plays sc's day through p and EstimateWait on a virtual clock: the
// same calling and estimate code as the live queue, so a policy can be
// judged on a day before it runs a real one.
//
// At each instant, in this fixed order: desks finish their visits (desks in
// listed order); visitors arrive (by time, then in listed order), get a
// ticket number and are told their expected wait; then every desk that is
// open and free calls next (desks in listed order). Nothing else changes
// who a free desk would call (Next only returns -1 when it serves no one
// waiting), so these instants are the only ones the clock needs to visit.
// A desk stops calling at its close time but finishes the visit it has.
//
// Estimates take visits to last as the live queue does (typicalTimes): per
// service, the median of its latest 20 visits finished so far that day, else
// its appointment length (duration_minutes), else the median over every
// service, else 10 minutes.
// A walk-in whose wait, forecast with the walk-in target as its due, is
// longer than its first-contact target is told that wait and offered an
// appointment (which meets first contact); in the simulator it declines and
// stays, due by the walk-in target. Otherwise it is due by the first-contact
// target and told the wait forecast with that due.
func Simulate(sc Scenario, p Policy) (Result, error) {
	day, err := compileScenario(sc)
	if err != nil {
		return Result{}, err
	}
	r := &simRun{day: day, p: p, numbers: map[string]int{}}
	r.play()
	return r.result(), nil
}

// Result is what Simulate prints: every visit, in the scenario's order, and
// the day's totals.
type Result struct {
	Policy    string       `json:"policy"`
	Visits    []SimVisit   `json:"visits"`
	Standards SimStandards `json:"standards"`
	Estimates SimEstimates `json:"estimates"`
	Waits     SimWaits     `json:"waits"`
}

// SimVisit is how one visit went. Called, Desk and WaitedMinutes are null
// for a visit never called; EstimatedWaitMinutes is null when no desk
// served its service.
type SimVisit struct {
	ID                   string      `json:"id"`
	Ticket               string      `json:"ticket"`
	Called               *string     `json:"called"`
	Desk                 *string     `json:"desk"`
	WaitedMinutes        *OneDecimal `json:"waited_minutes"`
	WithinStandard       bool        `json:"within_standard"`
	EstimatedWaitMinutes *OneDecimal `json:"estimated_wait_minutes"`
	Due                  string      `json:"due"`
	OfferedAppointment   *bool       `json:"offered_appointment,omitempty"` // walk-ins only
}

// SimStandards counts visits against each standard. AllVisits counts every
// visit once: within when it met each standard that applies to it (an
// appointment its own; a walk-in both first contact and the walk-in target).
type SimStandards struct {
	Appointments       SimCount `json:"appointments"`
	WalkInFirstContact SimCount `json:"walk_in_first_contact"`
	WalkIns            SimCount `json:"walk_ins"`
	AllVisits          SimCount `json:"all_visits"`
}

// SimCount is visits, how many were within the standard, and the percentage
// (null when there were no visits).
type SimCount struct {
	Visits  int         `json:"visits"`
	Within  int         `json:"within"`
	Percent *OneDecimal `json:"percent"`
}

// SimEstimates compares what visitors were told with what happened, over
// the visits that were called and told a wait.
type SimEstimates struct {
	MeanAbsoluteErrorMinutes *OneDecimal `json:"mean_absolute_error_minutes"`
}

// SimWaits summarises the waits of the visits that were called.
type SimWaits struct {
	Called            int         `json:"called"`
	NotCalled         int         `json:"not_called"`
	MedianWaitMinutes *OneDecimal `json:"median_wait_minutes"`
	P90WaitMinutes    *OneDecimal `json:"p90_wait_minutes"`
	MaxWaitMinutes    *OneDecimal `json:"max_wait_minutes"`
}

// OneDecimal is a number written with exactly one decimal place (7.0, 66.7),
// so that the same day always prints the same bytes.
type OneDecimal float64

func (d OneDecimal) MarshalJSON() ([]byte, error) {
	v := math.Round(float64(d)*10) / 10
	if v == 0 {
		v = 0 // no "-0.0"
	}
	return strconv.AppendFloat(nil, v, 'f', 1, 64), nil
}

// simRun is one day being played.
type simRun struct {
	day     *simDay
	p       Policy
	numbers map[string]int // last ticket number per letter
	waiting []*simVisit    // in arrival order
	cands   []Candidate    // waiting as Next sees it, index for index
	done    []*simVisit    // finished so far, in the order they finished
}

func (r *simRun) play() {
	arrivals := slices.Clone(r.day.visits)
	slices.SortStableFunc(arrivals, func(a, b *simVisit) int { return a.arrive.Compare(b.arrive) })
	next := 0
	var last time.Time // zero: before anything
	for {
		// The next instant anything happens, strictly after the last one.
		var t time.Time
		consider := func(at time.Time) {
			if at.After(last) && (t.IsZero() || at.Before(t)) {
				t = at
			}
		}
		if next < len(arrivals) {
			consider(arrivals[next].arrive)
		}
		for _, d := range r.day.desks {
			consider(d.open)
			if d.busy != nil {
				consider(d.freeAt)
			}
		}
		if t.IsZero() {
			return
		}
		last = t
		for _, d := range r.day.desks {
			if d.busy != nil && !d.freeAt.After(t) {
				r.finish(d)
			}
		}
		for ; next < len(arrivals) && !arrivals[next].arrive.After(t); next++ {
			r.arrive(arrivals[next], t)
		}
		for _, d := range r.day.desks {
			if d.busy == nil && !t.Before(d.open) && t.Before(d.close) {
				r.call(d, t)
			}
		}
	}
}

func (r *simRun) finish(d *simDesk) {
	r.done = append(r.done, d.busy)
	d.busy = nil
}

// arrive gives v its ticket, its due time and its estimate, and queues it.
func (r *simRun) arrive(v *simVisit, now time.Time) {
	r.numbers[v.svc.prefix]++
	v.number = v.svc.prefix + simSeq(r.numbers[v.svc.prefix])
	v.cand = Candidate{ID: int64(v.index + 1), Service: v.svc.code, Kind: v.kind, Priority: v.priority,
		Arrived: v.arrive, Appointment: v.appt}
	if v.kind == KindAppointment {
		v.cand.Due = v.waitFrom.Add(v.svc.apptTarget)
		v.told, v.toldOK = r.estimate(v, now)
	} else {
		// Would it be seen within first contact without being rushed? Asked
		// with the walk-in target as its due: asked with the first-contact
		// due, the answer is nearly always yes, because a ticket due in 10
		// minutes goes ahead of everyone already late, and every newcomer
		// would jump the queue on the strength of its own estimate.
		v.cand.Due = v.arrive.Add(v.svc.walkInTarget)
		v.told, v.toldOK = r.estimate(v, now)
		if !v.toldOK || v.told > v.svc.firstContact {
			// Told the wait (or that no desk serves it today) and offered an
			// appointment, which meets first contact; it stays, due by the
			// walk-in target.
			v.offered = true
		} else {
			v.cand.Due = v.arrive.Add(v.svc.firstContact)
			v.told, v.toldOK = r.estimate(v, now)
		}
	}
	r.waiting = append(r.waiting, v)
	r.cands = append(r.cands, v.cand)
}

// estimate is how long v will wait, counted as the standards count it (from
// the later of arrival and appointment time), forecast with the desks that
// will still call today.
func (r *simRun) estimate(v *simVisit, now time.Time) (time.Duration, bool) {
	times, fallback := r.typicalTimes()
	var loads []DeskLoad
	for _, d := range r.day.desks {
		free := laterOf(now, d.open)
		if d.busy != nil {
			typical, ok := times[d.busy.svc.code]
			if !ok {
				typical = fallback
			}
			// A visit running over its typical time is taken to end now.
			free = laterOf(free, d.busy.called.Add(typical))
		}
		if free.Before(d.close) {
			loads = append(loads, DeskLoad{ID: d.id, Services: d.services, FreeAt: free})
		}
	}
	waiting := append(slices.Clip(r.cands), v.cand)
	wait, ok := EstimateWait(now, r.p, loads, waiting, v.cand.ID, times, fallback)
	if !ok {
		return 0, false
	}
	return max(0, now.Add(wait).Sub(v.waitFrom)), true
}

// typicalTimes runs the live queue's rule (typicalTimes) over the visits
// finished so far, latest first as the live queue reads them: by finish
// time, then the later ticket first (the live queue's ticket ids follow
// arrival, as the simulator's IDs do when the scenario lists visitors in
// arrival order).
func (r *simRun) typicalTimes() (map[string]time.Duration, time.Duration) {
	latest := slices.Clone(r.done)
	slices.SortStableFunc(latest, func(a, b *simVisit) int {
		if c := b.called.Add(b.length).Compare(a.called.Add(a.length)); c != 0 {
			return c
		}
		return int(b.cand.ID - a.cand.ID)
	})
	recent := make([]finishedVisit, 0, min(len(latest), recentFinished))
	for _, v := range latest[:min(len(latest), recentFinished)] {
		recent = append(recent, finishedVisit{service: v.svc.code, took: v.length})
	}
	lengths := make(map[string]time.Duration, len(r.day.services))
	for code, s := range r.day.services {
		lengths[code] = s.length
	}
	return typicalTimes(recent, lengths)
}

func (r *simRun) call(d *simDesk, now time.Time) {
	i := r.p.Next(now, d.services, r.cands)
	if i < 0 {
		return
	}
	v := r.waiting[i]
	r.waiting = slices.Delete(r.waiting, i, i+1)
	r.cands = slices.Delete(r.cands, i, i+1)
	v.called, v.desk = now, d
	d.busy, d.freeAt = v, now.Add(v.length)
}

// result measures every visit against its standards, in the scenario's order.
func (r *simRun) result() Result {
	res := Result{Policy: r.p.Name, Visits: make([]SimVisit, 0, len(r.day.visits))}
	if res.Policy == "" {
		res.Policy = "default"
	}
	var st struct{ appt, first, walk, all simTally }
	var waits []time.Duration
	var errSum time.Duration
	var errN int
	for _, v := range r.day.visits {
		out := SimVisit{ID: v.id, Ticket: v.number, Due: v.cand.Due.In(r.day.loc).Format(time.TimeOnly)}
		if v.kind == KindWalkIn {
			offered := v.offered
			out.OfferedAppointment = &offered
		}
		called := v.desk != nil
		if called {
			s, id := v.called.In(r.day.loc).Format(time.TimeOnly), v.desk.id
			out.Called, out.Desk = &s, &id
			wait := max(0, v.called.Sub(v.waitFrom))
			out.WaitedMinutes = minutesOf(wait)
			waits = append(waits, wait)
			if v.toldOK {
				errSum += (v.told - wait).Abs()
				errN++
			}
		}
		if v.toldOK {
			out.EstimatedWaitMinutes = minutesOf(v.told)
		}
		met := func(target time.Duration) bool { return called && !v.called.After(v.waitFrom.Add(target)) }
		if v.kind == KindAppointment {
			out.WithinStandard = met(v.svc.apptTarget)
			st.appt.add(out.WithinStandard)
		} else {
			st.first.add(v.offered || met(v.svc.firstContact))
			out.WithinStandard = met(v.svc.walkInTarget)
			st.walk.add(out.WithinStandard)
		}
		st.all.add(out.WithinStandard)
		res.Visits = append(res.Visits, out)
	}
	res.Standards = SimStandards{Appointments: st.appt.count(), WalkInFirstContact: st.first.count(),
		WalkIns: st.walk.count(), AllVisits: st.all.count()}
	if errN > 0 {
		res.Estimates.MeanAbsoluteErrorMinutes = minutesOf(errSum / time.Duration(errN))
	}
	res.Waits = waitSummary(waits, len(r.day.visits))
	return res
}

type simTally struct{ visits, within int }

func (t *simTally) add(within bool) {
	t.visits++
	if within {
		t.within++
	}
}

func (t simTally) count() SimCount {
	c := SimCount{Visits: t.visits, Within: t.within}
	if t.visits > 0 {
		c.Percent = tenths(100 * float64(t.within) / float64(t.visits))
	}
	return c
}

// waitSummary: median (the mean of the middle two for an even count) and
// 90th percentile (nearest rank) over the visits that were called.
func waitSummary(waits []time.Duration, visits int) SimWaits {
	s := SimWaits{Called: len(waits), NotCalled: visits - len(waits)}
	if len(waits) == 0 {
		return s
	}
	slices.Sort(waits)
	s.MedianWaitMinutes = minutesOf(medianOf(waits))
	s.P90WaitMinutes = minutesOf(waits[int(math.Ceil(0.9*float64(len(waits))))-1])
	s.MaxWaitMinutes = minutesOf(waits[len(waits)-1])
	return s
}

// medianOf a sorted, non-empty slice.
func medianOf(sorted []time.Duration) time.Duration {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func simSeq(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

func minutesOf(d time.Duration) *OneDecimal { return tenths(d.Minutes()) }

// tenths rounds to one decimal, so a Result holds what it prints.
func tenths(v float64) *OneDecimal {
	d := OneDecimal(math.Round(v*10) / 10)
	return &d
}
