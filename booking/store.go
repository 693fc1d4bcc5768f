package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"frontdoor"
)

// Store is booking's access to its tables. All its SQL lives in this package.
type Store struct {
	DB      *frontdoor.DB
	Clock   frontdoor.Clock
	Secrets Secrets
	BaseURL string // the public URL, for links in texts and calendar files
	// MaxPerPhone is how many future bookings one phone number may hold
	// when a resident books (staff are exempt); 0 means no limit.
	MaxPerPhone int

	schedules scheduleCache
	places    placesCache // places taken per slot, for slot lists
	group     groupCommit // bookings arriving together share a commit
}

// NewStore returns a Store. key derives bookings' secrets (see Secrets).
func NewStore(db *frontdoor.DB, clock frontdoor.Clock, key []byte, baseURL string) *Store {
	return &Store{DB: db, Clock: clock, Secrets: Secrets{Key: key}, BaseURL: baseURL}
}

func siteNotFound(id string) error {
	return frontdoor.Errorf(frontdoor.NotFound, "not_found", "There is no site %q.", id)
}

func serviceNotFound(site, code string) error {
	return frontdoor.Errorf(frontdoor.NotFound, "not_found", "Site %q has no service %q.", site, code)
}

// CreateSite adds a site; an id already in use is a Conflict.
func (s *Store) CreateSite(ctx context.Context, in SiteInput) (Site, error) {
	site, err := in.validate()
	if err != nil {
		return Site{}, err
	}
	err = s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		if exists(ctx, tx, `SELECT 1 FROM sites WHERE id = ?`, site.ID) {
			return &frontdoor.Error{Kind: frontdoor.Conflict, Code: "duplicate", Message: fmt.Sprintf("A site with id %q already exists.", site.ID),
				Fields: map[string]string{"id": "This id is already used by another site"}}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sites(id, name, address, timezone, display_token_required, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, site.ID, site.Name, site.Address, site.Timezone, site.DisplayTokenRequired, frontdoor.Millis(s.Clock.Now()))
		if err != nil {
			return err
		}
		return auditSetup(ctx, tx, s.Clock.Now(), "setup.site_created", site.ID, "site:"+site.ID)
	})
	s.schedules.invalidate()
	return site, err
}

const siteSelect = `SELECT id, name, address, timezone, display_token_required FROM sites`

func scanSite(row interface{ Scan(...any) error }) (Site, error) {
	var st Site
	err := row.Scan(&st.ID, &st.Name, &st.Address, &st.Timezone, &st.DisplayTokenRequired)
	return st, err
}

// Sites lists every site by name.
func (s *Store) Sites(ctx context.Context) ([]Site, error) {
	rows, err := s.DB.Read.QueryContext(ctx, siteSelect+` ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	defer rows.Close()
	sites := []Site{}
	for rows.Next() {
		st, err := scanSite(rows)
		if err != nil {
			return nil, err
		}
		sites = append(sites, st)
	}
	return sites, rows.Err()
}

// Site returns one site, or NotFound.
func (s *Store) Site(ctx context.Context, id string) (Site, error) {
	st, err := scanSite(s.DB.Read.QueryRowContext(ctx, siteSelect+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Site{}, siteNotFound(id)
	}
	if err != nil {
		return Site{}, fmt.Errorf("read site %s: %w", id, err)
	}
	return st, nil
}

// CreateService adds a service to a site.
func (s *Store) CreateService(ctx context.Context, site string, in ServiceInput) (Service, error) {
	if _, err := s.Site(ctx, site); err != nil {
		return Service{}, err
	}
	svc, err := in.validate(site)
	if err != nil {
		return Service{}, err
	}
	err = s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		if exists(ctx, tx, `SELECT 1 FROM services WHERE site_id = ? AND code = ?`, site, svc.Code) {
			return &frontdoor.Error{Kind: frontdoor.Conflict, Code: "duplicate", Message: fmt.Sprintf("Site %q already has a service %q.", site, svc.Code),
				Fields: map[string]string{"code": "This code is already used at this site"}}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO services(site_id, code, name, duration_minutes, ticket_prefix, bookable, walk_in,
			appointment_target_minutes, walk_in_first_contact_minutes, walk_in_target_minutes, min_notice_minutes, horizon_days, position)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM services WHERE site_id = ?))`,
			site, svc.Code, svc.Name, svc.DurationMinutes, svc.TicketPrefix, svc.Bookable, svc.WalkIn,
			svc.AppointmentTargetMinutes, svc.WalkInFirstContactMinutes, svc.WalkInTargetMinutes, svc.MinNoticeMinutes, svc.HorizonDays, site)
		if err != nil {
			return err
		}
		return auditSetup(ctx, tx, s.Clock.Now(), "setup.service_created", site, "service:"+svc.Code)
	})
	s.schedules.invalidate()
	return svc, err
}

