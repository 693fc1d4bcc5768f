package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/web"
)

// Emergency alerts: an officer in trouble at a desk presses one button and
// every staff console at the site shows it at once. The alert is a staff
// event: lobby screens never carry it.

// Alert is an emergency raised at a desk.
type Alert struct {
	ID       int64     `json:"id"` // the event log's id
	Site     string    `json:"site"`
	Desk     string    `json:"desk"`
	DeskName string    `json:"desk_name"`
	Ticket   string    `json:"ticket,omitempty"` // the visit open at the desk, if any
	Number   string    `json:"number,omitempty"`
	Message  string    `json:"message,omitempty"`
	At       time.Time `json:"at"`
	Logged   bool      `json:"logged"` // always true: kept for clients that read it
}

// maxAlertMessage bounds the optional note sent with an alert.
const maxAlertMessage = 200

// RaiseEmergency records an emergency at a desk in the site's event log and
// publishes it to staff consoles once it has committed.
// The visit open at the desk, if any, is named with it.
//
// message is an optional short note from the desk. It is free text a
// person types, so it may hold a name: it goes to staff consoles only, and
// the retention job must treat the data of emergency events as personal.
func (q *Queue) RaiseEmergency(ctx context.Context, deskID, message string) (Alert, error) {
	desk, err := q.Booking.Desk(ctx, deskID)
	if err != nil {
		return Alert{}, err
	}
	if _, err := frontdoor.Authorize(ctx, desk.Site, deskRoles...); err != nil {
		return Alert{}, err
	}
	message = strings.TrimSpace(message)
	if utf8.RuneCountInString(message) > maxAlertMessage || strings.ContainsRune(message, 0) {
		return Alert{}, frontdoor.FieldErrors(map[string]string{"message": fmt.Sprintf("Keep the message to %d characters or fewer", maxAlertMessage)})
	}
	now := q.Clock.Now()
	a := Alert{Site: desk.Site, Desk: desk.ID, DeskName: desk.Name, Message: message, At: now.UTC()}
	var ev frontdoor.Event
	q.order.Lock()
	defer q.order.Unlock()
	err = q.DB.WithTx(ctx, func(tx *sql.Tx) error {
		// The visit open at the desk, if any, is named with the alert.
		var ticketID sql.NullInt64
		var number string
		err := tx.QueryRowContext(ctx, `SELECT id, number FROM tickets WHERE desk_id = ? AND status IN ('called', 'serving')`,
			desk.ID).Scan(&ticketID, &number)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("emergency at %s: %w", desk.ID, err)
		}
		if ticketID.Valid {
			a.Ticket, a.Number = strconv.FormatInt(ticketID.Int64, 10), number
		}
		data := map[string]any{"desk": desk.Name, "desk_id": desk.ID, "at": a.At.Format(time.RFC3339)}
		if a.Ticket != "" {
			data["ticket"], data["number"] = a.Ticket, a.Number
		}
		if message != "" {
			data["message"] = message
		}
		body, _ := json.Marshal(data)
		ev = frontdoor.Event{Site: desk.Site, Kind: "emergency", At: now, Data: body, Staff: true}
		res, err := tx.ExecContext(ctx, `INSERT INTO ticket_events(site_id, ticket_id, kind, at, desk_id, actor, data) VALUES (?, ?, 'emergency', ?, ?, ?, ?)`,
			desk.Site, ticketID, frontdoor.Millis(now), desk.ID, frontdoor.PrincipalFrom(ctx).Label(), string(body))
		if err != nil {
			return fmt.Errorf("record emergency at %s: %w", desk.ID, err)
		}
		ev.ID, _ = res.LastInsertId()
		return nil
	})
	if err != nil {
		return Alert{}, err
	}
	a.ID, a.Logged = ev.ID, true
	slog.WarnContext(ctx, "emergency raised", "site", desk.Site, "desk", desk.ID, "event", ev.ID, "by", frontdoor.PrincipalFrom(ctx).Label())
	q.publish(ev)
	return a, nil
}

// AlertRoutes adds POST /api/v1/desks/{desk}/emergency.
func (q *Queue) AlertRoutes(r chi.Router) {
	r.Post("/api/v1/desks/{desk}/emergency", q.handleEmergency)
}

func (q *Queue) handleEmergency(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Message string `json:"message"`
	}
	if err := web.DecodeOptionalJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	a, err := q.RaiseEmergency(r.Context(), chi.URLParam(r, "desk"), in.Message)
	answer(w, r, http.StatusCreated, map[string]any{"alert": a}, err)
}
