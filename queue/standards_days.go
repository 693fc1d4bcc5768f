package queue

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// A closed day's standards never change: its tickets are all finished
// (done, no-show or withdrawn; CloseDays sees to the stragglers at local
// midnight), the targets they are judged by were copied onto them at
// arrival, and the retention job erases only personal data. So the report
// keeps each closed day's figures once worked out, and a year's report reads
// only the days it has not seen: a year is a third of a million tickets,
// and reading them is what took the time.

// daySummary is one day's figures before they are closed into percentages:
// the waits are kept whole, so merging days gives exactly the medians that
// reading every ticket would.
type daySummary struct {
	all      Standards
	services map[string]*Standards
	absErr   time.Duration // the wait estimates' total error, and how many there were
	compared int
	final    bool // every ticket finished and the day over: safe to keep
	seen     bool // had any ticket or no-show (a day without is left out of Days)
}

func newDaySummary() *daySummary {
	return &daySummary{all: newStandards(), services: map[string]*Standards{}}
}

func (d *daySummary) service(code string) *Standards {
	s := d.services[code]
	if s == nil {
		n := newStandards()
		s = &n
		d.services[code] = s
	}
	return s
}

// merge adds src's visits to s, leaving src as it was (it may be shared).
func (s *Standards) merge(src *Standards) {
	s.Appointments.merge(&src.Appointments)
	s.WalkInFirstContact.merge(&src.WalkInFirstContact)
	s.WalkIns.merge(&src.WalkIns)
	s.NoShows += src.NoShows
	for ch, n := range src.Channels {
		s.Channels[ch] += n
	}
	s.Finished += src.Finished
	s.ResolvedFirstContact += src.ResolvedFirstContact
}

func (s *Standard) merge(src *Standard) {
	s.Visits += src.Visits
	s.Within += src.Within
	s.Pending += src.Pending
	s.waits = append(s.waits, src.waits...)
}

// copyStandards is a Standards that close can finish without touching s.
func copyStandards(s *Standards) Standards {
	c := *s
	c.Channels = maps.Clone(s.Channels)
	c.Appointments.waits = slices.Clone(s.Appointments.waits)
	c.WalkInFirstContact.waits = slices.Clone(s.WalkInFirstContact.waits)
	c.WalkIns.waits = slices.Clone(s.WalkIns.waits)
	return c
}

// closedDays keeps the summaries of closed days, per site and date.
type closedDays struct {
	mu sync.Mutex
	m  map[string]*daySummary
}

// closedDaysMax bounds what is kept: ten years of days at a dozen sites.
const closedDaysMax = 50_000

func closedKey(site, day string) string { return site + "\x00" + day }

func (c *closedDays) get(site, day string) *daySummary {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[closedKey(site, day)]
}

func (c *closedDays) put(site, day string, d *daySummary) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= closedDaysMax {
		c.m = map[string]*daySummary{}
	}
	c.m[closedKey(site, day)] = d
}

// daySummaries works out the summaries of days [from, to] (local dates) at
// a site: closed days come from memory, else from standards_days, and the
// rest from one read of their tickets and one of the bookings nobody came
// to; closed days worked out are kept in both.
func (q *Queue) daySummaries(ctx context.Context, site string, loc *time.Location, from, to time.Time, now time.Time) ([]*daySummary, []string, error) {
	today := now.In(loc).Format(time.DateOnly)
	var dates []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		dates = append(dates, d.Format(time.DateOnly))
	}
	out := make([]*daySummary, len(dates))
	index := map[string]int{}
	first, last := -1, -1
	for i, day := range dates {
		if day < today {
			if d := q.closed.get(site, day); d != nil {
				out[i] = d
				continue
			}
		}
		out[i] = newDaySummary()
		out[i].final = day < today
		index[day] = i
		if first < 0 {
			first = i
		}
		last = i
	}
	if first < 0 {
		return out, dates, nil
	}
	// Closed days kept in the database (worked out before a restart).
	if dates[first] < today {
		kept, err := q.storedDays(ctx, site, dates[first], min(dates[last], today))
		if err != nil {
			return nil, nil, err
		}
		first, last = -1, -1
		for i, day := range dates {
			j, missing := index[day]
			if !missing {
				continue
			}
			if d := kept[day]; d != nil {
				out[j] = d
				q.closed.put(site, day, d)
				delete(index, day)
				continue
			}
			if first < 0 {
				first = i
			}
			last = i
		}
		if first < 0 {
			return out, dates, nil
		}
	}
	list, err := reportTickets(ctx, q.DB.Read, site, dates[first], dates[last])
	if err != nil {
		return nil, nil, err
	}
	nowMS := now.UnixMilli()
	for _, tk := range list {
		i, ok := index[tk.LocalDay]
		if !ok {
			continue // a day already summed up
		}
		d := out[i]
		d.seen = true
		if tk.Status == StatusWaiting || tk.Status == StatusCalled || tk.Status == StatusServing {
			d.final = false
		}
		judge(tk, nowMS, &d.all)
		judge(tk, nowMS, d.service(tk.Service))
		if tk.FirstCalled.Valid && tk.Estimate.Valid {
			from := tk.Arrived
			if tk.Appointment.Valid {
				from = max(from, tk.Appointment.Int64) // as the estimate was told
			}
			// Called before their time is no wait at all, as the standard counts it
			// (and as the estimate, never negative, said).
			actual := time.Duration(max(tk.FirstCalled.Int64-from, 0)) * time.Millisecond
			diff := actual - time.Duration(tk.Estimate.Int64)*time.Second
			d.absErr += max(diff, -diff)
			d.compared++
		}
	}
	// Booked visitors who never came are no-shows too.
	start := civil(dates[first], loc)
	end := civil(dates[last], loc).AddDate(0, 0, 1)
	absent, err := q.Booking.NoShows(ctx, site, start, end)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range absent {
		i, ok := index[localDay(n.Start, loc)]
		if !ok {
			continue
		}
		d := out[i]
		d.seen = true
		d.all.NoShows++
		d.service(n.Service).NoShows++
	}
	keep := map[string]*daySummary{}
	for day, i := range index {
		if out[i].final {
			q.closed.put(site, day, out[i])
			keep[day] = out[i]
		}
	}
	q.keepDays(ctx, site, keep)
	return out, dates, nil
}

// civil is midnight at the start of a local date.
func civil(date string, loc *time.Location) time.Time {
	t, _ := time.ParseInLocation(time.DateOnly, date, loc)
	return t
}

// KeepStandards works out and keeps each site's closed days of the last
// year that no report has asked for yet, so that a manager's first report
// after an upgrade, or on a database restored from elsewhere, need not read
// a year of tickets while they wait. The service runs it in the background
// at start and hourly; once every day is kept it reads nothing.
func (q *Queue) KeepStandards(ctx context.Context) error {
	sites, err := q.Booking.Sites(ctx)
	if err != nil {
		return err
	}
	now := q.Clock.Now()
	for _, site := range sites {
		loc := site.Location()
		today := civil(localDay(now, loc), loc)
		if _, _, err := q.daySummaries(ctx, site.ID, loc, today.AddDate(0, 0, -MaxReportDays), today.AddDate(0, 0, -1), now); err != nil {
			return fmt.Errorf("keep the standards of %s: %w", site.ID, err)
		}
	}
	return nil
}
