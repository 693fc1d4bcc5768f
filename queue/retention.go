package queue

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"frontdoor"
)

// ErasePersonalData removes what the queue keeps about a person from visits
// that arrived before before, in the caller's transaction (the retention
// job's), at most limit rows of each kind: a walk-in's mobile number, and
// the note typed with an emergency alert (free text that may name someone).
// The ticket's times, service, desk and outcome stay, so the standards
// reports read the same afterwards. It reports how many rows it changed.
func ErasePersonalData(ctx context.Context, tx *sql.Tx, before time.Time, limit int) (int64, error) {
	cut := frontdoor.Millis(before)
	// updated_at is left alone: it says when the visit last changed, and
	// erasure is not a change to the visit.
	res, err := tx.ExecContext(ctx, `UPDATE tickets SET phone = ''
		WHERE id IN (SELECT id FROM tickets WHERE phone <> '' AND arrived_at < ? ORDER BY arrived_at LIMIT ?)`, cut, limit)
	if err != nil {
		return 0, fmt.Errorf("erase old tickets' phone numbers: %w", err)
	}
	tickets, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	res, err = tx.ExecContext(ctx, `UPDATE ticket_events SET data = json_remove(data, '$.message')
		WHERE id IN (SELECT id FROM ticket_events WHERE kind = 'emergency' AND at < ?
			AND json_type(data, '$.message') IS NOT NULL ORDER BY at LIMIT ?)`, cut, limit)
	if err != nil {
		return 0, fmt.Errorf("erase old emergency notes: %w", err)
	}
	notes, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return tickets + notes, nil
}
