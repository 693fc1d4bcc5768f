package queue

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"frontdoor"
	"frontdoor/booking"
	"frontdoor/notify"
)

// deskRoles may call and serve visitors.
var deskRoles = []string{frontdoor.RoleOfficer, frontdoor.RoleReception, frontdoor.RoleManager}

// CallNext finishes any visit still open at the desk, then calls the ticket
// the policy picks among those waiting for the desk's services. It reports
// nil when no one is waiting for this desk. Every call runs in the one write
// transaction, so two desks pressing together get two different tickets.
// service, when not "", limits the call to one of the desk's services.
func (q *Queue) CallNext(ctx context.Context, deskID, service string) (*Ticket, error) {
	desk, err := q.Booking.Desk(ctx, deskID)
	if err != nil {
		return nil, err
	}
	if _, err := frontdoor.Authorize(ctx, desk.Site, deskRoles...); err != nil {
		return nil, err
	}
	services := desk.Services
	if service != "" {
		service = strings.ToUpper(strings.TrimSpace(service))
		if !slices.Contains(desk.Services, service) {
			return nil, &frontdoor.Error{Kind: frontdoor.Unprocessable, Code: "service_not_served",
				Message: fmt.Sprintf("%s does not serve %s.", desk.Name, service), Fields: map[string]string{"service": "Choose a service this desk serves"}}
		}
		services = []string{service}
	}
	site, err := q.Booking.Site(ctx, desk.Site)
	if err != nil {
		return nil, err
	}
	now := q.Clock.Now()
	var picked *ticket
	var events []frontdoor.Event
	q.order.Lock()
	defer q.order.Unlock()
	err = q.DB.WithTx(ctx, func(tx *sql.Tx) error {
		open, err := tickets(ctx, tx, `desk_id = ? AND status IN ('called', 'serving')`, desk.ID)
		if err != nil {
			return err
		}
		for _, t := range open {
			ev, err := q.finish(ctx, tx, t, "", false)
			if err != nil {
				return err
			}
			events = append(events, ev)
		}
		if err := q.openDesk(ctx, tx, desk.Site, desk.ID, true); err != nil {
			return err
		}
		cands, err := waitingCandidates(ctx, tx, desk.Site)
		if err != nil {
			return err
		}
		i := q.Policy.Next(now, services, cands)
		if i < 0 {
			return nil
		}
		t, err := loadTicket(ctx, tx, strconv.FormatInt(cands[i].ID, 10))
		if err != nil {
			return err
		}
		t.Status, t.Desk = StatusCalled, sql.NullString{String: desk.ID, Valid: true}
		t.Called = sql.NullInt64{Int64: frontdoor.Millis(now), Valid: true}
		if !t.FirstCalled.Valid {
			t.FirstCalled = t.Called
		}
		res, err := tx.ExecContext(ctx, `UPDATE tickets SET status = 'called', desk_id = ?, called_at = ?, first_called_at = ?, updated_at = ?
			WHERE id = ? AND status = 'waiting'`, desk.ID, t.Called.Int64, t.FirstCalled.Int64, t.Called.Int64, t.ID)
		if err != nil {
			return fmt.Errorf("call ticket %s: %w", t.Number, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("call ticket %s: it was no longer waiting", t.Number)
		}
		if t.BookingID.Valid {
			if err := q.Booking.SetVisitStatus(ctx, tx, t.BookingID.Int64, booking.StatusCheckedIn, booking.StatusSeen); err != nil && !frontdoor.IsKind(err, frontdoor.Conflict) {
				return err
			}
		}
		ev, err := q.event(ctx, tx, t, "called", desk.Name, false)
		if err != nil {
			return err
		}
		if err := q.textCalled(ctx, tx, t, desk.Name, now); err != nil {
			return err
		}
		events = append(events, ev)
		picked = &t
		return nil
	})
	if err != nil {
		return nil, err
	}
	q.publish(events...)
	if picked == nil {
		return nil, nil
	}
	v := q.view(*picked, site.Location(), now)
	v.Desk = desk.ID
	return &v, nil
}

// finish closes a visit at a desk.
func (q *Queue) finish(ctx context.Context, tx *sql.Tx, t ticket, outcome string, followUp bool) (frontdoor.Event, error) {
	now := frontdoor.Millis(q.Clock.Now())
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET status = 'done', finished_at = ?, outcome = ?, follow_up = ?, updated_at = ?
		WHERE id = ?`, now, outcome, followUp, now, t.ID); err != nil {
		return frontdoor.Event{}, fmt.Errorf("finish ticket %s: %w", t.Number, err)
	}
	t.Status = StatusDone
	if err := q.textAfterVisit(ctx, tx, t); err != nil {
		return frontdoor.Event{}, err
	}
	return q.event(ctx, tx, t, "finished", "", true)
}

// visitorMobile is the number to text a ticket's visitor on: their
// booking's mobile, or the one a walk-in left; "" if none.
func (q *Queue) visitorMobile(ctx context.Context, tx *sql.Tx, t ticket) (string, error) {
	if t.BookingID.Valid {
		return q.Booking.VisitPhone(ctx, tx, t.BookingID.Int64)
	}
	return t.Phone, nil
}

// textCalled queues "please go to desk N" in the call's transaction, once
// per call of the ticket (a ticket transferred is called again).
func (q *Queue) textCalled(ctx context.Context, tx *sql.Tx, t ticket, deskName string, now time.Time) error {
	phone, err := q.visitorMobile(ctx, tx, t)
	if err != nil || phone == "" {
		return err
	}
	var calls int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ticket_events WHERE ticket_id = ? AND kind = 'called'`, t.ID).Scan(&calls); err != nil {
		return err
	}
	_, err = notify.Enqueue(ctx, tx, now, notify.Message{DedupeKey: fmt.Sprintf("ticket:%d:%s:%d", t.ID, notify.PurposeCalled, calls),
		Purpose: notify.PurposeCalled, Site: t.Site, TicketID: t.ID, BookingID: t.BookingID.Int64, To: phone,
		Body: notify.CalledText(t.Number, deskName)})
	return err
}

