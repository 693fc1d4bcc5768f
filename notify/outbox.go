// Package notify owns the SMS outbox: every text Frontdoor sends is written
// here in the same transaction as the change that causes it, then sent by
// the sender loop (the Twilio client) or kept, visible to staff, when SMS is
// not configured. It never loses a message and never queues one twice. It
// also owns the texts' wording, the opt-outs, the satisfaction scores and
// Twilio's two webhooks (delivery status and replies).
//
// # Sending at most once
//
// The sender claims a batch of due messages (status sending, with the claim's
// time and an attempt counted) and commits before it calls Twilio; it records
// Twilio's answer (the message SID) after. A crash between the two leaves a
// message in sending whose result is unknown: Twilio may or may not have
// accepted it. So do a timeout, a dropped connection and a 5xx answer. Such a
// message is not simply sent again, nor given up: before its next attempt the
// sender looks it up at Twilio (the account's messages to that number, newest
// first, created since the first uncertain attempt, with exactly the same
// body and a SID no other message of ours holds) and records the SID if it
// finds it; only if Twilio has no such message is it sent again. We chose
// the look-up over a single blind retry because Twilio's Messages API takes
// no idempotency key, so a blind retry could send twice; the look-up costs one
// GET, and only after a failure. The look-up does not filter on DateSent: a
// message Twilio accepted but has not yet handed to the network has none, and
// it is exactly the one that must not be sent again.
//
// The look-up relies on Twilio listing a message it has accepted by the time
// we look: after a restart, or after a back-off of at least 30 seconds.
// A message still unresolved after MaxAttempts is failed with a note that an
// earlier attempt may have reached the phone, for staff to check.
package notify

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
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
	PurposeCalled       = "called"       // "please go to desk N"
	PurposeSatisfaction = "satisfaction" // the post-visit question
	PurposeReply        = "reply"        // an answer to a text the resident sent
)

// Statuses of a message.
const (
	StatusQueued    = "queued"    // waiting for its send_after, or for a retry
	StatusSending   = "sending"   // claimed: its send is under way, or its result unknown
	StatusSent      = "sent"      // Twilio accepted it (provider_id is its SID)
	StatusDelivered = "delivered" // Twilio reported it delivered
	StatusFailed    = "failed"    // refused for good, or undelivered (status_note says why)
	StatusNotSent   = "not_sent"  // never sent on purpose: SMS not configured, opted out, superseded
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

// PhoneKey stands for a phone number in dedupe keys: keys outlive the
// retention period that erases the number itself.
func PhoneKey(phone string) string {
	h := sha256.Sum256([]byte("frontdoor sms " + phone))
	return hex.EncodeToString(h[:8])
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
