package booking

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"frontdoor"
)

// Slot is a bookable time for a service: its place count and how many are taken.
type Slot struct {
	Start    time.Time
	End      time.Time
	Capacity int
	Booked   int

	json []byte // the slot's JSON up to "remaining": made once per schedule and day
}

// Remaining is how many places are left.
func (s Slot) Remaining() int { return max(s.Capacity-s.Booked, 0) }

// schedule is what slots are made from: a service at a site, its site's
// hours and closures, and its capacity bands.
type schedule struct {
	site     Site
	service  Service
	loc      *time.Location
	hours    [7][]span         // opening hours by weekday
	capacity [7][]band         // capacity bands by weekday
	closures map[string][]span // part-day closures by local date
	allDay   map[string]bool   // whole-day closures by local date

	days sync.Map // local date -> []Slot: a day's slots, made once (the schedule never changes)
}

type span struct{ from, to int } // minutes from local midnight, [from, to)

type band struct {
	span
	parallel int
}

func minutes(hhmm string) int {
	var h, m int
	fmt.Sscanf(hhmm, "%d:%d", &h, &m)
	return h*60 + m
}

// scheduleCache keeps schedules between requests: they change only through
// this Store's setup methods, which invalidate it, and every slot list and
// booking needs one.
type scheduleCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]*schedule
}

func (c *scheduleCache) get(key string) (*schedule, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key], c.gen
}

// put keeps sc unless the cache was invalidated since gen was read.
func (c *scheduleCache) put(key string, sc *schedule, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.m == nil {
		c.m = map[string]*schedule{}
	}
	c.m[key] = sc
}

func (c *scheduleCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m = nil
}

// loadSchedule returns what slot generation needs for one service; a
// schedule is read-only once made, so callers share it.
func (s *Store) loadSchedule(ctx context.Context, site, code string) (*schedule, error) {
	key := site + "\x00" + strings.ToUpper(code)
	sc, gen := s.schedules.get(key)
	if sc != nil {
		return sc, nil
	}
	sc, err := s.readSchedule(ctx, site, code)
	if err != nil {
		return nil, err
	}
	s.schedules.put(key, sc, gen)
	return sc, nil
}