// textAfterVisit queues the post-visit question, where the site asks it.
func (q *Queue) textAfterVisit(ctx context.Context, tx *sql.Tx, t ticket) error {
	phone, err := q.visitorMobile(ctx, tx, t)
	if err != nil || phone == "" {
		return err
	}
	return notify.QueueSatisfaction(ctx, tx, q.Clock.Now(), notify.Visit{Site: t.Site, TicketID: t.ID, BookingID: t.BookingID.Int64, Phone: phone,
		SiteName: func() string {
			st, _ := q.Booking.Site(ctx, t.Site)
			return st.Name
		}})
}

func (q *Queue) openDesk(ctx context.Context, tx *sql.Tx, site, desk string, open bool) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO desk_sessions(desk_id, site_id, open, changed_at, actor) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(desk_id) DO UPDATE SET open = excluded.open, changed_at = excluded.changed_at, actor = excluded.actor
		WHERE desk_sessions.open <> excluded.open`,
		desk, site, open, frontdoor.Millis(q.Clock.Now()), frontdoor.PrincipalFrom(ctx).Label())
	if err != nil {
		return fmt.Errorf("desk %s: %w", desk, err)
	}
	return nil
}

// SetDeskOpen records a desk as staffed or not, for wait estimates.
// Closing a desk with a visit still open is refused.
func (q *Queue) SetDeskOpen(ctx context.Context, deskID string, open bool) error {
	desk, err := q.Booking.Desk(ctx, deskID)
	if err != nil {
		return err
	}
	if _, err := frontdoor.Authorize(ctx, desk.Site, deskRoles...); err != nil {
		return err
	}
	return q.DB.WithTx(ctx, func(tx *sql.Tx) error {
		if !open {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tickets WHERE desk_id = ? AND status IN ('called', 'serving')`, deskID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return frontdoor.Errorf(frontdoor.Conflict, "desk_busy", "%s still has a visitor: finish or transfer the visit first.", desk.Name)
			}
		}
		return q.openDesk(ctx, tx, desk.Site, deskID, open)
	})
}

// Action is a change to one ticket that a desk makes.
type Action struct {
	Kind     string // recall, start, finish, no_show, transfer, decline_offer
	Outcome  string // finish: resolved or not_resolved (optional)
	FollowUp bool   // finish
	Service  string // transfer: the receiving service
}

