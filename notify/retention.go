package notify

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"frontdoor"
)

// ErasePersonalData blanks the number and the text of every message queued
// before before that is settled (sent, delivered, failed or not sent), in
// the caller's transaction: the retention job's. A text can hold a booking's
// manage link, so the body goes too, and so does the note (Twilio's
// reasons can quote the number). What is left (purpose, status, times,
// the booking or ticket it was for) still counts for the statistics.
// Opt-outs are kept: they are what stops a number being texted against its
// owner's wish. It reports how many messages it erased.
func ErasePersonalData(ctx context.Context, tx *sql.Tx, before, now time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE messages SET recipient = '', body = '', status_note = '', updated_at = ?
		WHERE created_at < ? AND status IN ('sent', 'delivered', 'failed', 'not_sent') AND (recipient <> '' OR body <> '')`,
		frontdoor.Millis(now), frontdoor.Millis(before))
	if err != nil {
		return 0, fmt.Errorf("erase old messages: %w", err)
	}
	return res.RowsAffected()
}
