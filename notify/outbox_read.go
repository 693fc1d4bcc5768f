package notify

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"frontdoor"
)

// OutboxMessage is a text not (yet) sent, as staff see it: what reception
// reads out or passes on by hand when SMS is not set up or a text failed.
// It holds the resident's number: callers check the role first.
type OutboxMessage struct {
	ID        int64
	Purpose   string
	To        string // E.164
	Body      string
	Status    string // queued, sending, failed or not_sent
	Note      string // why it is not sent, in plain English
	Attempts  int
	BookingID int64 // 0 when none
	TicketID  int64 // 0 when none
	Created   time.Time
	Updated   time.Time
	SendAfter time.Time // when it is (next) due
}

// UnsentMessage is OutboxMessage under the name the reception page first used.
type UnsentMessage = OutboxMessage

// Outbox lists a site's messages that have not been sent (queued, being
// sent, failed, or not sent because SMS is not configured or the number
// opted out), newest first, at most limit of them (50 when limit <= 0).
// site "" lists every site's, and the replies to residents that have none.
func Outbox(ctx context.Context, db *frontdoor.DB, site string, limit int) ([]OutboxMessage, error) {
	return ReadUnsent(ctx, db.Read, site, limit)
}

// ReadUnsent is Outbox on a given pool.
func ReadUnsent(ctx context.Context, db *sql.DB, site string, limit int) ([]OutboxMessage, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := db.QueryContext(ctx, `SELECT id, purpose, recipient, body, status, status_note, attempts, COALESCE(booking_id, 0),
		COALESCE(ticket_id, 0), created_at, updated_at, send_after FROM messages
		WHERE (? = '' OR site_id = ?) AND status IN ('queued', 'sending', 'failed', 'not_sent') ORDER BY id DESC LIMIT ?`, site, site, limit)
	if err != nil {
		return nil, fmt.Errorf("read the outbox of %q: %w", site, err)
	}
	defer rows.Close()
	out := []OutboxMessage{}
	for rows.Next() {
		var m OutboxMessage
		var created, updated, after int64
		if err := rows.Scan(&m.ID, &m.Purpose, &m.To, &m.Body, &m.Status, &m.Note, &m.Attempts, &m.BookingID, &m.TicketID,
			&created, &updated, &after); err != nil {
			return nil, err
		}
		m.Created, m.Updated, m.SendAfter = frontdoor.FromMillis(created), frontdoor.FromMillis(updated), frontdoor.FromMillis(after)
		out = append(out, m)
	}
	return out, rows.Err()
}