// Act applies a desk's action to a ticket, checking that the ticket is in a
// state where the action makes sense; a stale page gets a 409 saying what
// happened instead.
func (q *Queue) Act(ctx context.Context, id string, a Action) (Ticket, error) {
	roles := deskRoles
	if a.Kind == "decline_offer" {
		roles = arrivalRoles
	}
	t, err := q.authorizedTicket(ctx, id, roles)
	if err != nil {
		return Ticket{}, err
	}
	site, err := q.Booking.Site(ctx, t.Site)
	if err != nil {
		return Ticket{}, err
	}
	var target booking.Service
	if a.Kind == "transfer" {
		if strings.TrimSpace(a.Service) == "" {
			return Ticket{}, frontdoor.FieldErrors(map[string]string{"service": "Choose the service to transfer to"})
		}
		if target, err = q.Booking.Service(ctx, t.Site, a.Service); err != nil {
			if frontdoor.IsKind(err, frontdoor.NotFound) {
				return Ticket{}, &frontdoor.Error{Kind: frontdoor.Unprocessable, Code: "unknown_service",
					Message: fmt.Sprintf("There is no service %q here to transfer to.", a.Service), Fields: map[string]string{"service": "Choose a service this centre offers"}}
			}
			return Ticket{}, err
		}
	}
	if a.Kind == "finish" && a.Outcome != "" && a.Outcome != "resolved" && a.Outcome != "not_resolved" {
		return Ticket{}, frontdoor.FieldErrors(map[string]string{"outcome": "Outcome must be resolved or not_resolved"})
	}
	now := q.Clock.Now()
	var events []frontdoor.Event
	q.order.Lock()
	defer q.order.Unlock()
	err = q.DB.WithTx(ctx, func(tx *sql.Tx) error {
		if t, err = loadTicket(ctx, tx, id); err != nil {
			return err
		}
		stale := func(doing string) error {
			return frontdoor.Errorf(frontdoor.Conflict, "stale", "Ticket %s cannot be %s: it is %s.", t.Number, doing, statusWords(t))
		}
		ms := frontdoor.Millis(now)
		var ev frontdoor.Event
		switch a.Kind {
		case "recall":
			if t.Status != StatusCalled {
				return stale("recalled")
			}
			if t.Recalls >= q.RecallLimit {
				return frontdoor.Errorf(frontdoor.Conflict, "recall_limit", "Ticket %s has been recalled %d times: mark it as a no-show.", t.Number, t.Recalls)
			}
			t.Recalls++
			if _, err := tx.ExecContext(ctx, `UPDATE tickets SET recalls = ?, called_at = ?, updated_at = ? WHERE id = ?`, t.Recalls, ms, ms, t.ID); err != nil {
				return err
			}
			desk, err := q.Booking.Desk(ctx, t.Desk.String)
			if err != nil {
				return err
			}
			ev, err = q.event(ctx, tx, t, "recalled", desk.Name, false)
			if err != nil {
				return err
			}
		case "start":
			if t.Status != StatusCalled {
				return stale("started")
			}
			t.Status, t.Started = StatusServing, sql.NullInt64{Int64: ms, Valid: true}
			if _, err := tx.ExecContext(ctx, `UPDATE tickets SET status = 'serving', started_at = ?, updated_at = ? WHERE id = ?`, ms, ms, t.ID); err != nil {
				return err
			}
			if ev, err = q.event(ctx, tx, t, "started", "", true); err != nil {
				return err
			}
		case "finish":
			if t.Status != StatusCalled && t.Status != StatusServing {
				return stale("finished")
			}
			if ev, err = q.finish(ctx, tx, t, a.Outcome, a.FollowUp); err != nil {
				return err
			}
			t.Status, t.Outcome, t.FollowUp, t.Finished = StatusDone, a.Outcome, a.FollowUp, sql.NullInt64{Int64: ms, Valid: true}
		case "no_show":
			if t.Status != StatusCalled {
				return stale("marked as a no-show")
			}
			if _, err := tx.ExecContext(ctx, `UPDATE tickets SET status = 'no_show', finished_at = ?, updated_at = ? WHERE id = ?`, ms, ms, t.ID); err != nil {
				return err
			}
			if t.BookingID.Valid {
				if err := q.Booking.SetVisitStatus(ctx, tx, t.BookingID.Int64, booking.StatusSeen, booking.StatusNoShow); err != nil && !frontdoor.IsKind(err, frontdoor.Conflict) {
					return err
				}
			}
			t.Status = StatusNoShow
			if ev, err = q.event(ctx, tx, t, "no_show", "", true); err != nil {
				return err
			}
		case "transfer":
			if t.Status != StatusCalled && t.Status != StatusServing && t.Status != StatusWaiting {
				return stale("transferred")
			}
			if target.Code == t.Service {
				return &frontdoor.Error{Kind: frontdoor.Unprocessable, Code: "same_service",
					Message: fmt.Sprintf("Ticket %s is already for %s.", t.Number, target.Name), Fields: map[string]string{"service": "Choose a different service"}}
			}
			// The visit keeps its first arrival (and its first call, which the
			// standards were judged on); its new wait is due by the receiving
			// service's rule, counted from the transfer.
			wait := int64(target.WalkInFirstContactMinutes) * 60
			if t.Kind == KindAppointment {
				wait = int64(target.AppointmentTargetMinutes) * 60
			}
			due := ms + wait*1000
			if _, err := tx.ExecContext(ctx, `UPDATE tickets SET service_code = ?, status = 'waiting', desk_id = NULL, due_at = ?,
				transfers = transfers + 1, updated_at = ? WHERE id = ?`, target.Code, due, ms, t.ID); err != nil {
				return err
			}
			t.Service, t.Status, t.Desk, t.Due = target.Code, StatusWaiting, sql.NullString{}, due
			if ev, err = q.event(ctx, tx, t, "transferred", "", true); err != nil {
				return err
			}
		case "decline_offer":
			if !t.Offered || t.OfferResponse != "" {
				return frontdoor.Errorf(frontdoor.Conflict, "no_offer", "Ticket %s has no appointment offer to decline.", t.Number)
			}
			t.OfferResponse = "declined"
			if _, err := tx.ExecContext(ctx, `UPDATE tickets SET offer_response = 'declined', updated_at = ? WHERE id = ?`, ms, t.ID); err != nil {
				return err
			}
			if ev, err = q.event(ctx, tx, t, "offer_declined", "", true); err != nil {
				return err
			}
		default:
			return frontdoor.Errorf(frontdoor.NotFound, "not_found", "There is no action %q.", a.Kind)
		}
		events = append(events, ev)
		return nil
	})
	if err != nil {
		return Ticket{}, err
	}
	q.publish(events...)
	return q.view(t, site.Location(), now), nil
}

