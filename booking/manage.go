package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"frontdoor"
	"frontdoor/notify"
)

// staffRoles may manage any booking at their site.
var staffRoles = []string{frontdoor.RoleManager, frontdoor.RoleReception, frontdoor.RoleOfficer}

func bookingNotFound(ref string) error {
	return frontdoor.Errorf(frontdoor.NotFound, "not_found", "There is no booking with reference %q.", ref)
}

// authorize lets through the holder of the booking's manage token, or staff
// of its site; anyone else is refused without learning more.
func (s *Store) authorize(ctx context.Context, b Booking, token string) error {
	if p := frontdoor.PrincipalFrom(ctx); p != nil && p.Can(staffRoles...) {
		if !p.CanSite(b.Site) {
			return frontdoor.Errorf(frontdoor.Forbidden, "forbidden", "Your access is limited to another site.")
		}
		return nil
	}
	if token == "" {
		return frontdoor.Errorf(frontdoor.Unauthorized, "unauthorized", "Use the link from your confirmation, or send the manage token as a bearer token.")
	}
	if !equalHash(token, b.manageHash) {
		return frontdoor.Errorf(frontdoor.Unauthorized, "unauthorized", "This manage link is not right for booking %s. Use the link from your confirmation.", b.Reference)
	}
	return nil
}

// load reads a booking by reference with q (the read pool or a transaction).
func (s *Store) load(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, ref string) (Booking, error) {
	norm, ok := NormalizeReference(ref)
	if !ok {
		return Booking{}, bookingNotFound(ref)
	}
	b, err := scanBooking(q.QueryRowContext(ctx, bookingSelect+` WHERE reference = ?`, norm))
	if errors.Is(err, sql.ErrNoRows) {
		return Booking{}, bookingNotFound(norm)
	}
	if err != nil {
		return Booking{}, fmt.Errorf("read booking %s: %w", norm, err)
	}
	return b, nil
}

// Get returns a booking to the holder of its manage token or to staff.
func (s *Store) Get(ctx context.Context, ref, token string) (Created, error) {
	b, err := s.load(ctx, s.DB.Read, ref)
	if err != nil {
		return Created{}, err
	}
	if err := s.authorize(ctx, b, token); err != nil {
		return Created{}, err
	}
	st, err := s.Site(ctx, b.Site)
	if err != nil {
		return Created{}, err
	}
	return s.created(b, st.Location(), false), nil
}

// Cancel frees the booking's place and queues one cancellation text.
// Cancelling a booking already cancelled answers it again, unchanged.
func (s *Store) Cancel(ctx context.Context, ref, token string) (Created, error) {
	b, err := s.load(ctx, s.DB.Read, ref)
	if err != nil {
		return Created{}, err
	}
	if err := s.authorize(ctx, b, token); err != nil {
		return Created{}, err
	}
	sc, err := s.loadSchedule(ctx, b.Site, b.Service)
	if err != nil {
		return Created{}, err
	}
	now := s.Clock.Now()
	defer s.placesChanged()
	err = s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		if b, err = s.load(ctx, tx, ref); err != nil {
			return err
		}
		switch {
		case b.Status == StatusCancelled:
			return nil
		case b.Status != StatusBooked:
			return frontdoor.Errorf(frontdoor.Conflict, "not_cancellable", "Booking %s cannot be cancelled: it is %s.", b.Reference, statusWords(b.Status))
		case !b.Start.After(now):
			return frontdoor.Errorf(frontdoor.Conflict, "not_cancellable", "Booking %s cannot be cancelled: its time has passed.", b.Reference)
		}
		b.Status, b.sequence = StatusCancelled, b.sequence+1
		if _, err := tx.ExecContext(ctx, `UPDATE bookings SET status = ?, sequence = ?, updated_at = ? WHERE id = ?`,
			b.Status, b.sequence, frontdoor.Millis(now), b.ID); err != nil {
			return fmt.Errorf("cancel booking %s: %w", b.Reference, err)
		}
		if err := s.audit(ctx, tx, now, "resident", "booking.cancelled", b, nil); err != nil {
			return err
		}
		return s.queueIfMobile(ctx, tx, now, sc, b, notify.PurposeCancellation, notify.CancellationText)
	})
	if err != nil {
		return Created{}, err
	}
	return s.created(b, sc.loc, false), nil
}

