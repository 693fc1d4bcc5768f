package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/skip2/go-qrcode"

	"frontdoor"
	"frontdoor/web"
)

// Routes adds the booking API, the QR code images and the calendar files.
func (s *Store) Routes(r chi.Router, create func(http.Handler) http.Handler) {
	r.Get("/api/v1/sites/{site}/services/{code}/slots", s.handleSlots)
	r.With(create).Post("/api/v1/bookings", s.handleBook)
	r.Get("/api/v1/bookings/{reference}", s.handleGet)
	r.Post("/api/v1/bookings/{reference}/cancel", s.handleCancel)
	r.Post("/api/v1/bookings/{reference}/reschedule", s.handleReschedule)
	r.Get("/qr/{code}.png", s.handleQR)
	r.Get("/manage/{reference}/{token}/calendar.ics", s.handleICS)
}

// SlotJSON is a slot as the API shows it, in the site's zone.
type SlotJSON struct {
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Remaining int       `json:"remaining"`
	Capacity  int       `json:"capacity"`
}

// MaxSlotDays is the longest range one slots request may ask for.
const MaxSlotDays = 92

// parseRange reads from/to (local dates), defaulting to two weeks from today.
func parseRange(from, to string, today time.Time) (time.Time, time.Time, error) {
	fields := map[string]string{}
	f, t := today, time.Time{}
	var err error
	if from != "" {
		if f, err = time.Parse(time.DateOnly, from); err != nil {
			fields["from"] = "Give from as a date, like 2026-12-01"
		}
	}
	if to != "" {
		if t, err = time.Parse(time.DateOnly, to); err != nil {
			fields["to"] = "Give to as a date, like 2026-12-14"
		}
	} else {
		t = f.AddDate(0, 0, 13)
	}
	if len(fields) == 0 && t.Before(f) {
		fields["to"] = "The end date must be on or after the start date"
	}
	if len(fields) == 0 && t.Sub(f) > MaxSlotDays*24*time.Hour {
		fields["to"] = fmt.Sprintf("Ask for at most %d days at a time", MaxSlotDays)
	}
	if len(fields) > 0 {
		return f, t, frontdoor.FieldErrors(fields)
	}
	return f, t, nil
}

func (s *Store) handleSlots(w http.ResponseWriter, r *http.Request) {
	site, code := chi.URLParam(r, "site"), chi.URLParam(r, "code")
	sc, err := s.loadSchedule(r.Context(), site, code)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	loc := sc.loc
	from, to, err := parseRange(r.URL.Query().Get("from"), r.URL.Query().Get("to"), localDate(s.Clock.Now(), loc))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	slots, err := s.Slots(r.Context(), site, code, from, to)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(appendSlotsJSON(make([]byte, 0, 64+len(slots)*110), slots, loc))
}

// appendRFC3339 is t.AppendFormat(b, time.RFC3339) for whole seconds
// without the layout parsing, which was the largest cost left in a slot list.
func appendRFC3339(b []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, int(mo))
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	b = append2(b, s)
	_, off := t.Zone()
	if off == 0 {
		return append(b, 'Z')
	}
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b = append(b, sign)
	b = append2(b, off/3600)
	b = append(b, ':')
	return append2(b, off/60%60)
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }

func append4(b []byte, n int) []byte {
	return append(b, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

// appendSlotHead writes a slot's JSON up to its "remaining" value, which is
// all that changes between requests.
func appendSlotHead(b []byte, sl Slot, loc *time.Location) []byte {
	b = append(b, `{"start":"`...)
	b = appendRFC3339(b, sl.Start.In(loc))
	b = append(b, `","end":"`...)
	b = appendRFC3339(b, sl.End.In(loc))
	b = append(b, `","capacity":`...)
	b = strconv.AppendInt(b, int64(sl.Capacity), 10)
	return append(b, `,"remaining":`...)
}

// appendSlotsJSON writes {"slots":[SlotJSON...]} by hand: the slot list is
// the busiest public answer, and encoding/json spends most of its time
// re-validating what time.Time's own MarshalJSON wrote. A test checks the
// output decodes to the same SlotJSON values.
func appendSlotsJSON(b []byte, slots []Slot, loc *time.Location) []byte {
	b = append(b, `{"slots":[`...)
	for i, sl := range slots {
		if i > 0 {
			b = append(b, ',')
		}
		if sl.json != nil {
			b = append(b, sl.json...)
		} else {
			b = appendSlotHead(b, sl, loc)
		}
		b = strconv.AppendInt(b, int64(sl.Remaining()), 10)
		b = append(b, '}')
	}
	return append(b, "]}\n"...)
}

func (s *Store) handleBook(w http.ResponseWriter, r *http.Request) {
	var in Input
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	c, err := s.Book(r.Context(), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if c.Existing && !frontdoor.PrincipalFrom(r.Context()).Can(staffRoles...) {
		// Knowing a phone number and a time must not reveal the booking's
		// secrets or details: a true retry carries its Idempotency-Key and gets
		// the first answer again instead.
		web.WriteJSON(w, http.StatusOK, AlreadyBooked(c))
		return
	}
	status := http.StatusCreated
	if c.Existing {
		status = http.StatusOK
	}
	web.WriteJSON(w, status, c)
}

// Existing is the answer to booking a slot that the same phone already holds.
type Existing struct {
	Existing bool      `json:"existing"`
	Site     string    `json:"site"`
	Service  string    `json:"service"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Status   string    `json:"status"`
	Message  string    `json:"message"`
}

// AlreadyBooked says a booking exists without giving away its reference,
// links or personal details.
func AlreadyBooked(c Created) Existing {
	return Existing{Existing: true, Site: c.Site, Service: c.Service, Start: c.Start, End: c.End, Status: c.Status,
		Message: "This phone number already has this appointment. Use the link in your confirmation text to see, change or cancel it."}
}

// manageToken is the bearer token when it is not a staff token (those are
// already turned into the request's principal).
func manageToken(r *http.Request) string {
	t, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if strings.HasPrefix(t, "fd_") {
		return ""
	}
	return strings.TrimSpace(t)
}

func (s *Store) handleGet(w http.ResponseWriter, r *http.Request) {
	c, err := s.Get(r.Context(), chi.URLParam(r, "reference"), manageToken(r))
	answer(w, r, http.StatusOK, c, err)
}

func (s *Store) handleCancel(w http.ResponseWriter, r *http.Request) {
	c, err := s.Cancel(r.Context(), chi.URLParam(r, "reference"), manageToken(r))
	answer(w, r, http.StatusOK, c, err)
}

func (s *Store) handleReschedule(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Start string `json:"start"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	c, err := s.Reschedule(r.Context(), chi.URLParam(r, "reference"), manageToken(r), in.Start)
	answer(w, r, http.StatusOK, c, err)
}

// ByCheckinCode finds the booking whose QR code holds code (or a URL ending in it).
func (s *Store) ByCheckinCode(ctx context.Context, code string) (Booking, error) {
	code = NormalizeCheckinCode(code)
	b, err := scanBooking(s.DB.Read.QueryRowContext(ctx, bookingSelect+` WHERE checkin_hash = ?`, hashSecret(code)))
	if errors.Is(err, sql.ErrNoRows) {
		return Booking{}, frontdoor.Errorf(frontdoor.NotFound, "not_found", "This code is not recognised. Ask at reception, or type your booking reference.")
	}
	if err != nil {
		return Booking{}, fmt.Errorf("find booking by check-in code: %w", err)
	}
	return b, nil
}

// QRSize is the QR image's side in pixels: big enough to scan from a phone
// screen held up to a kiosk's camera or a hand-held scanner.
const QRSize = 360

func (s *Store) handleQR(w http.ResponseWriter, r *http.Request) {
	code := chi.URLParam(r, "code")
	if _, err := s.ByCheckinCode(r.Context(), code); err != nil {
		web.WriteError(w, r, err)
		return
	}
	png, err := qrcode.Encode(NormalizeCheckinCode(code), qrcode.Medium, QRSize)
	if err != nil {
		web.WriteError(w, r, fmt.Errorf("draw QR code: %w", err))
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Write(png)
}

func (s *Store) handleICS(w http.ResponseWriter, r *http.Request) {
	c, err := s.Get(r.Context(), chi.URLParam(r, "reference"), chi.URLParam(r, "token"))
	if frontdoor.IsKind(err, frontdoor.Unauthorized) {
		err = bookingNotFound(chi.URLParam(r, "reference")) // a wrong link is simply not found
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	st, err := s.Site(r.Context(), c.Site)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	svc, err := s.Service(r.Context(), c.Site, c.Service)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	body, err := s.Calendar(c, st, svc, s.Clock.Now())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="appointment-%s.ics"`, c.Reference))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(body)
}
