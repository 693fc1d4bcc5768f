package queue

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"frontdoor"
	"frontdoor/notify"
)

// Standard is one of the charter's standards measured over some visits.
type Standard struct {
	Visits        int      `json:"visits"`
	Within        int      `json:"within"`
	Percent       *float64 `json:"percent"` // 0–100, one decimal; null with no visits
	Pending       int      `json:"pending"` // still waiting and not yet due: not counted in visits
	MedianMinutes *float64 `json:"median_wait_minutes"`
	P90Minutes    *float64 `json:"p90_wait_minutes"`
	waits         []time.Duration
}

func (s *Standard) add(met bool, wait time.Duration, called bool) {
	s.Visits++
	if met {
		s.Within++
	}
	if called {
		s.waits = append(s.waits, wait)
	}
}

func (s *Standard) close() {
	if s.Visits > 0 {
		p := math.Round(float64(s.Within)*1000/float64(s.Visits)) / 10
		s.Percent = &p
	}
	if len(s.waits) > 0 {
		sort.Slice(s.waits, func(i, j int) bool { return s.waits[i] < s.waits[j] })
		med := minutes1(percentile(s.waits, 0.5))
		p90 := minutes1(percentile(s.waits, 0.9))
		s.MedianMinutes, s.P90Minutes = &med, &p90
	}
}

// percentile by the nearest-rank method on sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(rank, 0)]
}

func minutes1(d time.Duration) float64 { return math.Round(d.Minutes()*10) / 10 }

// Standards are the three standards over one set of visits, with what goes with them.
type Standards struct {
	Appointments         Standard       `json:"appointments"`
	WalkInFirstContact   Standard       `json:"walk_in_first_contact"`
	WalkIns              Standard       `json:"walk_ins"`
	NoShows              int            `json:"no_shows"`
	Channels             map[string]int `json:"channels"`
	Finished             int            `json:"finished"`
	ResolvedFirstContact int            `json:"resolved_at_first_contact"`
	ResolutionPercent    *float64       `json:"resolution_percent"`
}

// Report is GET /api/v1/sites/{site}/reports/standards.
type Report struct {
	Site string `json:"site"`
	From string `json:"from"`
	To   string `json:"to"`
	Standards
	Estimates struct {
		Compared int     `json:"compared"`
		MAE      float64 `json:"mean_absolute_error_minutes"`
	} `json:"estimates"`
	// Satisfaction is the post-visit question's replies received in the
	// range (by when they came: a reply can come a day after its visit).
	Satisfaction struct {
		Replies int      `json:"replies"`
		Mean    *float64 `json:"mean_score"` // 1–5, one decimal; null with no replies
	} `json:"satisfaction"`
	Services []ServiceStandards `json:"services"`
	Days     []DayStandards     `json:"days"`
}

// ServiceStandards are one service's standards.
type ServiceStandards struct {
	Service string `json:"service"`
	Standards
}

// DayStandards are one local day's standards.
type DayStandards struct {
	Date string `json:"date"`
	Standards
}

// judge measures one ticket against its standards, to the second (the
// milliseconds stored). Only a visit's first call counts: that is when it
// was "seen". A visit still waiting and not yet past a target is pending.
func judge(t ticket, now int64, s *Standards) {
	called := t.FirstCalled.Valid
	calledAt := t.FirstCalled.Int64
	s.Channels[t.Channel]++
	switch t.Kind {
	case KindAppointment:
		from := max(t.Appointment.Int64, t.Arrived)
		deadline := from + t.ApptTarget*1000
		switch {
		case called:
			s.Appointments.add(calledAt <= deadline, time.Duration(max(calledAt-from, 0))*time.Millisecond, true)
		case t.Status == StatusWaiting && now <= deadline:
			s.Appointments.Pending++
		default:
			s.Appointments.add(false, 0, false)
		}
	case KindWalkIn:
		first := t.Arrived + t.FirstContact*1000
		switch {
		case t.Offered || (called && calledAt <= first):
			// Told the wait and offered an appointment meets first contact, as the charter says.
			s.WalkInFirstContact.add(true, 0, false)
		case !called && t.Status == StatusWaiting && now <= first:
			s.WalkInFirstContact.Pending++
		default:
			s.WalkInFirstContact.add(false, 0, false)
		}
		deadline := t.Arrived + t.WalkInTarget*1000
		switch {
		case t.Status == StatusWithdrawn:
			// Took an appointment instead: not a walk-in wait any more.
		case called:
			s.WalkIns.add(calledAt <= deadline, time.Duration(calledAt-t.Arrived)*time.Millisecond, true)
		case t.Status == StatusWaiting && now <= deadline:
			s.WalkIns.Pending++
		default:
			s.WalkIns.add(false, 0, false)
		}
	}
	if t.Status == StatusNoShow {
		s.NoShows++
	}
	if t.Status == StatusDone && t.Outcome != "" {
		s.Finished++
		if t.Outcome == "resolved" {
			s.ResolvedFirstContact++
		}
	}
}

