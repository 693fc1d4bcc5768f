package booking

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"frontdoor"
	"frontdoor/notify"
)

// ReminderRule says when a booking's reminder text goes: a number of local
// days before the appointment at a local time of day ("-1d@10:00", the
// default: the day before at 10:00 in the site's zone), or a fixed time
// before it ("-2h", "-90m"), or never ("off").
type ReminderRule struct {
	Off        bool
	Before     time.Duration // when > 0: this long before the start
	DaysBefore int           // otherwise: this many local days before,
	At         int           // at this many minutes after local midnight
}

// DefaultReminder is the day before at 10:00, local time.
var DefaultReminder = ReminderRule{DaysBefore: 1, At: 10 * 60}

var dayRule = regexp.MustCompile(`^-?([0-9]{1,2})d@([0-9]{1,2}):([0-9]{2})$`)

// ParseReminder reads FRONTDOOR_REMINDER; "" is the default.
func ParseReminder(s string) (ReminderRule, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "":
		return DefaultReminder, nil
	case "off", "none", "0":
		return ReminderRule{Off: true}, nil
	}
	if m := dayRule.FindStringSubmatch(s); m != nil {
		d, _ := strconv.Atoi(m[1])
		h, _ := strconv.Atoi(m[2])
		min, _ := strconv.Atoi(m[3])
		if h < 24 && min < 60 && d <= 30 {
			return ReminderRule{DaysBefore: d, At: h*60 + min}, nil
		}
	} else if d, err := time.ParseDuration(strings.TrimPrefix(s, "-")); err == nil && d >= time.Minute && d <= 30*24*time.Hour {
		return ReminderRule{Before: d}, nil
	}
	return ReminderRule{}, fmt.Errorf(`reminder %q: write the day before at 10:00 as "-1d@10:00", two hours before as "-2h", or "off"`, s)
}

func (r ReminderRule) String() string {
	switch {
	case r.Off:
		return "off"
	case r.Before > 0:
		return "-" + r.Before.String()
	}
	return fmt.Sprintf("-%dd@%02d:%02d", r.DaysBefore, r.At/60, r.At%60)
}

// due is when the reminder for an appointment starting at start goes.
func (r ReminderRule) due(start time.Time, loc *time.Location) time.Time {
	if r.Before > 0 {
		return start.Add(-r.Before)
	}
	l := start.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()-r.DaysBefore, r.At/60, r.At%60, 0, 0, loc)
}

// lead is the furthest ahead of an appointment its reminder can fall.
func (r ReminderRule) lead() time.Duration {
	if r.Before > 0 {
		return r.Before
	}
	return time.Duration(r.DaysBefore+1)*24*time.Hour + 2*time.Hour // a clock change lengthens a day by one
}

// minNotice: a booking made (or moved) less than this ahead gets no reminder.
const minNotice = 24 * time.Hour

// QueueReminders queues the reminders that are due at now: one per booking
// and time (dedupe key booking:ID:reminder:SEQUENCE, so a moved booking has
// one for its new time), for bookings still booked, on a mobile, made at
// least 24 hours ahead and before their reminder time (a booking made after
// it had its confirmation moments ago). A reminder whose time passed while
// the service was stopped goes late, as long as the appointment is still to
// come. Each booking's decision is recorded (reminded_seq), so each run
// reads only bookings not yet decided. It reports how many it queued.
func (s *Store) QueueReminders(ctx context.Context, now time.Time, rule ReminderRule) (int, error) {
	if rule.Off {
		return 0, nil
	}
	type candidate struct {
		id, made    int64
		site, code  string
		start       time.Time
		seq         int
		phoneMobile bool
	}
	var due []candidate
	err := eachRow(ctx, s.DB.Read, `SELECT id, site_id, service_code, start_at, updated_at, sequence, phone FROM bookings
		WHERE status = 'booked' AND start_at > ? AND start_at <= ? AND (reminded_seq IS NULL OR reminded_seq <> sequence)`,
		[]any{frontdoor.Millis(now), frontdoor.Millis(now.Add(rule.lead()))}, func(rows *sql.Rows) error {
			var c candidate
			var start int64
			var phone string
			if err := rows.Scan(&c.id, &c.site, &c.code, &start, &c.made, &c.seq, &phone); err != nil {
				return err
			}
			c.start = frontdoor.FromMillis(start)
			_, c.phoneMobile, _ = NormalizePhone(phone)
			due = append(due, c)
			return nil
		})
	if err != nil {
		return 0, fmt.Errorf("find bookings to remind: %w", err)
	}
	// Keep those whose reminder time has come; most runs find none.
	var scs []*schedule
	var ats []time.Time
	ready := due[:0]
	for _, c := range due {
		sc, err := s.loadSchedule(ctx, c.site, c.code)
		if err != nil {
			return 0, err
		}
		if at := rule.due(c.start, sc.loc); !at.After(now) {
			ready, scs, ats = append(ready, c), append(scs, sc), append(ats, at)
		}
	}
	queued := 0
	for start := 0; start < len(ready); start += 100 { // keep each write transaction short
		end := min(start+100, len(ready))
		n := 0
		err := s.DB.WithTx(ctx, func(tx *sql.Tx) error {
			n = 0
			for i := start; i < end; i++ {
				c, at := ready[i], ats[i]
				made := frontdoor.FromMillis(c.made)
				if c.phoneMobile && c.start.Sub(made) >= minNotice && !at.Before(made) {
					b, err := scanBooking(tx.QueryRowContext(ctx, bookingSelect+` WHERE id = ? AND status = 'booked' AND sequence = ?`, c.id, c.seq))
					if err == sql.ErrNoRows {
						continue // changed since it was read: the next run sees it afresh
					} else if err != nil {
						return fmt.Errorf("read booking %d: %w", c.id, err)
					}
					if err := s.queueText(ctx, tx, now, scs[i], b, notify.PurposeReminder, notify.ReminderText); err != nil {
						return err
					}
					n++
				}
				if _, err := tx.ExecContext(ctx, `UPDATE bookings SET reminded_seq = sequence WHERE id = ? AND sequence = ?`, c.id, c.seq); err != nil {
					return fmt.Errorf("booking %d: record its reminder: %w", c.id, err)
				}
			}
			return nil
		})
		if err != nil {
			return queued, err
		}
		queued += n
	}
	return queued, nil
}