// readSchedule reads everything slot generation needs for one service.
func (s *Store) readSchedule(ctx context.Context, site, code string) (*schedule, error) {
	svc, err := s.Service(ctx, site, code)
	if err != nil {
		return nil, err
	}
	st, err := s.Site(ctx, site)
	if err != nil {
		return nil, err
	}
	sc := &schedule{site: st, service: svc, loc: st.Location(), closures: map[string][]span{}, allDay: map[string]bool{}}
	if sc.loc == nil {
		return nil, fmt.Errorf("site %s: unknown time zone %q", site, st.Timezone)
	}
	q := s.DB.Read
	if err := eachRow(ctx, q, `SELECT weekday, open, close FROM opening_hours WHERE site_id = ? ORDER BY weekday, open`, []any{site}, func(rows *sql.Rows) error {
		var d int
		var open, close string
		if err := rows.Scan(&d, &open, &close); err != nil {
			return err
		}
		sc.hours[d] = append(sc.hours[d], span{minutes(open), minutes(close)})
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read hours: %w", err)
	}
	if err := eachRow(ctx, q, `SELECT weekday, from_time, to_time, parallel FROM capacity_bands WHERE site_id = ? AND service_code = ? ORDER BY weekday, from_time`,
		[]any{site, svc.Code}, func(rows *sql.Rows) error {
			var d, p int
			var from, to string
			if err := rows.Scan(&d, &from, &to, &p); err != nil {
				return err
			}
			sc.capacity[d] = append(sc.capacity[d], band{span{minutes(from), minutes(to)}, p})
			return nil
		}); err != nil {
		return nil, fmt.Errorf("read capacity: %w", err)
	}
	if err := eachRow(ctx, q, `SELECT day, from_time, to_time FROM closures WHERE site_id = ?`, []any{site}, func(rows *sql.Rows) error {
		var day string
		var from, to sql.NullString
		if err := rows.Scan(&day, &from, &to); err != nil {
			return err
		}
		if !from.Valid {
			sc.allDay[day] = true
		} else {
			sc.closures[day] = append(sc.closures[day], span{minutes(from.String), minutes(to.String)})
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read closures: %w", err)
	}
	return sc, nil
}

func eachRow(ctx context.Context, q *sql.DB, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// day returns the slots of one local date, before notice, horizon and
// bookings are taken into account. Slots start at the start of each capacity
// band and follow one another every duration; a slot is kept only if it ends
// within its band and within opening hours, misses every part-day closure,
// and its wall-clock start exists (not in the hour skipped in March). Each
// wall-clock time is made once, so October's repeated hour gives no double.
func (sc *schedule) day(date time.Time) []Slot { return sc.appendDay(nil, date) }

// appendDay is day appending to slots, so a range of days fills one slice.
func (sc *schedule) appendDay(slots []Slot, date time.Time) []Slot {
	if day, ok := sc.days.Load(date); ok {
		return append(slots, day.([]Slot)...)
	}
	day := sc.makeDay(date)
	sc.days.Store(date, day)
	return append(slots, day...)
}

// makeDay makes one day's slots with their JSON, for appendDay to keep.
func (sc *schedule) makeDay(date time.Time) []Slot {
	day := sc.generateDay(nil, date)
	for i := range day {
		day[i].json = appendSlotHead(nil, day[i], sc.loc)
	}
	return day
}

func (sc *schedule) generateDay(slots []Slot, date time.Time) []Slot {
	key := date.Format(time.DateOnly)
	if sc.allDay[key] {
		return slots
	}
	wd := date.Weekday()
	dur := sc.service.DurationMinutes
	for _, b := range sc.capacity[wd] {
		for m := b.from; m+dur <= b.to; m += dur {
			sp := span{m, m + dur}
			if !within(sp, sc.hours[wd]) || overlapsAny(sp, sc.closures[key]) {
				continue
			}
			start := time.Date(date.Year(), date.Month(), date.Day(), m/60, m%60, 0, 0, sc.loc)
			if start.Hour() != m/60 || start.Minute() != m%60 {
				continue // this wall-clock time does not exist today
			}
			slots = append(slots, Slot{Start: start, End: start.Add(time.Duration(dur) * time.Minute), Capacity: b.parallel})
		}
	}
	return slots
}

func within(sp span, opens []span) bool {
	for _, o := range opens {
		if sp.from >= o.from && sp.to <= o.to {
			return true
		}
	}
	return false
}

func overlapsAny(sp span, closed []span) bool {
	for _, c := range closed {
		if sp.from < c.to && c.from < sp.to {
			return true
		}
	}
	return false
}

// bookableWindow is the earliest start and the last local date a resident may book now.
func (sc *schedule) bookableWindow(now time.Time) (earliest time.Time, lastDay time.Time) {
	earliest = now.Add(time.Duration(sc.service.MinNoticeMinutes) * time.Minute)
	l := now.In(sc.loc)
	lastDay = civilDate(l.Year(), l.Month(), l.Day()+sc.service.HorizonDays)
	return earliest, lastDay
}

// civilDate is a calendar date, held as midnight UTC so that adding days never meets a clock change.
func civilDate(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func localDate(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return civilDate(l.Year(), l.Month(), l.Day())
}

// Slots lists the free slots of a service between two local dates
// (inclusive): not in the past, not inside the minimum notice, not beyond
// the horizon, and with at least one place left.
func (s *Store) Slots(ctx context.Context, site, code string, from, to time.Time) ([]Slot, error) {
	sc, err := s.loadSchedule(ctx, site, code)
	if err != nil {
		return nil, err
	}
	if !sc.service.Bookable {
		return []Slot{}, nil
	}
	earliest, lastDay := sc.bookableWindow(s.Clock.Now())
	if to.After(lastDay) {
		to = lastDay
	}
	if first := localDate(earliest, sc.loc); from.Before(first) {
		from = first
	}
	slots := []Slot{}
	if from.After(to) {
		return slots, nil
	}
	days := int(to.Sub(from)/(24*time.Hour)) + 1
	all := make([]Slot, 0, days*sc.perDay())
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		all = sc.appendDay(all, d)
	}
	kept := all[:0]
	for _, sl := range all {
		if !sl.Start.Before(earliest) {
			kept = append(kept, sl)
		}
	}
	all = kept
	if len(all) == 0 {
		return slots, nil
	}
	booked, err := s.bookedCounts(ctx, site, sc.service.Code, all[0].Start, all[len(all)-1].Start)
	if err != nil {
		return nil, err
	}
	// Filter in place: all is this call's own.
	slots = all[:0]
	for _, sl := range all {
		sl.Booked = booked[frontdoor.Millis(sl.Start)]
		if sl.Remaining() > 0 {
			slots = append(slots, sl)
		}
	}
	return slots, nil
}

// perDay is the most slots a day of this schedule can have, to size slices.
func (sc *schedule) perDay() int {
	most := 0
	for _, bands := range sc.capacity {
		n := 0
		for _, b := range bands {
			n += (b.to - b.from) / sc.service.DurationMinutes
		}
		most = max(most, n)
	}
	return most
}

func (sc *schedule) slotAt(start, now time.Time) (Slot, error) {
	notBookable := func(why string) error {
		return &frontdoor.Error{Kind: frontdoor.Unprocessable, Code: "not_bookable", Message: why, Fields: map[string]string{"start": why}}
	}
	if !sc.service.Bookable {
		return Slot{}, &frontdoor.Error{Kind: frontdoor.Unprocessable, Code: "not_bookable",
			Message: sc.service.Name + " cannot be booked in advance: come in and take a ticket.", Fields: map[string]string{"service": "This service cannot be booked in advance"}}
	}
	earliest, lastDay := sc.bookableWindow(now)
	switch {
	case start.Before(now):
		return Slot{}, notBookable("That time has already passed: choose a later time")
	case start.Before(earliest):
		return Slot{}, notBookable(fmt.Sprintf("Appointments must be booked at least %s ahead: choose a later time", noticeText(sc.service.MinNoticeMinutes)))
	case localDate(start, sc.loc).After(lastDay):
		return Slot{}, notBookable(fmt.Sprintf("Appointments can be booked up to %d days ahead: choose an earlier date", sc.service.HorizonDays))
	}
	for _, sl := range sc.day(localDate(start, sc.loc)) {
		if sl.Start.Equal(start) {
			return sl, nil
		}
	}
	return Slot{}, notBookable("There is no appointment at that time: choose one of the times offered")
}

func noticeText(m int) string {
	switch {
	case m%(24*60) == 0 && m >= 24*60:
		return plural(m/(24*60), "day")
	case m%60 == 0:
		return plural(m/60, "hour")
	default:
		return plural(m, "minute")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
