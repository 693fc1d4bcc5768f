package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"time"
)

// A year at the bench centre, as the service would have left it: every day
// of the 365 (--year-days) before the bench's first day, 685 bookings (about 250,000), each
// with its texts and audit row; those who came have a ticket called, started
// and finished at a desk, with the events the queue logs; 250 walk-ins a day
// besides. Visits more than 90 days old have had their personal data erased,
// as the retention job does.
const (
	yearBookingsPerDay  = 685
	yearWalkInsPerDay   = 250
	yearRetention       = 90 * 24 * time.Hour
	yearAppointmentRate = 0.85 // of bookings, the visitor came; 7 % did not, 8 % cancelled
)

type yearCounts struct{ bookings, tickets, events, messages, audit int }

// addYear writes the year, a day per transaction, and says what it wrote.
func (e *benchEnv) addYear(ctx context.Context, days int) (string, error) {
	rng := rand.New(rand.NewPCG(2026, 1))
	first := time.Date(2027, 1, 4, 0, 0, 0, 0, benchLondon).AddDate(0, 0, -days)
	var n yearCounts
	for d := range days {
		day := first.AddDate(0, 0, d)
		err := e.app.db.WithTx(ctx, func(tx *sql.Tx) error { return e.yearDay(ctx, tx, rng, day, &n) })
		if err != nil {
			return "", fmt.Errorf("a year of data, %s: %w", day.Format(time.DateOnly), err)
		}
	}
	// Standards the service kept for these days were worked out before they
	// had visits: written behind its back, the year must be read afresh.
	if _, err := e.app.db.Write.ExecContext(ctx, `DELETE FROM standards_days`); err != nil {
		return "", err
	}
	size := int64(0)
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(e.app.cfg.DB + suffix); err == nil {
			size += fi.Size()
		}
	}
	return fmt.Sprintf("%s bookings, %s tickets, %s ticket events, %s texts, %s audit rows; database %d MB",
		thousands(float64(n.bookings)), thousands(float64(n.tickets)), thousands(float64(n.events)),
		thousands(float64(n.messages)), thousands(float64(n.audit)), size>>20), nil
}