const serviceSelect = `SELECT site_id, code, name, duration_minutes, ticket_prefix, bookable, walk_in,
	appointment_target_minutes, walk_in_first_contact_minutes, walk_in_target_minutes, min_notice_minutes, horizon_days FROM services`

func scanService(row interface{ Scan(...any) error }) (Service, error) {
	var v Service
	err := row.Scan(&v.Site, &v.Code, &v.Name, &v.DurationMinutes, &v.TicketPrefix, &v.Bookable, &v.WalkIn,
		&v.AppointmentTargetMinutes, &v.WalkInFirstContactMinutes, &v.WalkInTargetMinutes, &v.MinNoticeMinutes, &v.HorizonDays)
	return v, err
}

// Services lists a site's services in the order they were added.
func (s *Store) Services(ctx context.Context, site string) ([]Service, error) {
	if _, err := s.Site(ctx, site); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, serviceSelect+` WHERE site_id = ? ORDER BY position`, site)
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	defer rows.Close()
	list := []Service{}
	for rows.Next() {
		v, err := scanService(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

// Service returns one service, or NotFound.
func (s *Store) Service(ctx context.Context, site, code string) (Service, error) {
	v, err := scanService(s.DB.Read.QueryRowContext(ctx, serviceSelect+` WHERE site_id = ? AND code = ?`, site, strings.ToUpper(code)))
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.Site(ctx, site); err != nil {
			return Service{}, err
		}
		return Service{}, serviceNotFound(site, code)
	}
	if err != nil {
		return Service{}, fmt.Errorf("read service %s/%s: %w", site, code, err)
	}
	return v, nil
}

// CreateDesk adds a desk; desk ids are unique across all sites.
func (s *Store) CreateDesk(ctx context.Context, site string, in DeskInput) (Desk, error) {
	if _, err := s.Site(ctx, site); err != nil {
		return Desk{}, err
	}
	d, fields := in.validate(site)
	err := s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		unknown := false // a 422 only when the one fault is a service the site lacks
		for _, c := range d.Services {
			if !exists(ctx, tx, `SELECT 1 FROM services WHERE site_id = ? AND code = ?`, site, c) {
				fields["services"] = fmt.Sprintf("Site %q has no service %q", site, c)
				unknown = true
				break
			}
		}
		if len(fields) > 0 {
			e := frontdoor.FieldErrors(fields)
			if unknown && len(fields) == 1 {
				e.Kind, e.Code = frontdoor.Unprocessable, "unknown_service"
			}
			return e
		}
		if exists(ctx, tx, `SELECT 1 FROM desks WHERE id = ?`, d.ID) {
			return &frontdoor.Error{Kind: frontdoor.Conflict, Code: "duplicate", Message: fmt.Sprintf("A desk with id %q already exists.", d.ID),
				Fields: map[string]string{"id": "This id is already used by another desk"}}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO desks(site_id, id, name, position)
			VALUES (?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM desks WHERE site_id = ?))`, site, d.ID, d.Name, site); err != nil {
			return err
		}
		for _, c := range d.Services {
			if _, err := tx.ExecContext(ctx, `INSERT INTO desk_services(site_id, desk_id, service_code) VALUES (?, ?, ?)`, site, d.ID, c); err != nil {
				return err
			}
		}
		return auditSetup(ctx, tx, s.Clock.Now(), "setup.desk_created", site, "desk:"+d.ID)
	})
	return d, err
}

// Desks lists a site's desks in use with their services, in the site's
// order (AllDesks adds those taken out of use).
func (s *Store) Desks(ctx context.Context, site string) ([]Desk, error) {
	all, err := s.AllDesks(ctx, site)
	if err != nil {
		return nil, err
	}
	inUse := all[:0]
	for _, d := range all {
		if !d.Retired {
			inUse = append(inUse, d)
		}
	}
	return inUse, nil
}

// Desk returns one desk in use by its id, or NotFound.
func (s *Store) Desk(ctx context.Context, id string) (Desk, error) {
	var d Desk
	var codes string
	var retired sql.NullInt64
	err := s.DB.Read.QueryRowContext(ctx, `SELECT d.site_id, d.id, d.name, d.retired_at, COALESCE(group_concat(ds.service_code, ','), '')
		FROM desks d LEFT JOIN desk_services ds ON ds.site_id = d.site_id AND ds.desk_id = d.id
		WHERE d.id = ? GROUP BY d.id`, id).Scan(&d.Site, &d.ID, &d.Name, &retired, &codes)
	if errors.Is(err, sql.ErrNoRows) {
		return Desk{}, frontdoor.Errorf(frontdoor.NotFound, "not_found", "There is no desk %q.", id)
	}
	if err != nil {
		return Desk{}, fmt.Errorf("read desk %s: %w", id, err)
	}
	if retired.Valid { // out of use: nobody calls, opens or is sent to it
		return Desk{}, frontdoor.Errorf(frontdoor.NotFound, "not_found", "%s has been taken out of use.", d.Name)
	}
	d.Services = strings.Split(codes, ",")
	return d, nil
}

// PutHours replaces a site's weekly hours and closures.
func (s *Store) PutHours(ctx context.Context, site string, h Hours) (Hours, error) {
	if _, err := s.Site(ctx, site); err != nil {
		return Hours{}, err
	}
	h, err := validateHours(h)
	if err != nil {
		return Hours{}, err
	}
	err = s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM opening_hours WHERE site_id = ?`, `DELETE FROM closures WHERE site_id = ?`} {
			if _, err := tx.ExecContext(ctx, q, site); err != nil {
				return err
			}
		}
		for _, b := range h.Weekly {
			if _, err := tx.ExecContext(ctx, `INSERT INTO opening_hours(site_id, weekday, open, close) VALUES (?, ?, ?, ?)`,
				site, weekdayIndex(b.Weekday), b.Open, b.Close); err != nil {
				return err
			}
		}
		for _, c := range h.Closures {
			if _, err := tx.ExecContext(ctx, `INSERT INTO closures(site_id, day, from_time, to_time, reason) VALUES (?, ?, ?, ?, ?)`,
				site, c.Date, nullable(c.From), nullable(c.To), c.Reason); err != nil {
				return err
			}
		}
		return auditSetup(ctx, tx, s.Clock.Now(), "setup.hours_changed", site, "site:"+site)
	})
	s.schedules.invalidate()
	return h, err
}

