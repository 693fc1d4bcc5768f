package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"frontdoor"
)

// What residents can text back. Twilio itself answers the opt-out words
// (and START) with its own confirmation, so Frontdoor records them and says
// nothing: a second acknowledgement would only cost money. CANCEL is one of
// Twilio's default opt-out words too; the Messaging Service must drop it
// from its opt-out list (Advanced Opt-Out) for the API's CANCEL to work.
var (
	optOutWords = map[string]bool{"STOP": true, "STOPALL": true, "UNSUBSCRIBE": true, "END": true, "QUIT": true, "REVOKE": true, "OPTOUT": true}
	optInWords  = map[string]bool{"START": true, "UNSTOP": true, "YES": true}
	scoreWords  = map[string]int{"1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
)

// CancelResult is what came of a CANCEL reply.
type CancelResult int

const (
	Cancelled        CancelResult = iota // cancelled now; the booking queued its confirmation
	AlreadyCancelled                     // it was cancelled before: nothing more to say
	CannotCancel                         // its time has passed, or the visitor has arrived
	NotTheirs                            // the booking's phone is not the sender's
)

// CancelFunc cancels the booking bookingID on behalf of the owner of phone
// (which must be the booking's), queuing the cancellation text in the same
// transaction. booking provides it; notify cannot read bookings.
type CancelFunc func(ctx context.Context, bookingID int64, phone string) (CancelResult, error)

// e164 is a number as Twilio writes it.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

var digits = regexp.MustCompile(`^[0-9]{1,10}$`)

// maxInbound is the longest text Twilio delivers (ten parts); longer is not a reply.
const maxInbound = 1600

// Inbound is a text a resident sent to Frontdoor's number.
type Inbound struct {
	From string // E.164
	Body string
}

// lastTexted is the newest message Frontdoor queued to a number.
type lastTexted struct {
	ID        int64
	Site      string
	BookingID int64
	Purpose   string
	TicketID  int64
}

// latest returns the newest message to phone matching where (extra
// conditions on messages), and false if there is none.
func latest(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, phone, where string, args ...any) (lastTexted, bool, error) {
	var m lastTexted
	err := q.QueryRowContext(ctx, `SELECT id, COALESCE(site_id, ''), COALESCE(booking_id, 0), purpose, COALESCE(ticket_id, 0)
		FROM messages WHERE recipient = ? `+where+` ORDER BY created_at DESC, id DESC LIMIT 1`, append([]any{phone}, args...)...).
		Scan(&m.ID, &m.Site, &m.BookingID, &m.Purpose, &m.TicketID)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("read messages to a number: %w", err)
	}
	return m, true, nil
}

// handleInbound acts on a resident's text. A number Frontdoor has never
// texted changes nothing and is not answered, except that an opt-out word
// is always honoured. It reports whether a reply was queued.
func (w *Handlers) handleInbound(ctx context.Context, in Inbound) (bool, error) {
	if !e164.MatchString(in.From) || len(in.Body) > maxInbound {
		return false, nil
	}
	kw := keyword(in.Body)
	now := w.Clock.Now()
	switch {
	case kw == "":
		return false, nil
	case optOutWords[kw]:
		slog.InfoContext(ctx, "sms opt-out received")
		return false, w.DB.WithTx(ctx, func(tx *sql.Tx) error { return optOut(ctx, tx, in.From, kw, now) })
	case optInWords[kw]:
		return false, w.DB.WithTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM sms_opt_outs WHERE phone = ?`, in.From)
			return err
		})
	}
	last, known, err := latest(ctx, w.DB.Read, in.From, "")
	if err != nil || !known {
		return false, err
	}
	day := now.UTC().Format("2006-01-02")
	reply := func(kind, body string) (bool, error) {
		if out, err := OptedOut(ctx, w.DB, in.From); err != nil || out {
			return false, err
		}
		var queued bool
		err := w.DB.WithTx(ctx, func(tx *sql.Tx) error {
			var err error
			queued, err = Enqueue(ctx, tx, now, Message{DedupeKey: "reply:" + PhoneKey(in.From) + ":" + kind + ":" + day,
				Purpose: PurposeReply, Site: last.Site, To: in.From, Body: body})
			return err
		})
		return queued, err
	}
	if kw == "CANCEL" {
		about, ok, err := latest(ctx, w.DB.Read, in.From, "AND booking_id IS NOT NULL")
		if err != nil {
			return false, err
		}
		if !ok || w.Cancel == nil {
			return reply("nothing-to-cancel", NothingToCancelText())
		}
		res, err := w.Cancel(ctx, about.BookingID, in.From)
		if err != nil {
			return false, err
		}
		slog.InfoContext(ctx, "sms cancel received", "booking_id", about.BookingID, "result", int(res))
		switch res {
		case Cancelled:
			return true, nil
		case AlreadyCancelled:
			return false, nil
		default:
			return reply("nothing-to-cancel", NothingToCancelText())
		}
	}
	if score, ok := scoreWords[kw]; ok {
		q, asked, err := latest(ctx, w.DB.Read, in.From, "AND purpose = ? AND status IN ('sent', 'delivered') AND created_at >= ?",
			PurposeSatisfaction, frontdoor.Millis(now.Add(-7*24*time.Hour)))
		if err != nil {
			return false, err
		}
		if asked {
			return false, w.DB.WithTx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO satisfaction_scores(message_id, site_id, ticket_id, score, at) VALUES (?, ?, ?, ?, ?)
					ON CONFLICT(message_id) DO UPDATE SET score = excluded.score, at = excluded.at WHERE score <> excluded.score`,
					q.ID, nullString(q.Site), nullInt(q.TicketID), score, frontdoor.Millis(now))
				return err
			})
		}
	}
	site := ""
	if last.Site != "" && w.SiteName != nil {
		site, _ = w.SiteName(ctx, last.Site) // without it, the help is only less specific
	}
	return reply("help", HelpText(site))
}

