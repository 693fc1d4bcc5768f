package queue

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"frontdoor"
)

// PublicKinds are the event kinds a lobby screen may see: who goes to which
// desk. Everything else in the log is for staff consoles only.
var PublicKinds = map[string]bool{"called": true, "recalled": true}

// EventsSince reads a site's event log after id, oldest first, at most limit
// events: what a screen missed while it was away. Lobby screens pass
// staff=false and get only PublicKinds.
func (q *Queue) EventsSince(ctx context.Context, site string, after int64, staff bool, limit int) ([]frontdoor.Event, error) {
	filter := ` AND kind IN ('called', 'recalled')`
	if staff {
		filter = ""
	}
	rows, err := q.DB.Read.QueryContext(ctx, `SELECT id, kind, at, data FROM ticket_events WHERE site_id = ? AND id > ?`+filter+`
		ORDER BY id LIMIT ?`, site, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read events of %s: %w", site, err)
	}
	return scanEvents(rows, site)
}

// RecentCalls is the last n calls and recalls at a site today (in its zone),
// newest first: what a lobby screen shows when it connects.
func (q *Queue) RecentCalls(ctx context.Context, site string, n int) ([]frontdoor.Event, error) {
	st, err := q.Booking.Site(ctx, site)
	if err != nil {
		return nil, err
	}
	l := q.Clock.Now().In(st.Location())
	midnight := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, st.Location())
	rows, err := q.DB.Read.QueryContext(ctx, `SELECT id, kind, at, data FROM ticket_events
		WHERE site_id = ? AND kind IN ('called', 'recalled') AND at >= ? ORDER BY id DESC LIMIT ?`, site, frontdoor.Millis(midnight), n)
	if err != nil {
		return nil, fmt.Errorf("read recent calls of %s: %w", site, err)
	}
	return scanEvents(rows, site)
}

// scanEvents reads rows of (id, kind, at, data) from ticket_events.
func scanEvents(rows *sql.Rows, site string) ([]frontdoor.Event, error) {
	defer rows.Close()
	var out []frontdoor.Event
	for rows.Next() {
		e := frontdoor.Event{Site: site}
		var at int64
		var data string
		if err := rows.Scan(&e.ID, &e.Kind, &at, &data); err != nil {
			return nil, err
		}
		e.At, e.Data, e.Staff = frontdoor.FromMillis(at), []byte(data), !PublicKinds[e.Kind]
		out = append(out, e)
	}
	return out, rows.Err()
}

// LastEventID is the newest event's id at a site (0 when none).
func (q *Queue) LastEventID(ctx context.Context, site string) (int64, error) {
	var id sql.NullInt64
	err := q.DB.Read.QueryRowContext(ctx, `SELECT MAX(id) FROM ticket_events WHERE site_id = ?`, site).Scan(&id)
	return id.Int64, err
}

// ServiceFigure is one service's queue as the lobby screen shows it.
type ServiceFigure struct {
	Service              string `json:"service"`
	Name                 string `json:"name"`
	Waiting              int    `json:"waiting"`
	EstimatedWaitMinutes int    `json:"estimated_wait_minutes"` // for someone taking a ticket now
	WaitText             string `json:"wait_text"`
}

// Figures are the waiting count and the expected wait for a newcomer, per
// walk-in service, computed the same way as a ticket's estimate.
func (q *Queue) Figures(ctx context.Context, site string) ([]ServiceFigure, error) {
	services, err := q.Booking.Services(ctx, site)
	if err != nil {
		return nil, err
	}
	now := q.Clock.Now()
	out := []ServiceFigure{}
	// A read transaction on the write pool would queue behind bookings; the
	// read pool's snapshot is enough for figures.
	tx, err := q.DB.Read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	waiting, err := waitingCandidates(ctx, tx, site)
	if err != nil {
		return nil, err
	}
	loads, err := q.deskLoads(ctx, tx, site, now)
	if err != nil {
		return nil, err
	}
	times, fallback, err := q.serviceTimes(ctx, tx, site, now)
	if err != nil {
		return nil, err
	}
	for _, s := range services {
		if !s.WalkIn {
			continue
		}
		f := ServiceFigure{Service: s.Code, Name: s.Name}
		cands := make([]Candidate, len(waiting), len(waiting)+1)
		copy(cands, waiting)
		for _, w := range waiting {
			if w.Service == s.Code {
				f.Waiting++
			}
		}
		// A newcomer, forecast as TakeTicket does: first with the 30-minute
		// due; if that is quick enough, with the first-contact due it would get.
		newcomer := Candidate{ID: -1, Service: s.Code, Kind: KindWalkIn, Arrived: now,
			Due: now.Add(time.Duration(s.WalkInTargetMinutes) * time.Minute)}
		wait, ok := EstimateWait(now, q.Policy, loads, append(cands, newcomer), -1, times, fallback)
		if ok && wait <= time.Duration(s.WalkInFirstContactMinutes)*time.Minute {
			newcomer.Due = now.Add(time.Duration(s.WalkInFirstContactMinutes) * time.Minute)
			wait, ok = EstimateWait(now, q.Policy, loads, append(cands, newcomer), -1, times, fallback)
		}
		if ok {
			f.EstimatedWaitMinutes = int((wait + 30*time.Second) / time.Minute)
			_, _, f.WaitText = WaitRange(f.EstimatedWaitMinutes)
		} else {
			f.WaitText = "no desk is serving this now"
		}
		out = append(out, f)
	}
	return out, nil
}
