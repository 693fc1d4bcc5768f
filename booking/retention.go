package booking

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"frontdoor"
)

// ErasePersonalData blanks the name, phone, email and needs of at most limit
// bookings whose appointment ended before before, in the caller's
// transaction: the retention job's. What makes the statistics (service,
// times, channel, status, people) stays, and so do the reference and the
// hashed secrets, which say nothing about the person. erased_at marks a
// booking done, so a second run finds nothing; it reports how many
// bookings it erased.
func ErasePersonalData(ctx context.Context, tx *sql.Tx, before, now time.Time, limit int) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE bookings SET name = '', phone = '', email = '', needs = '{}', erased_at = ?
		WHERE id IN (SELECT id FROM bookings WHERE end_at < ? AND erased_at IS NULL ORDER BY end_at LIMIT ?)`,
		frontdoor.Millis(now), frontdoor.Millis(before), limit)
	if err != nil {
		return 0, fmt.Errorf("erase old bookings: %w", err)
	}
	return res.RowsAffected()
}
