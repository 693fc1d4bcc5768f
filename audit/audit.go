// Package audit owns the audit table: an append-only record of who did what
// to which booking, token, user or setting, and when. Ticket changes are not
// copied into it: the queue's ticket_events log already names the actor of
// each, so the audit view reads both (see List). No row carries personal
// data, so the retention job never needs to change one.
package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"frontdoor"
)

// Entry is one thing done. Detail must hold no personal data: times, codes,
// roles and ids only, never a name, phone, email or secret.
type Entry struct {
	Actor   string // "" means the request's principal (see Actor)
	Action  string // e.g. booking.created
	Site    string // "" for changes that belong to no one site
	Subject string // e.g. booking:HOU-7QK2, token:4
	Detail  map[string]any
}

// Actor names who is acting: the request's principal (Principal.Label, such
// as user:3 or token:7) or, for a request without one, fallback ("public"
// for a new booking, "resident" for the holder of a manage link).
func Actor(ctx context.Context, fallback string) string {
	if p := frontdoor.PrincipalFrom(ctx); p != nil {
		return p.Label()
	}
	return fallback
}

// Record writes e in tx, so that the audit row commits with the change it
// describes, or not at all.
func Record(ctx context.Context, tx *sql.Tx, now time.Time, e Entry) error {
	if e.Actor == "" {
		e.Actor = Actor(ctx, "public")
	}
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return fmt.Errorf("audit %s: %w", e.Action, err)
		}
	}
	var site any
	if e.Site != "" {
		site = e.Site
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit(at, actor, action, site_id, subject, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		frontdoor.Millis(now), e.Actor, e.Action, site, e.Subject, string(detail)); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// RecordNow is Record in a transaction of its own, for changes whose own
// transaction is not ours to join (the test clock saves itself).
func RecordNow(ctx context.Context, db *frontdoor.DB, now time.Time, e Entry) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error { return Record(ctx, tx, now, e) })
}

// Row is one line of the audit view.
type Row struct {
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"`
	Site    string          `json:"site,omitempty"`
	Subject string          `json:"subject,omitempty"`
	Detail  json.RawMessage `json:"detail"`
}

// Query selects rows: site "" means every site and the changes that belong
// to none; From is inclusive, To exclusive.
type Query struct {
	Site     string
	From, To time.Time
	Limit    int
	Offset   int
}

// List returns the audit rows and the ticket events of q, newest first.
// It reads ticket_events, the queue's table, read-only: schema.sql names it
// as what the audit reads, and copying each event here would write it twice.
func List(ctx context.Context, db *sql.DB, q Query) ([]Row, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT at, actor, action, COALESCE(site_id, ''), subject, detail, 0 AS src, id FROM audit
			WHERE (?1 = '' OR site_id = ?1) AND at >= ?2 AND at < ?3
		UNION ALL
		SELECT at, actor, 'ticket.' || kind, site_id, COALESCE('ticket:' || ticket_id, ''), data, 1, id FROM ticket_events
			WHERE (?1 = '' OR site_id = ?1) AND at >= ?2 AND at < ?3
		ORDER BY at DESC, src DESC, id DESC LIMIT ?4 OFFSET ?5`,
		q.Site, frontdoor.Millis(q.From), frontdoor.Millis(q.To), q.Limit, q.Offset)
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", err)
	}
	defer rows.Close()
	out := []Row{}
	for rows.Next() {
		var r Row
		var at, id int64
		var src int
		var detail string
		if err := rows.Scan(&at, &r.Actor, &r.Action, &r.Site, &r.Subject, &detail, &src, &id); err != nil {
			return nil, fmt.Errorf("read audit: %w", err)
		}
		r.At, r.Detail = frontdoor.FromMillis(at), json.RawMessage(detail)
		out = append(out, r)
	}
	return out, rows.Err()
}
