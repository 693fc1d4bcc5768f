package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// standardsRules is the version of judge and daySummary that worked out a
// stored day. Raise it whenever either changes what a day adds up to, and
// the days stored before are worked out again from their tickets.
const standardsRules = 1

// storedStandard is a Standard as standards_days keeps it: the waits whole
// (milliseconds), so merged days give exactly the medians the tickets would.
type storedStandard struct {
	Visits  int     `json:"v"`
	Within  int     `json:"w"`
	Pending int     `json:"p,omitempty"`
	Waits   []int64 `json:"waits,omitempty"`
}

type storedStandards struct {
	Appointments       storedStandard `json:"a"`
	WalkInFirstContact storedStandard `json:"f"`
	WalkIns            storedStandard `json:"k"`
	NoShows            int            `json:"no_shows,omitempty"`
	Channels           map[string]int `json:"channels,omitempty"`
	Finished           int            `json:"finished,omitempty"`
	Resolved           int            `json:"resolved,omitempty"`
}

type storedDay struct {
	All      storedStandards            `json:"all"`
	Services map[string]storedStandards `json:"services,omitempty"`
	AbsErrMS int64                      `json:"abs_err_ms,omitempty"`
	Compared int                        `json:"compared,omitempty"`
	Seen     bool                       `json:"seen,omitempty"`
}

func storeStandard(s Standard) storedStandard {
	out := storedStandard{Visits: s.Visits, Within: s.Within, Pending: s.Pending}
	for _, w := range s.waits {
		out.Waits = append(out.Waits, w.Milliseconds())
	}
	return out
}

func (s storedStandard) load() Standard {
	out := Standard{Visits: s.Visits, Within: s.Within, Pending: s.Pending}
	for _, ms := range s.Waits {
		out.waits = append(out.waits, time.Duration(ms)*time.Millisecond)
	}
	return out
}

func storeStandards(s *Standards) storedStandards {
	return storedStandards{Appointments: storeStandard(s.Appointments), WalkInFirstContact: storeStandard(s.WalkInFirstContact),
		WalkIns: storeStandard(s.WalkIns), NoShows: s.NoShows, Channels: s.Channels, Finished: s.Finished, Resolved: s.ResolvedFirstContact}
}

func (s storedStandards) load() Standards {
	out := newStandards()
	out.Appointments, out.WalkInFirstContact, out.WalkIns = s.Appointments.load(), s.WalkInFirstContact.load(), s.WalkIns.load()
	out.NoShows, out.Finished, out.ResolvedFirstContact = s.NoShows, s.Finished, s.Resolved
	for ch, n := range s.Channels {
		out.Channels[ch] = n
	}
	return out
}

func (d *daySummary) store() storedDay {
	out := storedDay{All: storeStandards(&d.all), AbsErrMS: d.absErr.Milliseconds(), Compared: d.compared, Seen: d.seen}
	if len(d.services) > 0 {
		out.Services = map[string]storedStandards{}
		for code, s := range d.services {
			out.Services[code] = storeStandards(s)
		}
	}
	return out
}

func (s storedDay) load() *daySummary {
	d := newDaySummary()
	d.all, d.absErr, d.compared, d.seen, d.final = s.All.load(), time.Duration(s.AbsErrMS)*time.Millisecond, s.Compared, s.Seen, true
	for code, st := range s.Services {
		loaded := st.load()
		d.services[code] = &loaded
	}
	return d
}

// storedDays reads the kept summaries of a site's days in [from, to] worked
// out by the current rules.
func (q *Queue) storedDays(ctx context.Context, site, from, to string) (map[string]*daySummary, error) {
	rows, err := q.DB.Read.QueryContext(ctx, `SELECT day, summary FROM standards_days WHERE site_id = ? AND day BETWEEN ? AND ? AND rules = ?`,
		site, from, to, standardsRules)
	if err != nil {
		return nil, fmt.Errorf("read kept standards: %w", err)
	}
	defer rows.Close()
	out := map[string]*daySummary{}
	for rows.Next() {
		var day string
		var raw []byte
		if err := rows.Scan(&day, &raw); err != nil {
			return nil, fmt.Errorf("read kept standards: %w", err)
		}
		var s storedDay
		if err := json.Unmarshal(raw, &s); err != nil {
			// Worked out again from the tickets, and written over.
			slog.WarnContext(ctx, "kept standards unreadable", "site", site, "day", day, "err", err)
			continue
		}
		out[day] = s.load()
	}
	return out, rows.Err()
}

// keepDays writes closed days' summaries. Failing to is not the report's
// failure: the days are worked out again next time.
func (q *Queue) keepDays(ctx context.Context, site string, days map[string]*daySummary) {
	if len(days) == 0 {
		return
	}
	err := q.DB.WithTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO standards_days(site_id, day, rules, summary) VALUES (?, ?, ?, ?)
			ON CONFLICT (site_id, day) DO UPDATE SET rules = excluded.rules, summary = excluded.summary`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for day, d := range days {
			raw, err := json.Marshal(d.store())
			if err != nil {
				return err
			}
			if _, err := stmt.ExecContext(ctx, site, day, standardsRules, string(raw)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		slog.WarnContext(ctx, "keep standards", "site", site, "days", len(days), "err", err)
	}
}
