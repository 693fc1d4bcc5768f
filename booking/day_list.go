package booking

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"frontdoor"
)

// DayBooking is one appointment on a site's list for a day, as reception
// sees it. It holds personal data: callers check the role first.
type DayBooking struct {
	ID        int64 // the booking's row id, which the queue's tickets refer to
	Reference string
	Name      string
	Phone     string // E.164
	Service   string // the service's code
	Start     time.Time
	End       time.Time // both in the site's zone
	Status    string
	Needs     Needs
	People    int
	Channel   string
}

// DayList returns a site's appointments on one local date (YYYY-MM-DD, in
// the site's zone) by start time, leaving out the cancelled ones.
func (s *Store) DayList(ctx context.Context, site, date string) ([]DayBooking, error) {
	st, err := s.Site(ctx, site)
	if err != nil {
		return nil, err
	}
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return nil, frontdoor.FieldErrors(map[string]string{"date": "Give the date like 2026-12-01"})
	}
	loc := st.Location()
	from := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
	to := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
	list := []DayBooking{}
	err = eachRow(ctx, s.DB.Read, `SELECT id, reference, name, phone, service_code, start_at, end_at, status, needs, people, channel
		FROM bookings WHERE site_id = ? AND start_at >= ? AND start_at < ? AND status <> 'cancelled' ORDER BY start_at, id`,
		[]any{site, frontdoor.Millis(from), frontdoor.Millis(to)}, func(rows *sql.Rows) error {
			var b DayBooking
			var start, end int64
			var needs string
			if err := rows.Scan(&b.ID, &b.Reference, &b.Name, &b.Phone, &b.Service, &start, &end, &b.Status, &needs, &b.People, &b.Channel); err != nil {
				return err
			}
			b.Start, b.End = frontdoor.FromMillis(start).In(loc), frontdoor.FromMillis(end).In(loc)
			json.Unmarshal([]byte(needs), &b.Needs)
			list = append(list, b)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("day list of %s on %s: %w", site, date, err)
	}
	return list, nil
}
