package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"frontdoor"
	"frontdoor/booking"
)

// Queue runs the visit queue of every site. Its SQL lives in this package;
// bookings are read and moved along through booking's functions.
type Queue struct {
	DB        *frontdoor.DB
	Clock     frontdoor.Clock
	Booking   *booking.Store
	Policy    Policy
	Publisher frontdoor.Publisher // may be nil
	// AmberWithin marks a waiting ticket amber this long before its due time.
	AmberWithin time.Duration
	// RecallLimit is how many times a ticket may be recalled before it must be marked a no-show.
	RecallLimit int

	// order is held from a write's transaction to the publishing of its
	// events, so screens receive events in the log's order.
	order sync.Mutex

	closed closedDays // closed days' standards, which never change (standards_days.go)
}

// New returns a Queue with the default policy and settings.
func New(db *frontdoor.DB, clock frontdoor.Clock, b *booking.Store, pub frontdoor.Publisher) *Queue {
	return &Queue{DB: db, Clock: clock, Booking: b, Policy: DefaultPolicy, Publisher: pub,
		AmberWithin: 3 * time.Minute, RecallLimit: 3}
}

// Ticket statuses.
const (
	StatusWaiting   = "waiting"
	StatusCalled    = "called"
	StatusServing   = "serving"
	StatusDone      = "done"
	StatusNoShow    = "no_show"
	StatusWithdrawn = "withdrawn"
)

// ticket is a row of the tickets table.
type ticket struct {
	ID            int64
	Site          string
	Service       string
	LocalDay      string
	Letter        string
	Number        string
	Kind          string
	Channel       string
	BookingID     sql.NullInt64
	Priority      bool
	Phone         string
	Appointment   sql.NullInt64
	Arrived       int64
	Due           int64
	ApptTarget    int64 // seconds
	FirstContact  int64
	WalkInTarget  int64
	Status        string
	Desk          sql.NullString
	FirstCalled   sql.NullInt64
	Called        sql.NullInt64
	Recalls       int
	Started       sql.NullInt64
	Finished      sql.NullInt64
	Outcome       string
	FollowUp      bool
	Estimate      sql.NullInt64
	Position      sql.NullInt64
	Offered       bool
	OfferResponse string
	Delayed       sql.NullInt64
	Transfers     int
}

const ticketColumns = `id, site_id, service_code, local_day, letter, number, kind, channel, booking_id, priority, phone, appointment_at,
	arrived_at, due_at, appointment_target_s, first_contact_s, walk_in_target_s, status, desk_id, first_called_at, called_at,
	recalls, started_at, finished_at, outcome, follow_up, estimate_s, position_at_arrival, offered, offer_response, delayed_at, transfers`