// Hours returns a site's weekly hours and closures.
func (s *Store) Hours(ctx context.Context, site string) (Hours, error) {
	if _, err := s.Site(ctx, site); err != nil {
		return Hours{}, err
	}
	h := Hours{Weekly: []HoursBand{}, Closures: []Closure{}}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT weekday, open, close FROM opening_hours WHERE site_id = ? ORDER BY weekday, open`, site)
	if err != nil {
		return Hours{}, fmt.Errorf("read hours: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b HoursBand
		var d int
		if err := rows.Scan(&d, &b.Open, &b.Close); err != nil {
			return Hours{}, err
		}
		b.Weekday = weekdayName(d)
		h.Weekly = append(h.Weekly, b)
	}
	if err := rows.Err(); err != nil {
		return Hours{}, err
	}
	crows, err := s.DB.Read.QueryContext(ctx, `SELECT day, COALESCE(from_time, ''), COALESCE(to_time, ''), reason
		FROM closures WHERE site_id = ? ORDER BY day, from_time`, site)
	if err != nil {
		return Hours{}, fmt.Errorf("read closures: %w", err)
	}
	defer crows.Close()
	for crows.Next() {
		var c Closure
		if err := crows.Scan(&c.Date, &c.From, &c.To, &c.Reason); err != nil {
			return Hours{}, err
		}
		h.Closures = append(h.Closures, c)
	}
	return h, crows.Err()
}

// PutCapacity replaces a service's weekly capacity bands.
func (s *Store) PutCapacity(ctx context.Context, site, code string, c Capacity) (Capacity, error) {
	svc, err := s.Service(ctx, site, code)
	if err != nil {
		return Capacity{}, err
	}
	c, err = validateCapacity(c)
	if err != nil {
		return Capacity{}, err
	}
	err = s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM capacity_bands WHERE site_id = ? AND service_code = ?`, site, svc.Code); err != nil {
			return err
		}
		for _, b := range c.Weekly {
			if _, err := tx.ExecContext(ctx, `INSERT INTO capacity_bands(site_id, service_code, weekday, from_time, to_time, parallel)
				VALUES (?, ?, ?, ?, ?, ?)`, site, svc.Code, weekdayIndex(b.Weekday), b.From, b.To, b.Parallel); err != nil {
				return err
			}
		}
		return auditSetup(ctx, tx, s.Clock.Now(), "setup.capacity_changed", site, "service:"+svc.Code)
	})
	s.schedules.invalidate()
	return c, err
}

// Capacity returns a service's weekly capacity bands.
func (s *Store) Capacity(ctx context.Context, site, code string) (Capacity, error) {
	svc, err := s.Service(ctx, site, code)
	if err != nil {
		return Capacity{}, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT weekday, from_time, to_time, parallel FROM capacity_bands
		WHERE site_id = ? AND service_code = ? ORDER BY weekday, from_time`, site, svc.Code)
	if err != nil {
		return Capacity{}, fmt.Errorf("read capacity: %w", err)
	}
	defer rows.Close()
	c := Capacity{Weekly: []CapacityBand{}}
	for rows.Next() {
		var b CapacityBand
		var d int
		if err := rows.Scan(&d, &b.From, &b.To, &b.Parallel); err != nil {
			return Capacity{}, err
		}
		b.Weekday = weekdayName(d)
		c.Weekly = append(c.Weekly, b)
	}
	return c, rows.Err()
}

func exists(ctx context.Context, tx *sql.Tx, q string, args ...any) bool {
	var one int
	return tx.QueryRowContext(ctx, q, args...).Scan(&one) == nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
