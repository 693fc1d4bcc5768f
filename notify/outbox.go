// Package notify owns the SMS outbox: every text Frontdoor sends is written
// here in the same transaction as the change that causes it, then sent by
// the sender loop (the Twilio client) or kept, visible to staff, when SMS is
// not configured. It never loses a message and never queues one twice.
package notify

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"frontdoor"
)

// Purposes of a message.
const (
	PurposeConfirmation = "confirmation"
	PurposeChange       = "change"
	PurposeCancellation = "cancellation"
	PurposeReminder     = "reminder"
	PurposeDelay        = "delay"
)

// Message is one SMS to queue.
type Message struct {
	DedupeKey string // unique per booking/ticket + purpose + version
	Purpose   string
	Site      string
	BookingID int64
	TicketID  int64
	To        string // E.164
	Body      string
	SendAfter time.Time
}

// Enqueue writes m to the outbox inside the caller's transaction, so the
// message exists if and only if the change that caused it commits. A second
// message with the same DedupeKey is ignored; it reports whether m was queued.
func Enqueue(ctx context.Context, tx *sql.Tx, now time.Time, m Message) (bool, error) {
	if m.SendAfter.IsZero() {
		m.SendAfter = now
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO messages(dedupe_key, purpose, site_id, booking_id, ticket_id, recipient, body,
		send_after, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING`,
		m.DedupeKey, m.Purpose, nullString(m.Site), nullInt(m.BookingID), nullInt(m.TicketID), m.To, m.Body,
		frontdoor.Millis(m.SendAfter), frontdoor.Millis(now), frontdoor.Millis(now))
	if err != nil {
		return false, fmt.Errorf("queue %s message: %w", m.Purpose, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}
