package booking

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"frontdoor"
	"frontdoor/notify"
)

// What the queue asks of bookings. The queue never touches the bookings
// table itself: it calls these, passing its transaction where the change
// must commit with its own.

// ByReference finds a booking by its reference (any case, spaces allowed).
func (s *Store) ByReference(ctx context.Context, ref string) (Booking, error) {
	return s.load(ctx, s.DB.Read, ref)
}

// SetVisitStatus moves a booking along as its visit happens (checked in,
// seen, no-show) inside the queue's transaction; from says which status it
// must still have, so a booking cancelled meanwhile is not revived.
func (s *Store) SetVisitStatus(ctx context.Context, tx *sql.Tx, id int64, from, to string) error {
	res, err := tx.ExecContext(ctx, `UPDATE bookings SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
		to, frontdoor.Millis(s.Clock.Now()), id, from)
	if err != nil {
		return fmt.Errorf("booking %d: set status %s: %w", id, to, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return frontdoor.Errorf(frontdoor.Conflict, "stale", "This booking has changed since it was read: it is no longer %s.", statusWords(from))
	}
	return nil
}

// NextFree returns up to n of a service's next free slots, in the site's zone,
// looking ahead two weeks: what a walk-in facing a long wait is offered.
func (s *Store) NextFree(ctx context.Context, site, code string, n int) ([]Slot, error) {
	sc, err := s.loadSchedule(ctx, site, code)
	if err != nil {
		return nil, err
	}
	today := localDate(s.Clock.Now(), sc.loc)
	slots, err := s.Slots(ctx, site, code, today, today.AddDate(0, 0, 14))
	if err != nil {
		return nil, err
	}
	if len(slots) > n {
		slots = slots[:n]
	}
	for i := range slots {
		slots[i].Start, slots[i].End = slots[i].Start.In(sc.loc), slots[i].End.In(sc.loc)
	}
	return slots, nil
}

// NoShow is a booking whose visitor never came (its time has passed with
// no check-in) or was marked as not attended.
type NoShow struct {
	Service string
	Start   time.Time
}

// NoShows lists a site's no-show bookings between two instants.
func (s *Store) NoShows(ctx context.Context, site string, from, to time.Time) ([]NoShow, error) {
	var out []NoShow
	err := eachRow(ctx, s.DB.Read, `SELECT service_code, start_at FROM bookings WHERE site_id = ? AND start_at >= ? AND start_at < ?
		AND (status = 'no_show' OR (status = 'booked' AND end_at < ?))`,
		[]any{site, frontdoor.Millis(from), frontdoor.Millis(to), frontdoor.Millis(s.Clock.Now())}, func(rows *sql.Rows) error {
			var n NoShow
			var at int64
			if err := rows.Scan(&n.Service, &at); err != nil {
				return err
			}
			n.Start = frontdoor.FromMillis(at)
			out = append(out, n)
			return nil
		})
	return out, err
}

// QueueDelayText queues, in the queue's transaction, one text telling the
// booking's visitor the new time they expect to be called.
func (s *Store) QueueDelayText(ctx context.Context, tx *sql.Tx, id int64, expected time.Time) error {
	b, err := scanBooking(tx.QueryRowContext(ctx, bookingSelect+` WHERE id = ?`, id))
	if err != nil {
		return fmt.Errorf("booking %d: %w", id, err)
	}
	if _, mobile, _ := NormalizePhone(b.Phone); !mobile {
		return nil
	}
	sc, err := s.loadSchedule(ctx, b.Site, b.Service)
	if err != nil {
		return err
	}
	_, err = notify.Enqueue(ctx, tx, s.Clock.Now(), notify.Message{
		DedupeKey: fmt.Sprintf("booking:%d:%s:%d", b.ID, notify.PurposeDelay, b.sequence),
		Purpose:   notify.PurposeDelay, Site: b.Site, BookingID: b.ID, To: b.Phone,
		Body: notify.DelayText(sc.service.Name, expected.In(sc.loc))})
	return err
}

// OpensFrom is when a site's desks can first see anyone, seen from now: its
// first opening time today if now is before it, else now (open, between
// bands, closed for the day or with no hours set: nothing better is known).
func (s *Store) OpensFrom(ctx context.Context, site string, now time.Time) (time.Time, error) {
	day, err := s.openingDay(ctx, site, now)
	if err != nil || len(day.bands) == 0 {
		return now, err
	}
	if opens := day.at(day.bands[0][0]); now.Before(opens) {
		return opens, nil
	}
	return now, nil
}

// ClosedForTheDay says whether a site has closed for the rest of its local
// day at now (past its last closing time, a day without hours, a whole-day
// closure, or inside a part-day closure that runs to the end of the day),
// and when it next opens. A site with no hours set is never closed: it
// keeps working as before anyone set them. Before opening it is not closed:
// people queue at the door, and the wait forecast counts from opening.
func (s *Store) ClosedForTheDay(ctx context.Context, site string, now time.Time) (bool, time.Time, error) {
	day, err := s.openingDay(ctx, site, now)
	if err != nil || len(day.hours.Weekly) == 0 {
		return false, time.Time{}, err
	}
	local := now.In(day.loc)
	minute := local.Hour()*60 + local.Minute()
	for _, b := range day.bands {
		if minute < b[1] {
			return false, time.Time{}, nil // open now, or opens later today
		}
	}
	for d := 1; d <= 31; d++ {
		next := day.on(time.Date(local.Year(), local.Month(), local.Day()+d, 0, 0, 0, 0, day.loc))
		if len(next.bands) > 0 {
			return true, next.at(next.bands[0][0]), nil
		}
	}
	return true, time.Time{}, nil
}

// openingDay is a site's opening times on one local date, less its closures.
type openingDay struct {
	hours Hours
	loc   *time.Location
	date  time.Time // local midnight
	bands [][2]int  // minutes from midnight, earliest first
}

// openingDay reads the site's hours and works out now's local day.
func (s *Store) openingDay(ctx context.Context, site string, now time.Time) (openingDay, error) {
	st, err := s.Site(ctx, site)
	if err != nil {
		return openingDay{}, err
	}
	h, err := s.Hours(ctx, site)
	if err != nil {
		return openingDay{}, err
	}
	d := openingDay{hours: h, loc: st.Location()}
	l := now.In(d.loc)
	return d.on(time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, d.loc)), nil
}

// on is the same site's opening times on another local date.
func (d openingDay) on(date time.Time) openingDay {
	d.date, d.bands = date, nil
	key := date.Format(time.DateOnly)
	for _, b := range d.hours.Weekly {
		if weekdayIndex(b.Weekday) != int(date.Weekday()) {
			continue
		}
		from, to := minutes(b.Open), minutes(b.Close)
		for _, c := range d.hours.Closures {
			if c.Date != key {
				continue
			}
			if c.From == "" { // the whole day
				from, to = 0, 0
				break
			}
			cf, ct := minutes(c.From), minutes(c.To)
			switch {
			case cf <= from && ct >= to:
				from, to = 0, 0
			case cf <= from && ct > from:
				from = ct
			case cf < to && ct >= to:
				to = cf
			}
		}
		if from < to {
			d.bands = append(d.bands, [2]int{from, to})
		}
	}
	slices.SortFunc(d.bands, func(a, b [2]int) int { return a[0] - b[0] })
	return d
}

// at is minute m of the date's wall clock (right on the days the clocks change).
func (d openingDay) at(m int) time.Time {
	return time.Date(d.date.Year(), d.date.Month(), d.date.Day(), m/60, m%60, 0, 0, d.loc)
}