func (e *benchEnv) yearDay(ctx context.Context, tx *sql.Tx, rng *rand.Rand, day time.Time, n *yearCounts) error {
	booking, err := tx.PrepareContext(ctx, `INSERT INTO bookings(reference, site_id, service_code, start_at, end_at, name, phone, email, needs, people,
		channel, status, salt, manage_hash, checkin_hash, created_by, created_at, updated_at, reminded_seq, erased_at)
		VALUES (?, 'bench', 'HOU', ?, ?, ?, ?, '', '{}', 1, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`)
	if err != nil {
		return err
	}
	defer booking.Close()
	message, err := tx.PrepareContext(ctx, `INSERT INTO messages(dedupe_key, purpose, site_id, booking_id, recipient, body, status, attempts, send_after, provider_id, created_at, updated_at)
		VALUES (?, ?, 'bench', ?, ?, ?, 'delivered', 1, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer message.Close()
	audit, err := tx.PrepareContext(ctx, `INSERT INTO audit(at, actor, action, site_id, subject, detail) VALUES (?, ?, 'booking.created', 'bench', ?, ?)`)
	if err != nil {
		return err
	}
	defer audit.Close()
	ticket, err := tx.PrepareContext(ctx, `INSERT INTO tickets(site_id, service_code, local_day, letter, seq, number, kind, channel, booking_id, appointment_at,
		arrived_at, due_at, appointment_target_s, first_contact_s, walk_in_target_s, status, desk_id, first_called_at, called_at,
		started_at, finished_at, outcome, estimate_s, position_at_arrival, updated_at)
		VALUES ('bench', 'HOU', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 600, 600, 1800, 'done', ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ticket.Close()
	event, err := tx.PrepareContext(ctx, `INSERT INTO ticket_events(site_id, ticket_id, kind, at, desk_id, actor, data) VALUES ('bench', ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer event.Close()

	now := benchNow
	local := day.Format(time.DateOnly)
	erased := day.Before(now.Add(-yearRetention))
	minutes := func(m float64) time.Duration { return time.Duration(m * float64(time.Minute)) }
	serve := func(kind, channel, letter string, seq int, bookingID, appointment any, arrived, due time.Time) error {
		called := arrived.Add(minutes(rng.ExpFloat64() * 8))
		if a, ok := appointment.(int64); ok && called.UnixMilli() < a {
			called = time.UnixMilli(a).Add(minutes(rng.ExpFloat64() * 4))
		}
		started := called.Add(minutes(0.5 + rng.Float64()*2))
		finished := started.Add(minutes(5 + rng.Float64()*15))
		desk := fmt.Sprintf("desk-%d", 1+rng.IntN(benchDesks))
		number := fmt.Sprintf("%s%03d", letter, seq)
		res, err := ticket.ExecContext(ctx, local, letter, seq, number, kind, channel, bookingID, appointment,
			arrived.UnixMilli(), due.UnixMilli(), desk, called.UnixMilli(), called.UnixMilli(), started.UnixMilli(), finished.UnixMilli(),
			[]string{"resolved", "resolved", "not_resolved"}[rng.IntN(3)], rng.IntN(1200), rng.IntN(12), finished.UnixMilli())
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		n.tickets++
		for _, ev := range []struct {
			kind string
			at   time.Time
			desk any
		}{{"arrived", arrived, nil}, {"called", called, desk}, {"started", started, desk}, {"finished", finished, desk}} {
			data := fmt.Sprintf(`{"ticket":"%d","number":%q,"service":"HOU","at":%q}`, id, number, ev.at.UTC().Format(time.RFC3339))
			if _, err := event.ExecContext(ctx, id, ev.kind, ev.at.UnixMilli(), ev.desk, "token:3", data); err != nil {
				return err
			}
			n.events++
		}
		return nil
	}

	appointments := 0
	for range yearBookingsPerDay {
		idx := n.bookings
		start := wallClock(day, 8*60+5*rng.IntN(144))
		end := start.Add(5 * time.Minute)
		created := start.Add(-time.Duration(1+rng.IntN(14*24)) * time.Hour)
		status := "seen"
		switch r := rng.Float64(); {
		case r < 0.08:
			status = "cancelled"
		case r > 0.08+yearAppointmentRate:
			status = "no_show"
		}
		name, phone := "Year Resident", fmt.Sprintf("+4477%08d", idx)
		var erasedAt any
		if erased {
			name, phone, erasedAt = "", "", end.Add(yearRetention).UnixMilli()
		}
		channel := []string{"online", "online", "online", "phone", "reception"}[rng.IntN(5)]
		secret := func(purpose byte) []byte {
			h := sha256.New()
			h.Write([]byte{purpose})
			binary.Write(h, binary.BigEndian, int64(idx))
			return h.Sum(nil)
		}
		ref := fmt.Sprintf("YEAR%06d", idx)
		res, err := booking.ExecContext(ctx, ref, start.UnixMilli(), end.UnixMilli(), name, phone, channel, status,
			secret('s')[:16], secret('m'), secret('c'), "public", created.UnixMilli(), end.UnixMilli(), erasedAt)
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		n.bookings++
		texts := []struct {
			purpose string
			at      time.Time
		}{{"confirmation", created}, {"reminder", start.Add(-24 * time.Hour)}}
		if status == "cancelled" {
			texts = append(texts, struct {
				purpose string
				at      time.Time
			}{"cancellation", start.Add(-48 * time.Hour)})
		}
		for _, t := range texts {
			body := fmt.Sprintf("Frontdoor: your Housing appointment at Bench Centre, %s. Ref %s.", start.In(benchLondon).Format("Mon 2 Jan 3:04pm"), ref)
			if erased {
				body = ""
			}
			if _, err := message.ExecContext(ctx, fmt.Sprintf("booking:%d:%s:0", id, t.purpose), t.purpose, id, phone, body,
				t.at.UnixMilli(), fmt.Sprintf("SM%030d", n.messages), t.at.UnixMilli(), t.at.UnixMilli()); err != nil {
				return err
			}
			n.messages++
		}
		if _, err := audit.ExecContext(ctx, created.UnixMilli(), "public", "booking:"+ref,
			fmt.Sprintf(`{"service":"HOU","start":%q,"channel":%q}`, start.UTC().Format(time.RFC3339), channel)); err != nil {
			return err
		}
		n.audit++
		if status == "seen" {
			appointments++
			arrived := start.Add(-minutes(rng.Float64() * 15))
			if rng.IntN(10) == 0 {
				arrived = start.Add(minutes(rng.Float64() * 10)) // late
			}
			if err := serve("appointment", channel, "H", appointments, id, start.UnixMilli(), arrived, start.Add(10*time.Minute)); err != nil {
				return err
			}
		}
	}
	for w := range yearWalkInsPerDay {
		arrived := wallClock(day, 8*60).Add(minutes(rng.Float64() * 11.5 * 60))
		if err := serve("walk_in", "walk_in", "W", w+1, nil, nil, arrived, arrived.Add(30*time.Minute)); err != nil {
			return err
		}
	}
	return nil
}
