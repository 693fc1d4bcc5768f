package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/audit"
	"frontdoor/web"
)

// SiteSettings are a site's SMS choices. Every one is off by default.
type SiteSettings struct {
	// SatisfactionQuestion: after each visit served, text the visitor (if
	// they left a mobile) one question, answered 1 to 5.
	SatisfactionQuestion bool `json:"satisfaction_question"`
}

// LoadSettings reads a site's SMS settings (the defaults if it has none).
func LoadSettings(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, site string) (SiteSettings, error) {
	var s SiteSettings
	err := q.QueryRowContext(ctx, `SELECT satisfaction_question FROM sms_settings WHERE site_id = ?`, site).Scan(&s.SatisfactionQuestion)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("read SMS settings of %s: %w", site, err)
	}
	return s, nil
}

// SaveSettings stores a site's SMS settings; the caller checks the site exists.
func SaveSettings(ctx context.Context, db *frontdoor.DB, site string, s SiteSettings, now time.Time) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sms_settings(site_id, satisfaction_question, updated_at) VALUES (?, ?, ?)
			ON CONFLICT(site_id) DO UPDATE SET satisfaction_question = excluded.satisfaction_question, updated_at = excluded.updated_at`,
			site, s.SatisfactionQuestion, frontdoor.Millis(now))
		if err != nil {
			return fmt.Errorf("save SMS settings of %s: %w", site, err)
		}
		return audit.Record(ctx, tx, now, audit.Entry{Action: "setup.sms_settings_changed", Site: site, Subject: "site:" + site,
			Detail: map[string]any{"satisfaction_question": s.SatisfactionQuestion}})
	})
}

// Visit is a finished visit whose visitor may be asked how it went.
type Visit struct {
	Site      string
	SiteName  func() string // read only when the question is on
	TicketID  int64
	BookingID int64
	Phone     string // a mobile, E.164; "" if none
}

// QueueSatisfaction queues the post-visit question in tx, if v's site asks
// it and the visitor left a mobile; once a visit.
func QueueSatisfaction(ctx context.Context, tx *sql.Tx, now time.Time, v Visit) error {
	if v.Phone == "" {
		return nil
	}
	s, err := LoadSettings(ctx, tx, v.Site)
	if err != nil || !s.SatisfactionQuestion {
		return err
	}
	name := ""
	if v.SiteName != nil {
		name = v.SiteName()
	}
	_, err = Enqueue(ctx, tx, now, Message{DedupeKey: fmt.Sprintf("ticket:%d:%s", v.TicketID, PurposeSatisfaction),
		Purpose: PurposeSatisfaction, Site: v.Site, TicketID: v.TicketID, BookingID: v.BookingID, To: v.Phone, Body: SatisfactionText(name)})
	return err
}

// site checks the request may change site's settings (admins only) and
// that the site exists.
func (h *Handlers) site(w http.ResponseWriter, r *http.Request) (string, bool) {
	site := chi.URLParam(r, "site")
	if _, err := frontdoor.Authorize(r.Context(), site); err != nil {
		web.WriteError(w, r, err)
		return "", false
	}
	if h.SiteName != nil {
		if _, err := h.SiteName(r.Context(), site); err != nil {
			web.WriteError(w, r, err)
			return "", false
		}
	}
	return site, true
}

func (h *Handlers) getSettings(w http.ResponseWriter, r *http.Request) {
	site, ok := h.site(w, r)
	if !ok {
		return
	}
	s, err := LoadSettings(r.Context(), h.DB.Read, site)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, s)
}

func (h *Handlers) putSettings(w http.ResponseWriter, r *http.Request) {
	site, ok := h.site(w, r)
	if !ok {
		return
	}
	var in struct {
		SatisfactionQuestion *bool `json:"satisfaction_question"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if in.SatisfactionQuestion == nil {
		web.WriteError(w, r, frontdoor.FieldErrors(map[string]string{"satisfaction_question": "Say true or false"}))
		return
	}
	s := SiteSettings{SatisfactionQuestion: *in.SatisfactionQuestion}
	if err := SaveSettings(r.Context(), h.DB, site, s, h.Clock.Now()); err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, s)
}

// Scores sums the post-visit question's replies received at a site in
// [from, to): how many, and their mean (1 to 5), for the standards report.
func Scores(ctx context.Context, db *frontdoor.DB, site string, from, to time.Time) (replies int, mean float64, err error) {
	var avg sql.NullFloat64
	err = db.Read.QueryRowContext(ctx, `SELECT COUNT(*), AVG(score) FROM satisfaction_scores WHERE site_id = ? AND at >= ? AND at < ?`,
		site, frontdoor.Millis(from), frontdoor.Millis(to)).Scan(&replies, &avg)
	if err != nil {
		return 0, 0, fmt.Errorf("read satisfaction scores of %s: %w", site, err)
	}
	return replies, avg.Float64, nil
}