// optOut records that phone wants no more texts.
func optOut(ctx context.Context, tx *sql.Tx, phone, keyword string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sms_opt_outs(phone, keyword, at) VALUES (?, ?, ?) ON CONFLICT(phone) DO NOTHING`,
		phone, keyword, frontdoor.Millis(now))
	if err != nil {
		return fmt.Errorf("record an opt-out: %w", err)
	}
	return nil
}

// OptedOut reports whether phone has asked for no more texts.
func OptedOut(ctx context.Context, db *frontdoor.DB, phone string) (bool, error) {
	var n int
	err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM sms_opt_outs WHERE phone = ?`, phone).Scan(&n)
	return n > 0, err
}

// delivery is what Twilio's status values mean here; rank orders them so
// a report that arrives late never undoes a later one.
var delivery = map[string]struct {
	rank   int
	status string // the message's new status, "" to keep it
	note   string
}{
	"accepted": {1, "", ""}, "scheduled": {1, "", ""}, "queued": {1, "", ""}, "sending": {2, "", ""}, "sent": {3, "", ""},
	"delivered": {4, StatusDelivered, ""}, "read": {5, StatusDelivered, ""},
	"undelivered": {4, StatusFailed, "failed: not delivered"}, "failed": {4, StatusFailed, "failed: Twilio could not send it"},
	"canceled": {4, StatusFailed, "failed: cancelled at Twilio"},
}

// Delivery error codes staff may see (Twilio's 30xxx).
var deliveryErrors = map[string]string{
	"30003": "the phone is off or unreachable", "30004": "the recipient blocked it", "30005": "the number is unknown or no longer in use",
	"30006": "a landline, or a network that cannot take texts", "30007": "the network filtered it as spam", "30008": "an unknown error on the network",
}

// handleStatus records a delivery report. A SID not ours, or a status
// value Twilio has not documented, changes nothing.
func (w *Handlers) handleStatus(ctx context.Context, sid, status, errorCode string) error {
	d, ok := delivery[strings.ToLower(status)]
	if !ok || sid == "" || len(sid) > 64 {
		return nil
	}
	return w.DB.WithTx(ctx, func(tx *sql.Tx) error {
		var id int64
		var current, provider string
		err := tx.QueryRowContext(ctx, `SELECT id, status, provider_status FROM messages WHERE provider_id = ?`, sid).Scan(&id, &current, &provider)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if delivery[provider].rank >= d.rank && provider != "" {
			return nil
		}
		newStatus, note := current, ""
		if d.status != "" && (current == StatusSent || current == StatusDelivered) {
			newStatus = d.status
		}
		if d.note != "" && newStatus == StatusFailed {
			note = d.note
			if digits.MatchString(errorCode) {
				if why, ok := deliveryErrors[errorCode]; ok {
					note += ": " + why
				}
				note += " (Twilio error " + errorCode + ")"
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE messages SET status = ?, provider_status = ?, status_note = CASE WHEN ? <> '' THEN ? ELSE status_note END,
			updated_at = ? WHERE id = ?`, newStatus, strings.ToLower(status), note, note, frontdoor.Millis(w.Clock.Now()), id)
		return err
	})
}
