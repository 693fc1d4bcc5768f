package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"frontdoor"
)

// The weekly hours and the dated closures, each changed on its own (the
// API's PutHours replaces both at once): the admin pages edit the week on
// one page and add or remove one closure at a time on another, and neither
// must undo what the other did in the meantime.

// PutWeeklyHours replaces a site's weekly opening hours, keeping its closures.
func (s *Store) PutWeeklyHours(ctx context.Context, site string, weekly []HoursBand) ([]HoursBand, error) {
	if _, err := s.Site(ctx, site); err != nil {
		return nil, err
	}
	h, err := validateHours(Hours{Weekly: weekly})
	if err != nil {
		return nil, err
	}
	err = s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM opening_hours WHERE site_id = ?`, site); err != nil {
			return err
		}
		for _, b := range h.Weekly {
			if _, err := tx.ExecContext(ctx, `INSERT INTO opening_hours(site_id, weekday, open, close) VALUES (?, ?, ?, ?)`,
				site, weekdayIndex(b.Weekday), b.Open, b.Close); err != nil {
				return err
			}
		}
		return auditSetup(ctx, tx, s.Clock.Now(), "setup.hours_changed", site, "site:"+site)
	})
	s.schedules.invalidate()
	return h.Weekly, err
}

// StoredClosure is a closure with the id that removes it.
type StoredClosure struct {
	ID int64
	Closure
}

// Closures lists a site's closures by date, each with its id.
func (s *Store) Closures(ctx context.Context, site string) ([]StoredClosure, error) {
	if _, err := s.Site(ctx, site); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT rowid, day, COALESCE(from_time, ''), COALESCE(to_time, ''), reason
		FROM closures WHERE site_id = ? ORDER BY day, from_time`, site)
	if err != nil {
		return nil, fmt.Errorf("read closures: %w", err)
	}
	defer rows.Close()
	out := []StoredClosure{}
	for rows.Next() {
		var c StoredClosure
		if err := rows.Scan(&c.ID, &c.Date, &c.From, &c.To, &c.Reason); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Today is the site's local date now, YYYY-MM-DD.
func (s *Store) Today(site Site) string {
	return s.Clock.Now().In(site.Location()).Format(time.DateOnly)
}

// AddClosure closes a site on a date from today on, for the whole day or
// from From to To, for a reason. Appointments already booked in it are
// kept (it returns how many, so that staff can contact those residents);
// no new ones can be made there.
func (s *Store) AddClosure(ctx context.Context, site string, c Closure) (Closure, int, error) {
	st, err := s.Site(ctx, site)
	if err != nil {
		return Closure{}, 0, err
	}
	fields := map[string]string{}
	day, derr := time.ParseInLocation(time.DateOnly, c.Date, st.Location())
	switch {
	case derr != nil:
		fields["date"] = "Enter a real date, like 24 12 2026"
	case c.Date < s.Today(st):
		fields["date"] = "The date must be today or in the future"
	}
	if c.From != "" || c.To != "" {
		switch {
		case !clockRE.MatchString(c.From):
			fields["from"] = "Enter the time the closure starts as HH:MM, like 13:00"
		case !clockRE.MatchString(c.To):
			fields["to"] = "Enter the time the closure ends as HH:MM, like 17:00"
		case c.To <= c.From:
			fields["to"] = fmt.Sprintf("The end must be after the start (%s)", c.From)
		}
	}
	checkText(fields, "reason", "the reason", c.Reason, 200)
	if len(fields) > 0 {
		return Closure{}, 0, frontdoor.FieldErrors(fields)
	}
	h, err := validateHours(Hours{Closures: []Closure{c}}) // the API's rules, as a last check
	if err != nil {
		return Closure{}, 0, err
	}
	c = h.Closures[0]
	from, to := day, day.AddDate(0, 0, 1)
	if c.From != "" {
		at := func(hhmm string) time.Time { // wall-clock, so a clock-change day counts right
			m := minutes(hhmm)
			return time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, day.Location())
		}
		from, to = at(c.From), at(c.To)
	}
	kept := 0
	err = s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		if exists(ctx, tx, `SELECT 1 FROM closures WHERE site_id = ? AND day = ? AND from_time IS NULL`, site, c.Date) {
			return &frontdoor.Error{Kind: frontdoor.Conflict, Code: "duplicate", Message: "The centre is already closed all that day",
				Fields: map[string]string{"date": "The centre is already closed all that day"}}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO closures(site_id, day, from_time, to_time, reason) VALUES (?, ?, ?, ?, ?)`,
			site, c.Date, nullable(c.From), nullable(c.To), c.Reason); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM bookings WHERE site_id = ? AND status IN ('booked', 'checked_in')
			AND start_at < ? AND end_at > ?`, site, frontdoor.Millis(to), frontdoor.Millis(from)).Scan(&kept); err != nil {
			return err
		}
		return auditChange(ctx, tx, s.Clock, "setup.closure_added", site, "site:"+site, c.auditDetail())
	})
	s.schedules.invalidate()
	return c, kept, err
}

// RemoveClosure opens a site again on a closure's date from today on; a
// past closure stays, as the record of why the centre was shut.
func (s *Store) RemoveClosure(ctx context.Context, site string, id int64) (Closure, error) {
	st, err := s.Site(ctx, site)
	if err != nil {
		return Closure{}, err
	}
	var c Closure
	err = s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT day, COALESCE(from_time, ''), COALESCE(to_time, ''), reason FROM closures
			WHERE rowid = ? AND site_id = ?`, id, site).Scan(&c.Date, &c.From, &c.To, &c.Reason)
		if errors.Is(err, sql.ErrNoRows) {
			return frontdoor.Errorf(frontdoor.NotFound, "not_found", "That closure is no longer there: someone may have removed it already.")
		} else if err != nil {
			return err
		}
		if c.Date < s.Today(st) {
			return frontdoor.Errorf(frontdoor.Conflict, "closure_past", "A closure in the past cannot be removed: it is the record of when the centre was shut.")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM closures WHERE rowid = ? AND site_id = ?`, id, site); err != nil {
			return err
		}
		return auditChange(ctx, tx, s.Clock, "setup.closure_removed", site, "site:"+site, c.auditDetail())
	})
	s.schedules.invalidate()
	return c, err
}

// auditDetail is what the audit keeps of a closure: its date and times, not
// its reason (free text an admin typed).
func (c Closure) auditDetail() map[string]any {
	detail := map[string]any{"date": c.Date}
	if c.From != "" {
		detail["from"], detail["to"] = c.From, c.To
	}
	return detail
}