func scanTicket(row interface{ Scan(...any) error }) (ticket, error) {
	var t ticket
	err := row.Scan(&t.ID, &t.Site, &t.Service, &t.LocalDay, &t.Letter, &t.Number, &t.Kind, &t.Channel, &t.BookingID, &t.Priority, &t.Phone,
		&t.Appointment, &t.Arrived, &t.Due, &t.ApptTarget, &t.FirstContact, &t.WalkInTarget, &t.Status, &t.Desk, &t.FirstCalled,
		&t.Called, &t.Recalls, &t.Started, &t.Finished, &t.Outcome, &t.FollowUp, &t.Estimate, &t.Position, &t.Offered,
		&t.OfferResponse, &t.Delayed, &t.Transfers)
	return t, err
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func ticketNotFound(id string) error {
	return frontdoor.Errorf(frontdoor.NotFound, "not_found", "There is no ticket %q.", id)
}

// loadTicket reads one ticket by its id as the API writes it.
func loadTicket(ctx context.Context, q queryer, id string) (ticket, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return ticket{}, ticketNotFound(id)
	}
	t, err := scanTicket(q.QueryRowContext(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id = ?`, n))
	if errors.Is(err, sql.ErrNoRows) {
		return ticket{}, ticketNotFound(id)
	}
	if err != nil {
		return ticket{}, fmt.Errorf("read ticket %s: %w", id, err)
	}
	return t, nil
}

// tickets runs a query over tickets.
func tickets(ctx context.Context, q queryer, where string, args ...any) ([]ticket, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read tickets: %w", err)
	}
	defer rows.Close()
	var out []ticket
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// nextNumber gives the next ticket number of a letter at a site on a local day.
func nextNumber(ctx context.Context, tx *sql.Tx, site, day, letter string) (int, string, error) {
	var seq int
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM tickets WHERE site_id = ? AND local_day = ? AND letter = ?`,
		site, day, letter).Scan(&seq)
	if err != nil {
		return 0, "", fmt.Errorf("number ticket: %w", err)
	}
	return seq, fmt.Sprintf("%s%03d", letter, seq), nil
}

// insertTicket writes a new ticket and its "arrived" event.
func (q *Queue) insertTicket(ctx context.Context, tx *sql.Tx, t *ticket) (frontdoor.Event, error) {
	seq, number, err := nextNumber(ctx, tx, t.Site, t.LocalDay, t.Letter)
	if err != nil {
		return frontdoor.Event{}, err
	}
	t.Number = number
	res, err := tx.ExecContext(ctx, `INSERT INTO tickets(site_id, service_code, local_day, letter, seq, number, kind, channel, booking_id,
		priority, phone, appointment_at, arrived_at, due_at, appointment_target_s, first_contact_s, walk_in_target_s, status,
		estimate_s, position_at_arrival, offered, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?, ?)`,
		t.Site, t.Service, t.LocalDay, t.Letter, seq, number, t.Kind, t.Channel, t.BookingID, t.Priority, t.Phone, t.Appointment,
		t.Arrived, t.Due, t.ApptTarget, t.FirstContact, t.WalkInTarget, t.Estimate, t.Position, t.Offered, t.Arrived)
	if err != nil {
		return frontdoor.Event{}, fmt.Errorf("insert ticket: %w", err)
	}
	t.ID, _ = res.LastInsertId()
	t.Status = StatusWaiting
	return q.event(ctx, tx, *t, "arrived", "", true)
}

// event appends to the ticket's event log and returns the event to publish
// once the transaction commits. Lobby screens see only events with staff false.
func (q *Queue) event(ctx context.Context, tx *sql.Tx, t ticket, kind, deskName string, staff bool) (frontdoor.Event, error) {
	now := q.Clock.Now()
	data := map[string]any{"ticket": strconv.FormatInt(t.ID, 10), "number": t.Number, "service": t.Service,
		"at": now.UTC().Format(time.RFC3339)}
	if deskName != "" {
		data["desk"] = deskName
	}
	body, _ := json.Marshal(data)
	res, err := tx.ExecContext(ctx, `INSERT INTO ticket_events(site_id, ticket_id, kind, at, desk_id, actor, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.Site, t.ID, kind, frontdoor.Millis(now), t.Desk, frontdoor.PrincipalFrom(ctx).Label(), string(body))
	if err != nil {
		return frontdoor.Event{}, fmt.Errorf("record %s event: %w", kind, err)
	}
	id, _ := res.LastInsertId()
	return frontdoor.Event{ID: id, Site: t.Site, Kind: kind, At: now, Data: body, Staff: staff}, nil
}

// publish sends events after their transaction has committed.
func (q *Queue) publish(events ...frontdoor.Event) {
	if q.Publisher == nil {
		return
	}
	for _, e := range events {
		if e.ID != 0 {
			q.Publisher.Publish(e)
		}
	}
}

// Get returns one ticket to staff or a device of its site.
func (q *Queue) Get(ctx context.Context, id string) (Ticket, error) {
	t, err := q.authorizedTicket(ctx, id, arrivalRoles)
	if err != nil {
		return Ticket{}, err
	}
	site, err := q.Booking.Site(ctx, t.Site)
	if err != nil {
		return Ticket{}, err
	}
	return q.view(t, site.Location(), q.Clock.Now()), nil
}

// authorizedTicket checks the caller's role before reading the ticket (so
// strangers learn nothing, not even whether it exists), then its site.
func (q *Queue) authorizedTicket(ctx context.Context, id string, roles []string) (ticket, error) {
	if _, err := frontdoor.Authorize(ctx, "", roles...); err != nil {
		return ticket{}, err
	}
	t, err := loadTicket(ctx, q.DB.Read, id)
	if err != nil {
		return ticket{}, err
	}
	if _, err := frontdoor.Authorize(ctx, t.Site, roles...); err != nil {
		return ticket{}, err
	}
	return t, nil
}

// waitingCandidates reads a site's waiting tickets with only what the
// calling policy needs: the hot path of every call and every estimate.
func waitingCandidates(ctx context.Context, q queryer, site string) ([]Candidate, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, service_code, kind, priority, arrived_at, appointment_at, due_at
		FROM tickets WHERE site_id = ? AND status = 'waiting'`, site)
	if err != nil {
		return nil, fmt.Errorf("read waiting tickets: %w", err)
	}
	defer rows.Close()
	var out []Candidate
	for rows.Next() {
		var c Candidate
		var arrived, due int64
		var appt sql.NullInt64
		if err := rows.Scan(&c.ID, &c.Service, &c.Kind, &c.Priority, &arrived, &appt, &due); err != nil {
			return nil, err
		}
		c.Arrived, c.Due = frontdoor.FromMillis(arrived), frontdoor.FromMillis(due)
		if appt.Valid {
			c.Appointment = frontdoor.FromMillis(appt.Int64)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