// Reschedule moves a booking to another slot of its service in one
// transaction: the new place is taken and the old one freed together, or
// nothing changes (409 slot_full, 422 not_bookable).
func (s *Store) Reschedule(ctx context.Context, ref, token string, startText string) (Created, error) {
	b, err := s.load(ctx, s.DB.Read, ref)
	if err != nil {
		return Created{}, err
	}
	if err := s.authorize(ctx, b, token); err != nil {
		return Created{}, err
	}
	start, err := time.Parse(time.RFC3339, startText)
	if err != nil {
		return Created{}, frontdoor.FieldErrors(map[string]string{"start": "Give the new start as an RFC 3339 time, like 2026-12-01T09:00:00Z"})
	}
	sc, err := s.loadSchedule(ctx, b.Site, b.Service)
	if err != nil {
		return Created{}, err
	}
	now := s.Clock.Now()
	slot, err := sc.slotAt(start, now)
	if err != nil {
		return Created{}, err
	}
	defer s.placesChanged()
	err = s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		if b, err = s.load(ctx, tx, ref); err != nil {
			return err
		}
		if b.Status != StatusBooked {
			return frontdoor.Errorf(frontdoor.Conflict, "not_changeable", "Booking %s cannot be changed: it is %s.", b.Reference, statusWords(b.Status))
		}
		if b.Start.Equal(slot.Start) {
			return nil // already there
		}
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM bookings WHERE site_id = ? AND service_code = ? AND start_at = ?
			AND status <> 'cancelled'`, b.Site, b.Service, frontdoor.Millis(slot.Start)).Scan(&taken); err != nil {
			return err
		}
		if taken >= slot.Capacity {
			return frontdoor.Errorf(frontdoor.Conflict, "slot_full", "Sorry, %s has just been taken. Your booking is still at %s.",
				slot.Start.In(sc.loc).Format("3:04pm on Monday 2 January"), b.Start.In(sc.loc).Format("3:04pm on Monday 2 January"))
		}
		from := b.Start
		b.Start, b.End, b.sequence = slot.Start, slot.End, b.sequence+1
		if err := s.audit(ctx, tx, now, "resident", "booking.rescheduled", b, map[string]any{"from": from.UTC(), "to": b.Start.UTC()}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bookings SET start_at = ?, end_at = ?, sequence = ?, updated_at = ? WHERE id = ?`,
			frontdoor.Millis(b.Start), frontdoor.Millis(b.End), b.sequence, frontdoor.Millis(now), b.ID); err != nil {
			return fmt.Errorf("move booking %s: %w", b.Reference, err)
		}
		return s.queueIfMobile(ctx, tx, now, sc, b, notify.PurposeChange, notify.ChangeText)
	})
	if err != nil {
		return Created{}, err
	}
	return s.created(b, sc.loc, false), nil
}

func (s *Store) queueIfMobile(ctx context.Context, tx *sql.Tx, now time.Time, sc *schedule, b Booking, purpose string, text func(notify.BookingText) string) error {
	if _, mobile, _ := NormalizePhone(b.Phone); !mobile {
		return nil
	}
	return s.queueText(ctx, tx, now, sc, b, purpose, text)
}

func statusWords(status string) string {
	switch status {
	case StatusCheckedIn:
		return "already checked in"
	case StatusSeen:
		return "already seen"
	case StatusNoShow:
		return "marked as not attended"
	case StatusCancelled:
		return "cancelled"
	}
	return status
}

// ResendConfirmation queues the confirmation text again (staff, after a
// caller says it never came). Each resend is its own message.
func (s *Store) ResendConfirmation(ctx context.Context, ref string) (Created, error) {
	if _, err := frontdoor.Authorize(ctx, "", staffRoles...); err != nil {
		return Created{}, err
	}
	b, err := s.load(ctx, s.DB.Read, ref)
	if err != nil {
		return Created{}, err
	}
	if err := s.authorize(ctx, b, ""); err != nil {
		return Created{}, err
	}
	if b.Status != StatusBooked {
		return Created{}, frontdoor.Errorf(frontdoor.Conflict, "not_booked", "Booking %s is %s, so there is nothing to confirm.", b.Reference, statusWords(b.Status))
	}
	if _, mobile, _ := NormalizePhone(b.Phone); !mobile {
		return Created{}, frontdoor.Errorf(frontdoor.Unprocessable, "not_mobile", "The phone number for booking %s cannot receive texts.", b.Reference)
	}
	sc, err := s.loadSchedule(ctx, b.Site, b.Service)
	if err != nil {
		return Created{}, err
	}
	now := s.Clock.Now()
	err = s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		body := notify.ConfirmationText(notify.BookingText{Service: sc.service.Name, Site: sc.site.Name, Reference: b.Reference,
			Start: b.Start.In(sc.loc), ManageURL: s.BaseURL + ManagePath(b.Reference, s.Secrets.ManageToken(b.salt))})
		_, err := notify.Enqueue(ctx, tx, now, notify.Message{
			DedupeKey: fmt.Sprintf("booking:%d:confirmation-resend:%d", b.ID, now.UnixNano()),
			Purpose:   notify.PurposeConfirmation, Site: b.Site, BookingID: b.ID, To: b.Phone, Body: body})
		return err
	})
	if err != nil {
		return Created{}, err
	}
	return s.created(b, sc.loc, false), nil
}
