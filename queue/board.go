package queue

import (
	"context"
	"time"

	"frontdoor"
)

// DeskView is a desk and what it is doing.
type DeskView struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Services []string `json:"services"`
	Open     bool     `json:"open"`
	Ticket   *Ticket  `json:"ticket,omitempty"`
}

// Board is GET /api/v1/sites/{site}/queue: the waiting tickets in the order
// they would be called, and the desks.
type Board struct {
	Tickets []Ticket   `json:"tickets"`
	Desks   []DeskView `json:"desks"`
}

// Board reads a site's queue.
func (q *Queue) Board(ctx context.Context, siteID string) (Board, error) {
	if _, err := frontdoor.Authorize(ctx, siteID, arrivalRoles...); err != nil {
		return Board{}, err
	}
	site, err := q.Booking.Site(ctx, siteID)
	if err != nil {
		return Board{}, err
	}
	desks, err := q.Booking.Desks(ctx, siteID)
	if err != nil {
		return Board{}, err
	}
	loc, now := site.Location(), q.Clock.Now()
	waiting, err := tickets(ctx, q.DB.Read, `site_id = ? AND status = 'waiting'`, siteID)
	if err != nil {
		return Board{}, err
	}
	busy, err := tickets(ctx, q.DB.Read, `site_id = ? AND status IN ('called', 'serving')`, siteID)
	if err != nil {
		return Board{}, err
	}
	open := map[string]bool{}
	rows, err := q.DB.Read.QueryContext(ctx, `SELECT desk_id FROM desk_sessions WHERE site_id = ? AND open = 1`, siteID)
	if err != nil {
		return Board{}, err
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		open[id] = true
	}
	rows.Close()

	b := Board{Tickets: []Ticket{}, Desks: []DeskView{}}
	var all []string
	for _, d := range desks {
		all = append(all, d.Services...)
		v := DeskView{ID: d.ID, Name: d.Name, Services: d.Services, Open: open[d.ID]}
		for _, t := range busy {
			if t.Desk.String == d.ID {
				tv := q.view(t, loc, now)
				v.Ticket = &tv
			}
		}
		b.Desks = append(b.Desks, v)
	}
	for _, t := range callingOrder(q.Policy, now, all, waiting) {
		b.Tickets = append(b.Tickets, q.view(t, loc, now))
	}
	return b, nil
}

// callingOrder lists waiting tickets in the order the policy would call
// them if every service were being served now; tickets no desk serves come last.
func callingOrder(p Policy, now time.Time, services []string, waiting []ticket) []ticket {
	rest := append([]ticket(nil), waiting...)
	var out []ticket
	for len(rest) > 0 {
		cands := make([]Candidate, len(rest))
		for i, t := range rest {
			cands[i] = t.candidate()
		}
		i := p.Next(now, services, cands)
		if i < 0 {
			break
		}
		out = append(out, rest[i])
		rest = append(rest[:i], rest[i+1:]...)
	}
	return append(out, rest...)
}
