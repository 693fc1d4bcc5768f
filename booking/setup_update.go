package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"frontdoor"
	"frontdoor/audit"
)

// Changes to a site's setup after it was created: what the admin pages
// edit. Like the setup writes in store.go, each validates first (nothing is
// written on bad input), writes in one transaction with its audit row, and
// drops the cached schedules so that the next slot list is made afresh.
// None of them touches a booking: an appointment keeps the time, length
// and service it was booked with.

// siteInUse reports whether anyone has booked or visited the site: then its
// time zone is fixed, since bookings' local times, tickets' local days and
// the reports were all worked out in it. It reads the queue's tickets table
// (booking cannot import queue) and only reads it.
func siteInUse(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, site string) (bool, error) {
	var used bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM bookings WHERE site_id = ?1) OR EXISTS(SELECT 1 FROM tickets WHERE site_id = ?1)`, site).Scan(&used)
	if err != nil {
		return false, fmt.Errorf("is site %s in use: %w", site, err)
	}
	return used, nil
}

// SiteInUse reports whether the site has bookings or visits, which fix its time zone.
func (s *Store) SiteInUse(ctx context.Context, site string) (bool, error) {
	return siteInUse(ctx, s.DB.Read, site)
}

// UpdateSite changes a site's name, address, lobby-screen setting and,
// while nobody has booked or visited it, its time zone. The id never changes.
func (s *Store) UpdateSite(ctx context.Context, id string, in SiteInput) (Site, error) {
	if _, err := s.Site(ctx, id); err != nil {
		return Site{}, err
	}
	in.ID = id
	site, err := in.validate()
	if err != nil {
		return Site{}, err
	}
	err = s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := scanSite(tx.QueryRowContext(ctx, siteSelect+` WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return siteNotFound(id)
		} else if err != nil {
			return err
		}
		var changed []string
		for _, f := range []struct {
			name string
			diff bool
		}{{"name", old.Name != site.Name}, {"address", old.Address != site.Address}, {"timezone", old.Timezone != site.Timezone},
			{"display_token_required", old.DisplayTokenRequired != site.DisplayTokenRequired}} {
			if f.diff {
				changed = append(changed, f.name)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		if old.Timezone != site.Timezone {
			used, err := siteInUse(ctx, tx, id)
			if err != nil {
				return err
			}
			if used {
				msg := fmt.Sprintf("The time zone cannot change: %s already has appointments or visits, whose local times were set in %s", old.Name, old.Timezone)
				return &frontdoor.Error{Kind: frontdoor.Conflict, Code: "timezone_fixed", Message: msg, Fields: map[string]string{"timezone": msg}}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sites SET name = ?, address = ?, timezone = ?, display_token_required = ? WHERE id = ?`,
			site.Name, site.Address, site.Timezone, site.DisplayTokenRequired, id); err != nil {
			return err
		}
		return auditChange(ctx, tx, s.Clock, "setup.site_changed", id, "site:"+id, map[string]any{"changed": changed})
	})
	s.schedules.invalidate()
	return site, err
}

// UpdateService changes a service's settings; its code, which tickets and
// bookings refer to, stays. Settings left out (nil) keep their value.
// Booked appointments keep their times and length; visits already in the
// queue keep the standards they arrived with (tickets copy them).
func (s *Store) UpdateService(ctx context.Context, site, code string, in ServiceInput) (Service, error) {
	old, err := s.Service(ctx, site, code)
	if err != nil {
		return Service{}, err
	}
	in.Code = old.Code
	keep := func(p **int, v int) {
		if *p == nil {
			*p = &v
		}
	}
	keep(&in.AppointmentTargetMinutes, old.AppointmentTargetMinutes)
	keep(&in.WalkInFirstContactMinutes, old.WalkInFirstContactMinutes)
	keep(&in.WalkInTargetMinutes, old.WalkInTargetMinutes)
	keep(&in.MinNoticeMinutes, old.MinNoticeMinutes)
	keep(&in.HorizonDays, old.HorizonDays)
	if in.Bookable == nil {
		in.Bookable = &old.Bookable
	}
	if in.WalkIn == nil {
		in.WalkIn = &old.WalkIn
	}
	svc, err := in.validate(site)
	if err != nil {
		return Service{}, err
	}
	changed := serviceChanges(old, svc)
	if len(changed) == 0 {
		return svc, nil
	}
	err = s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		if svc.DurationMinutes != old.DurationMinutes {
			// Places are counted by start time: appointments booked on the old
			// grid would not hold places on the new one, and it would overbook.
			var upcoming int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM bookings WHERE site_id = ? AND service_code = ? AND status = 'booked' AND start_at >= ?`,
				site, svc.Code, frontdoor.Millis(s.Clock.Now())).Scan(&upcoming); err != nil {
				return fmt.Errorf("count upcoming bookings of %s/%s: %w", site, svc.Code, err)
			}
			if upcoming > 0 {
				return &frontdoor.Error{Kind: frontdoor.Conflict, Code: "has_bookings",
					Message: fmt.Sprintf("%s has %d %s booked from now on at %d minutes, so its length cannot change yet.", old.Name, upcoming, appointments(upcoming), old.DurationMinutes),
					Fields:  map[string]string{"duration_minutes": fmt.Sprintf("Keep %d minutes until the %s already booked %s passed, or add a new service with the new length", old.DurationMinutes, appointments(upcoming), have(upcoming))}}
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE services SET name = ?, duration_minutes = ?, ticket_prefix = ?, bookable = ?, walk_in = ?,
			appointment_target_minutes = ?, walk_in_first_contact_minutes = ?, walk_in_target_minutes = ?, min_notice_minutes = ?, horizon_days = ?
			WHERE site_id = ? AND code = ?`,
			svc.Name, svc.DurationMinutes, svc.TicketPrefix, svc.Bookable, svc.WalkIn, svc.AppointmentTargetMinutes,
			svc.WalkInFirstContactMinutes, svc.WalkInTargetMinutes, svc.MinNoticeMinutes, svc.HorizonDays, site, svc.Code)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return serviceNotFound(site, code)
		}
		return auditChange(ctx, tx, s.Clock, "setup.service_changed", site, "service:"+svc.Code, map[string]any{"changed": changed})
	})
	s.schedules.invalidate()
	return svc, err
}

// serviceChanges names the settings (as the API spells them) that differ.
func serviceChanges(a, b Service) []string {
	var out []string
	for _, f := range []struct {
		name string
		diff bool
	}{
		{"name", a.Name != b.Name},
		{"duration_minutes", a.DurationMinutes != b.DurationMinutes},
		{"ticket_prefix", a.TicketPrefix != b.TicketPrefix},
		{"bookable", a.Bookable != b.Bookable},
		{"walk_in", a.WalkIn != b.WalkIn},
		{"appointment_target_minutes", a.AppointmentTargetMinutes != b.AppointmentTargetMinutes},
		{"walk_in_first_contact_minutes", a.WalkInFirstContactMinutes != b.WalkInFirstContactMinutes},
		{"walk_in_target_minutes", a.WalkInTargetMinutes != b.WalkInTargetMinutes},
		{"min_notice_minutes", a.MinNoticeMinutes != b.MinNoticeMinutes},
		{"horizon_days", a.HorizonDays != b.HorizonDays},
	} {
		if f.diff {
			out = append(out, f.name)
		}
	}
	return out
}

// UpcomingBookings counts a service's appointments still to come.
func (s *Store) UpcomingBookings(ctx context.Context, site, code string) (int, error) {
	var n int
	err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM bookings WHERE site_id = ? AND service_code = ? AND status = 'booked' AND start_at >= ?`,
		site, strings.ToUpper(code), frontdoor.Millis(s.Clock.Now())).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count upcoming bookings of %s/%s: %w", site, code, err)
	}
	return n, nil
}

// auditChange is auditSetup with a detail (field names, codes, dates: never
// free text an admin typed).
func auditChange(ctx context.Context, tx *sql.Tx, clock frontdoor.Clock, action, site, subject string, detail map[string]any) error {
	return audit.Record(ctx, tx, clock.Now(), audit.Entry{Action: action, Site: site, Subject: subject, Detail: detail})
}

// AllDesks lists a site's desks, those taken out of use too (Retired).
func (s *Store) AllDesks(ctx context.Context, site string) ([]Desk, error) {
	if _, err := s.Site(ctx, site); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT d.id, d.name, d.retired_at IS NOT NULL, COALESCE(group_concat(ds.service_code, ','), '')
		FROM desks d LEFT JOIN desk_services ds ON ds.site_id = d.site_id AND ds.desk_id = d.id
		WHERE d.site_id = ? GROUP BY d.id ORDER BY d.retired_at IS NOT NULL, d.position`, site)
	if err != nil {
		return nil, fmt.Errorf("list desks: %w", err)
	}
	defer rows.Close()
	list := []Desk{}
	for rows.Next() {
		d := Desk{Site: site}
		var codes string
		if err := rows.Scan(&d.ID, &d.Name, &d.Retired, &codes); err != nil {
			return nil, err
		}
		if codes != "" {
			d.Services = strings.Split(codes, ",")
		}
		list = append(list, d)
	}
	return list, rows.Err()
}

// siteDesk reads a desk of site in tx: NotFound when the site has none by that id.
func siteDesk(ctx context.Context, tx *sql.Tx, site, id string) (name string, retired bool, err error) {
	err = tx.QueryRowContext(ctx, `SELECT name, retired_at IS NOT NULL FROM desks WHERE site_id = ? AND id = ?`, site, id).Scan(&name, &retired)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, frontdoor.Errorf(frontdoor.NotFound, "not_found", "Site %q has no desk %q.", site, id)
	}
	return name, retired, err
}

// UpdateDesk renames a desk and sets the services it serves. A visit open
// at the desk carries on; the desk calls from the new services next time.
func (s *Store) UpdateDesk(ctx context.Context, site, id string, in DeskInput) (Desk, error) {
	if _, err := s.Site(ctx, site); err != nil {
		return Desk{}, err
	}
	in.ID = id
	d, fields := in.validate(site)
	err := s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		if _, _, err := siteDesk(ctx, tx, site, id); err != nil {
			return err
		}
		for _, c := range d.Services {
			if !exists(ctx, tx, `SELECT 1 FROM services WHERE site_id = ? AND code = ?`, site, c) {
				fields["services"] = fmt.Sprintf("Site %q has no service %q", site, c)
				break
			}
		}
		if len(fields) > 0 {
			return frontdoor.FieldErrors(fields)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE desks SET name = ? WHERE site_id = ? AND id = ?`, d.Name, site, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM desk_services WHERE site_id = ? AND desk_id = ?`, site, id); err != nil {
			return err
		}
		for _, c := range d.Services {
			if _, err := tx.ExecContext(ctx, `INSERT INTO desk_services(site_id, desk_id, service_code) VALUES (?, ?, ?)`, site, id, c); err != nil {
				return err
			}
		}
		return auditChange(ctx, tx, s.Clock, "setup.desk_changed", site, "desk:"+id, map[string]any{"services": d.Services})
	})
	return d, err
}

// RetireDesk takes a desk out of use: it leaves the consoles, the queue's
// estimates and the API's lists, but keeps its row so that past visits
// still name it. It is refused while a visitor is called to or being served
// at the desk (read from the queue's tickets, read-only, in this
// transaction, so no call can slip in between the check and the change).
func (s *Store) RetireDesk(ctx context.Context, site, id string) (Desk, error) {
	d := Desk{Site: site, ID: id, Retired: true}
	err := s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		name, retired, err := siteDesk(ctx, tx, site, id)
		if err != nil {
			return err
		}
		d.Name = name
		if retired {
			return nil
		}
		var number string
		err = tx.QueryRowContext(ctx, `SELECT number FROM tickets WHERE desk_id = ? AND status IN ('called', 'serving') LIMIT 1`, id).Scan(&number)
		if err == nil {
			return frontdoor.Errorf(frontdoor.Conflict, "desk_busy",
				"%s has a visitor at it now (ticket %s): finish or transfer that visit first, then take the desk out of use.", name, number)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE desks SET retired_at = ? WHERE site_id = ? AND id = ?`, frontdoor.Millis(s.Clock.Now()), site, id); err != nil {
			return err
		}
		return auditChange(ctx, tx, s.Clock, "setup.desk_retired", site, "desk:"+id, nil)
	})
	return d, err
}

// RestoreDesk puts a desk taken out of use back into use. Whether it is
// staffed is the queue's to say (the admin pages close a desk before they
// take it out of use, so it comes back closed).
func (s *Store) RestoreDesk(ctx context.Context, site, id string) (Desk, error) {
	d := Desk{Site: site, ID: id}
	err := s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		name, retired, err := siteDesk(ctx, tx, site, id)
		if err != nil {
			return err
		}
		d.Name = name
		if !retired {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE desks SET retired_at = NULL WHERE site_id = ? AND id = ?`, site, id); err != nil {
			return err
		}
		return auditChange(ctx, tx, s.Clock, "setup.desk_restored", site, "desk:"+id, nil)
	})
	return d, err
}

func appointments(n int) string {
	if n == 1 {
		return "appointment"
	}
	return "appointments"
}

func have(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}
