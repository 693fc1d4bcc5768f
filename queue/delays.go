package queue

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"frontdoor"
)

// CheckDelays looks at every waiting appointment and, when its expected call
// time has slipped past its due time, marks the ticket delayed (reception
// sees it) and texts the visitor the new expected time, once per visit.
// serve runs it every few seconds.
func (q *Queue) CheckDelays(ctx context.Context) error {
	sites, err := q.Booking.Sites(ctx)
	if err != nil {
		return err
	}
	for _, site := range sites {
		if err := q.checkSiteDelays(ctx, site.ID); err != nil {
			slog.ErrorContext(ctx, "check delays", "site", site.ID, "err", err)
		}
	}
	return nil
}

func (q *Queue) checkSiteDelays(ctx context.Context, site string) error {
	var pending int
	if err := q.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM tickets WHERE site_id = ? AND status = 'waiting'
		AND kind = 'appointment' AND delayed_at IS NULL`, site).Scan(&pending); err != nil || pending == 0 {
		return err
	}
	var events []frontdoor.Event
	q.order.Lock()
	defer q.order.Unlock()
	err := q.DB.WithTx(ctx, func(tx *sql.Tx) error {
		now := q.Clock.Now()
		waiting, err := tickets(ctx, tx, `site_id = ? AND status = 'waiting' AND kind = 'appointment' AND delayed_at IS NULL`, site)
		if err != nil {
			return err
		}
		for _, t := range waiting {
			wait, _, err := q.estimate(ctx, tx, t, now)
			if err != nil {
				return err
			}
			expected := now.Add(wait)
			if !expected.After(frontdoor.FromMillis(t.Due)) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE tickets SET delayed_at = ?, updated_at = ? WHERE id = ?`,
				frontdoor.Millis(now), frontdoor.Millis(now), t.ID); err != nil {
				return fmt.Errorf("mark ticket %s delayed: %w", t.Number, err)
			}
			t.Delayed = sql.NullInt64{Int64: frontdoor.Millis(now), Valid: true}
			ev, err := q.event(ctx, tx, t, "delayed", "", true)
			if err != nil {
				return err
			}
			events = append(events, ev)
			if t.BookingID.Valid {
				// Round up to the next five minutes: better early than a promise broken.
				expected = expected.Truncate(5 * time.Minute).Add(5 * time.Minute)
				if err := q.Booking.QueueDelayText(ctx, tx, t.BookingID.Int64, expected); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	q.publish(events...)
	return nil
}

// CloseDays ends yesterday's queue at each site once its local day is over:
// a visitor still waiting was never seen (recorded as a no-show, so the
// standards count the miss), and a visit left open at a desk is finished.
// Without it, call-next would offer yesterday's tickets this morning.
func (q *Queue) CloseDays(ctx context.Context) error {
	sites, err := q.Booking.Sites(ctx)
	if err != nil {
		return err
	}
	for _, site := range sites {
		today := localDay(q.Clock.Now(), site.Location())
		var open int
		if err := q.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM tickets WHERE site_id = ? AND local_day < ?
			AND status IN ('waiting', 'called', 'serving')`, site.ID, today).Scan(&open); err != nil {
			return err
		}
		if open == 0 {
			continue
		}
		q.order.Lock()
		var events []frontdoor.Event
		err := q.DB.WithTx(ctx, func(tx *sql.Tx) error {
			old, err := tickets(ctx, tx, `site_id = ? AND local_day < ? AND status IN ('waiting', 'called', 'serving')`, site.ID, today)
			if err != nil {
				return err
			}
			now := frontdoor.Millis(q.Clock.Now())
			for _, t := range old {
				status, kind := StatusDone, "finished"
				if t.Status == StatusWaiting {
					status, kind = StatusNoShow, "not_seen"
				}
				if _, err := tx.ExecContext(ctx, `UPDATE tickets SET status = ?, finished_at = COALESCE(finished_at, ?), updated_at = ?
					WHERE id = ?`, status, now, now, t.ID); err != nil {
					return fmt.Errorf("close ticket %s of %s: %w", t.Number, t.LocalDay, err)
				}
				t.Status = status
				ev, err := q.event(ctx, tx, t, kind, "", true)
				if err != nil {
					return err
				}
				events = append(events, ev)
			}
			return nil
		})
		if err == nil {
			q.publish(events...)
		}
		q.order.Unlock()
		if err != nil {
			return err
		}
		slog.InfoContext(ctx, "closed the day's queue", "site", site.ID, "tickets", open)
	}
	return nil
}