func (s *Standards) close() {
	s.Appointments.close()
	s.WalkInFirstContact.close()
	s.WalkIns.close()
	if s.Finished > 0 {
		p := math.Round(float64(s.ResolvedFirstContact)*1000/float64(s.Finished)) / 10
		s.ResolutionPercent = &p
	}
}

func newStandards() Standards { return Standards{Channels: map[string]int{}} }

// MaxReportDays is the longest range one report covers.
const MaxReportDays = 366

// StandardsReport measures every visit at a site between two local dates
// (inclusive) against the charter's standards.
func (q *Queue) StandardsReport(ctx context.Context, siteID, from, to string) (Report, error) {
	if _, err := frontdoor.Authorize(ctx, siteID, frontdoor.RoleManager); err != nil {
		return Report{}, err
	}
	site, err := q.Booking.Site(ctx, siteID)
	if err != nil {
		return Report{}, err
	}
	loc := site.Location()
	now := q.Clock.Now()
	f, t, err := reportRange(from, to, now.In(loc))
	if err != nil {
		return Report{}, err
	}
	r := Report{Site: siteID, From: f.Format(time.DateOnly), To: t.Format(time.DateOnly), Standards: newStandards(),
		Services: []ServiceStandards{}, Days: []DayStandards{}}
	summaries, dates, err := q.daySummaries(ctx, siteID, loc, f, t, now)
	if err != nil {
		return Report{}, err
	}
	services := map[string]*ServiceStandards{}
	var absErr time.Duration
	for i, d := range summaries {
		r.Standards.merge(&d.all)
		for code, s := range d.services {
			if services[code] == nil {
				services[code] = &ServiceStandards{Service: code, Standards: newStandards()}
			}
			services[code].merge(s)
		}
		absErr += d.absErr
		r.Estimates.Compared += d.compared
		if d.seen {
			day := DayStandards{Date: dates[i], Standards: copyStandards(&d.all)}
			day.close()
			r.Days = append(r.Days, day)
		}
	}
	if r.Estimates.Compared > 0 {
		r.Estimates.MAE = minutes1(absErr / time.Duration(r.Estimates.Compared))
	}
	first, last := civil(r.From, loc), civil(r.To, loc).AddDate(0, 0, 1)
	replies, mean, err := notify.Scores(ctx, q.DB, siteID, first, last)
	if err != nil {
		return Report{}, err
	}
	if r.Satisfaction.Replies = replies; replies > 0 {
		m := math.Round(mean*10) / 10
		r.Satisfaction.Mean = &m
	}
	r.Standards.close()
	for _, s := range services {
		s.close()
		r.Services = append(r.Services, *s)
	}
	sort.Slice(r.Services, func(i, j int) bool { return r.Services[i].Service < r.Services[j].Service })
	return r, nil
}

func reportRange(from, to string, today time.Time) (time.Time, time.Time, error) {
	fields := map[string]string{}
	f := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	t := f
	var err error
	if from != "" {
		if f, err = time.Parse(time.DateOnly, from); err != nil {
			fields["from"] = "Give from as a date, like 2026-12-01"
		}
		t = f
	}
	if to != "" {
		if t, err = time.Parse(time.DateOnly, to); err != nil {
			fields["to"] = "Give to as a date, like 2026-12-31"
		}
	}
	if len(fields) == 0 && t.Before(f) {
		fields["to"] = "The end date must be on or after the start date"
	}
	if len(fields) == 0 && t.Sub(f) >= MaxReportDays*24*time.Hour {
		fields["to"] = fmt.Sprintf("Ask for at most %d days at a time", MaxReportDays)
	}
	if len(fields) > 0 {
		return f, t, frontdoor.FieldErrors(fields)
	}
	return f, t, nil
}

// reportTickets reads only the columns judge needs: a year's report scans
// a quarter of a million rows, and every column scanned costs.
func reportTickets(ctx context.Context, q queryer, site, from, to string) ([]ticket, error) {
	rows, err := q.QueryContext(ctx, `SELECT service_code, local_day, kind, channel, appointment_at, arrived_at,
		appointment_target_s, first_contact_s, walk_in_target_s, status, first_called_at, outcome, estimate_s, offered
		FROM tickets WHERE site_id = ? AND local_day BETWEEN ? AND ?`, site, from, to)
	if err != nil {
		return nil, fmt.Errorf("read tickets for the report: %w", err)
	}
	defer rows.Close()
	var out []ticket
	for rows.Next() {
		var t ticket
		if err := rows.Scan(&t.Service, &t.LocalDay, &t.Kind, &t.Channel, &t.Appointment, &t.Arrived, &t.ApptTarget,
			&t.FirstContact, &t.WalkInTarget, &t.Status, &t.FirstCalled, &t.Outcome, &t.Estimate, &t.Offered); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
