package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"frontdoor"
	"frontdoor/notify"
)

// What notify and the queue ask of bookings for texts. notify cannot read
// bookings: cmd hands it these functions.

// CancelForPhone cancels booking id for a CANCEL text from phone: the
// staff-free path, where having the booking's phone in hand stands in for
// the manage token. It frees the place and queues the cancellation text
// (worded as the answer to the text) under the usual dedupe key.
func (s *Store) CancelForPhone(ctx context.Context, id int64, phone string) (notify.CancelResult, error) {
	b, err := scanBooking(s.DB.Read.QueryRowContext(ctx, bookingSelect+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return notify.NotTheirs, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read booking %d: %w", id, err)
	}
	if b.Phone != phone {
		return notify.NotTheirs, nil
	}
	sc, err := s.loadSchedule(ctx, b.Site, b.Service)
	if err != nil {
		return 0, err
	}
	now := s.Clock.Now()
	var res notify.CancelResult
	defer s.placesChanged()
	err = s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		if b, err = scanBooking(tx.QueryRowContext(ctx, bookingSelect+` WHERE id = ?`, id)); err != nil {
			return fmt.Errorf("read booking %d: %w", id, err)
		}
		switch {
		case b.Phone != phone:
			res = notify.NotTheirs
			return nil
		case b.Status == StatusCancelled:
			res = notify.AlreadyCancelled
			return nil
		case b.Status != StatusBooked || !b.Start.After(now):
			res = notify.CannotCancel
			return nil
		}
		b.Status, b.sequence = StatusCancelled, b.sequence+1
		if _, err := tx.ExecContext(ctx, `UPDATE bookings SET status = ?, sequence = ?, updated_at = ? WHERE id = ?`,
			b.Status, b.sequence, frontdoor.Millis(now), b.ID); err != nil {
			return fmt.Errorf("cancel booking %s: %w", b.Reference, err)
		}
		res = notify.Cancelled
		if err := s.audit(ctx, tx, now, "resident:sms", "booking.cancelled", b, map[string]any{"by": "sms"}); err != nil {
			return err
		}
		return s.queueText(ctx, tx, now, sc, b, notify.PurposeCancellation, notify.CancelReplyText)
	})
	if err != nil {
		return 0, err
	}
	return res, nil
}

// VisitPhone is, inside the queue's transaction, the mobile number of the
// booking id for a text to its visitor, or "" if it has none.
func (s *Store) VisitPhone(ctx context.Context, tx *sql.Tx, id int64) (string, error) {
	var phone string
	if err := tx.QueryRowContext(ctx, `SELECT phone FROM bookings WHERE id = ?`, id).Scan(&phone); err != nil {
		return "", fmt.Errorf("booking %d: %w", id, err)
	}
	if _, mobile, _ := NormalizePhone(phone); !mobile {
		return "", nil
	}
	return phone, nil
}

// TextSuperseded tells the sender whether a booking's text about to go out
// is out of date: a confirmation, change or reminder for a booking no longer
// booked, or queued for an earlier version of it (it has been moved since).
// The newer text (the change, the cancellation) says what holds now.
func (s *Store) TextSuperseded(ctx context.Context, m notify.Claimed) (bool, error) {
	switch m.Purpose {
	case notify.PurposeConfirmation, notify.PurposeChange, notify.PurposeReminder:
	default:
		return false, nil
	}
	var status string
	var seq int
	err := s.DB.Read.QueryRowContext(ctx, `SELECT status, sequence FROM bookings WHERE id = ?`, m.BookingID).Scan(&status, &seq)
	if err != nil {
		return false, fmt.Errorf("booking %d: %w", m.BookingID, err)
	}
	if status != StatusBooked {
		return true, nil
	}
	if rest, ok := strings.CutPrefix(m.DedupeKey, fmt.Sprintf("booking:%d:%s:", m.BookingID, m.Purpose)); ok {
		if n, err := strconv.Atoi(rest); err == nil && n != seq {
			return true, nil
		}
	}
	return false, nil
}