// AcceptOffer books the appointment a walk-in was offered and closes their
// ticket, in one transaction: they leave the queue only if the booking is made.
func (q *Queue) AcceptOffer(ctx context.Context, id string, in booking.Input) (booking.Created, error) {
	t, err := q.authorizedTicket(ctx, id, arrivalRoles)
	if err != nil {
		return booking.Created{}, err
	}
	if !t.Offered || t.OfferResponse != "" || t.Status != StatusWaiting {
		return booking.Created{}, frontdoor.Errorf(frontdoor.Conflict, "no_offer", "Ticket %s has no open appointment offer.", t.Number)
	}
	in.Site, in.Service, in.Channel = t.Site, t.Service, "reception"
	var ev frontdoor.Event
	q.order.Lock()
	defer q.order.Unlock()
	c, err := q.Booking.BookWith(ctx, in, func(tx *sql.Tx, b booking.Booking) error {
		now := frontdoor.Millis(q.Clock.Now())
		res, err := tx.ExecContext(ctx, `UPDATE tickets SET status = 'withdrawn', offer_response = 'accepted', updated_at = ?
			WHERE id = ? AND status = 'waiting' AND offer_response = ''`, now, t.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return frontdoor.Errorf(frontdoor.Conflict, "stale", "Ticket %s has just been called, so the appointment was not booked.", t.Number)
		}
		t.Status, t.OfferResponse = StatusWithdrawn, "accepted"
		ev, err = q.event(ctx, tx, t, "offer_accepted", "", true)
		return err
	})
	if err != nil {
		return booking.Created{}, err
	}
	q.publish(ev)
	return c, nil
}

func statusWords(t ticket) string {
	switch t.Status {
	case StatusWaiting:
		return "waiting to be called"
	case StatusCalled:
		return "called to " + t.Desk.String
	case StatusServing:
		return "being served at " + t.Desk.String
	case StatusDone:
		return "already finished"
	case StatusNoShow:
		return "marked as a no-show"
	case StatusWithdrawn:
		return "closed: the visitor booked an appointment instead"
	}
	return t.Status
}
