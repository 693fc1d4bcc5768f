package queue

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"frontdoor"
	"frontdoor/booking"
)

// arrivalRoles may check visitors in and issue tickets: kiosks and staff.
var arrivalRoles = []string{frontdoor.RoleDevice, frontdoor.RoleReception, frontdoor.RoleOfficer, frontdoor.RoleManager}

// Arrival is the answer to a check-in or a walk-in ticket.
type Arrival struct {
	Ticket               Ticket        `json:"ticket"`
	Position             int           `json:"position"`
	EstimatedWaitMinutes int           `json:"estimated_wait_minutes"`
	WaitFrom             int           `json:"wait_from_minutes"`
	WaitTo               int           `json:"wait_to_minutes"`
	WaitText             string        `json:"wait_text"`
	OfferAppointment     bool          `json:"offer_appointment"`
	NextAppointments     []Appointment `json:"next_appointments,omitempty"`
	Message              string        `json:"message,omitempty"`
}

// Appointment is a free appointment time offered to a walk-in.
type Appointment struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// CheckinInput is the body of POST /api/v1/checkins: what the QR code holds,
// or the booking reference.
type CheckinInput struct {
	Code      string `json:"code"`
	Reference string `json:"reference"`
}

// CheckIn turns a booking into a ticket when its visitor arrives.
func (q *Queue) CheckIn(ctx context.Context, in CheckinInput) (Arrival, error) {
	p, err := frontdoor.Authorize(ctx, "", arrivalRoles...)
	if err != nil {
		return Arrival{}, err
	}
	var b booking.Booking
	switch {
	case strings.TrimSpace(in.Code) != "":
		b, err = q.Booking.ByCheckinCode(ctx, in.Code)
	case strings.TrimSpace(in.Reference) != "":
		b, err = q.Booking.ByReference(ctx, in.Reference)
		if frontdoor.IsKind(err, frontdoor.NotFound) {
			err = frontdoor.Errorf(frontdoor.NotFound, "not_found", "We cannot find a booking with reference %q. Check it and try again, or ask at reception.", strings.TrimSpace(in.Reference))
		}
	default:
		return Arrival{}, frontdoor.FieldErrors(map[string]string{"code": "Scan your QR code or type your booking reference"})
	}
	if err != nil {
		return Arrival{}, err
	}
	site, err := q.Booking.Site(ctx, b.Site)
	if err != nil {
		return Arrival{}, err
	}
	svc, err := q.Booking.Service(ctx, b.Site, b.Service)
	if err != nil {
		return Arrival{}, err
	}
	loc := site.Location()
	now := q.Clock.Now()
	when := b.Start.In(loc).Format("3:04pm on Monday 2 January")
	switch {
	case !p.CanSite(b.Site):
		return Arrival{}, frontdoor.Errorf(frontdoor.Unprocessable, "wrong_site", "This appointment is at %s, %s, at %s. Please go there, or ask at reception.", site.Name, site.Address, when)
	case b.Status == booking.StatusCancelled:
		return Arrival{}, frontdoor.Errorf(frontdoor.Unprocessable, "booking_cancelled", "This appointment (%s) was cancelled. Please ask at reception.", when)
	case b.Status == booking.StatusCheckedIn || b.Status == booking.StatusSeen:
		return Arrival{}, frontdoor.Errorf(frontdoor.Conflict, "already_checked_in", "You are already checked in for your %s appointment. Please take a seat.", when)
	case b.Status != booking.StatusBooked:
		return Arrival{}, frontdoor.Errorf(frontdoor.Unprocessable, "not_checkable", "This appointment (%s) can no longer be checked in. Please ask at reception.", when)
	case localDay(b.Start, loc) != localDay(now, loc):
		return Arrival{}, frontdoor.Errorf(frontdoor.Unprocessable, "wrong_day", "Your appointment is at %s, not today. Please come back then, or ask at reception.", when)
	}

	t := ticket{Site: b.Site, Service: b.Service, LocalDay: localDay(now, loc), Letter: svc.TicketPrefix, Kind: KindAppointment,
		Channel: b.Channel, BookingID: sql.NullInt64{Int64: b.ID, Valid: true}, Appointment: sql.NullInt64{Int64: frontdoor.Millis(b.Start), Valid: true},
		Arrived: frontdoor.Millis(now), ApptTarget: minutesToSeconds(svc.AppointmentTargetMinutes),
		FirstContact: minutesToSeconds(svc.WalkInFirstContactMinutes), WalkInTarget: minutesToSeconds(svc.WalkInTargetMinutes)}
	// Due: the later of the appointment and the arrival, plus the appointment target.
	t.Due = frontdoor.Millis(maxTime(b.Start, now).Add(time.Duration(t.ApptTarget) * time.Second))
	var a Arrival
	var events []frontdoor.Event
	q.order.Lock()
	defer q.order.Unlock()
	err = q.DB.WithTx(ctx, func(tx *sql.Tx) error {
		var existing int
		if tx.QueryRowContext(ctx, `SELECT 1 FROM tickets WHERE booking_id = ?`, b.ID).Scan(&existing) == nil {
			return frontdoor.Errorf(frontdoor.Conflict, "already_checked_in", "You are already checked in for your %s appointment. Please take a seat.", when)
		}
		ev, err := q.insertTicket(ctx, tx, &t)
		if err != nil {
			return err
		}
		events = append(events, ev)
		if err := q.Booking.SetVisitStatus(ctx, tx, b.ID, booking.StatusBooked, booking.StatusCheckedIn); err != nil {
			return err
		}
		a, err = q.estimateArrival(ctx, tx, &t, now)
		return err
	})
	if err != nil {
		return Arrival{}, err
	}
	q.publish(events...)
	a.Ticket = q.view(t, loc, now)
	if t.Appointment.Int64 > t.Arrived+int64(q.Policy.EarlyWindow/time.Millisecond) {
		a.Message = fmt.Sprintf("You are early: you will be called from about %s.", booking.ClockTime(b.Start.In(loc)))
	}
	return a, nil
}

// WalkInInput is the body of POST /api/v1/sites/{site}/tickets.
type WalkInInput struct {
	Service  string `json:"service"`
	Phone    string `json:"phone"`
	Priority bool   `json:"priority"`
}

// TakeTicket gives a walk-in a ticket, tells them the expected wait and, when
// that wait would break the first-contact standard, offers an appointment
// instead (which, as the charter says, meets that standard).
func (q *Queue) TakeTicket(ctx context.Context, siteID string, in WalkInInput) (Arrival, error) {
	p, err := frontdoor.Authorize(ctx, siteID, arrivalRoles...)
	if err != nil {
		return Arrival{}, err
	}
	site, err := q.Booking.Site(ctx, siteID)
	if err != nil {
		return Arrival{}, err
	}
	fields := map[string]string{}
	if strings.TrimSpace(in.Service) == "" {
		fields["service"] = "Choose what you have come about"
	}
	phone := ""
	if strings.TrimSpace(in.Phone) != "" {
		var mobile bool
		var msg string
		phone, mobile, msg = booking.NormalizePhone(in.Phone)
		if msg == "" && !mobile {
			msg = "Enter a UK mobile number, like 07700 900123, so we can text you"
		}
		if msg != "" {
			fields["phone"] = msg
		}
	}
	if len(fields) > 0 {
		return Arrival{}, frontdoor.FieldErrors(fields)
	}
	if in.Priority && p.Role == frontdoor.RoleDevice {
		return Arrival{}, frontdoor.Errorf(frontdoor.Forbidden, "forbidden", "Only staff can give a ticket priority.")
	}
	svc, err := q.Booking.Service(ctx, siteID, in.Service)
	if err != nil {
		return Arrival{}, err
	}
	if !svc.WalkIn {
		return Arrival{}, &frontdoor.Error{Kind: frontdoor.Unprocessable, Code: "not_walk_in",
			Message: svc.Name + " is by appointment only. Please book an appointment.", Fields: map[string]string{"service": "This service is by appointment only"}}
	}
	loc := site.Location()
	now := q.Clock.Now()
	t := ticket{Site: siteID, Service: svc.Code, LocalDay: localDay(now, loc), Letter: svc.TicketPrefix, Kind: KindWalkIn,
		Channel: "walk_in", Priority: in.Priority, Phone: phone, Arrived: frontdoor.Millis(now),
		ApptTarget: minutesToSeconds(svc.AppointmentTargetMinutes), FirstContact: minutesToSeconds(svc.WalkInFirstContactMinutes),
		WalkInTarget: minutesToSeconds(svc.WalkInTargetMinutes)}
	// First forecast as if the walk-in were due by the 30-minute standard: a
	// newcomer forecast with the 10-minute due would look quick precisely
	// because that due would put it ahead of everyone (see docs/simulation.md).
	t.Due = t.Arrived + t.WalkInTarget*1000
	var a Arrival
	var events []frontdoor.Event
	q.order.Lock()
	defer q.order.Unlock()
	err = q.DB.WithTx(ctx, func(tx *sql.Tx) error {
		ev, err := q.insertTicket(ctx, tx, &t)
		if err != nil {
			return err
		}
		events = append(events, ev)
		wait, _, err := q.estimate(ctx, tx, t, now)
		if err != nil {
			return err
		}
		if wait > time.Duration(t.FirstContact)*time.Second {
			// Told the wait and offered an appointment: the first-contact
			// standard is met, and the walk-in standard sets the due time.
			t.Offered = true
			if _, err := tx.ExecContext(ctx, `UPDATE tickets SET offered = 1 WHERE id = ?`, t.ID); err != nil {
				return fmt.Errorf("record the offer: %w", err)
			}
			if ev, err = q.event(ctx, tx, t, "offered", "", true); err != nil {
				return err
			}
			events = append(events, ev)
		} else {
			t.Due = t.Arrived + t.FirstContact*1000
			if _, err := tx.ExecContext(ctx, `UPDATE tickets SET due_at = ? WHERE id = ?`, t.Due, t.ID); err != nil {
				return fmt.Errorf("set due time: %w", err)
			}
		}
		a, err = q.estimateArrival(ctx, tx, &t, now)
		return err
	})
	if err != nil {
		return Arrival{}, err
	}
	q.publish(events...)
	a.Ticket = q.view(t, loc, now)
	a.OfferAppointment = t.Offered
	if t.Offered && svc.Bookable {
		slots, err := q.Booking.NextFree(ctx, siteID, svc.Code, 3)
		if err != nil {
			return Arrival{}, err
		}
		for _, s := range slots {
			a.NextAppointments = append(a.NextAppointments, Appointment{Start: s.Start, End: s.End})
		}
	}
	return a, nil
}

// estimateArrival estimates t's wait with the queue as tx sees it, and
// records the estimate and position on the ticket so reports can compare
// them with what happened.
func (q *Queue) estimateArrival(ctx context.Context, tx *sql.Tx, t *ticket, now time.Time) (Arrival, error) {
	wait, position, err := q.estimate(ctx, tx, *t, now)
	if err != nil {
		return Arrival{}, err
	}
	if t.Appointment.Valid {
		// An appointment's wait counts as its standard does, from its time
		// or the arrival if later: someone early is told how long after their
		// time they will be called, someone late how long from now.
		wait = max(0, now.Add(wait).Sub(maxTime(now, frontdoor.FromMillis(t.Appointment.Int64))))
	}
	secs := int64(wait.Round(time.Second) / time.Second)
	t.Estimate = sql.NullInt64{Int64: secs, Valid: true}
	t.Position = sql.NullInt64{Int64: int64(position), Valid: true}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET estimate_s = ?, position_at_arrival = ? WHERE id = ?`, secs, position, t.ID); err != nil {
		return Arrival{}, fmt.Errorf("record the estimate: %w", err)
	}
	minutes := int((wait + 30*time.Second) / time.Minute)
	from, to, text := WaitRange(minutes)
	return Arrival{Position: position, EstimatedWaitMinutes: minutes, WaitFrom: from, WaitTo: to, WaitText: text}, nil
}

// estimate forecasts t's wait by playing the queue forward with the calling
// policy, over the desks now open (all the site's desks when none are).
func (q *Queue) estimate(ctx context.Context, tx *sql.Tx, t ticket, now time.Time) (time.Duration, int, error) {
	cands, err := waitingCandidates(ctx, tx, t.Site)
	if err != nil {
		return 0, 0, err
	}
	position := 1
	due := frontdoor.FromMillis(t.Due)
	for _, w := range cands {
		if w.ID != t.ID && w.Service == t.Service && (w.Priority && !t.Priority || w.Priority == t.Priority && w.Due.Before(due)) {
			position++
		}
	}
	loads, err := q.deskLoads(ctx, tx, t.Site, now)
	if err != nil {
		return 0, 0, err
	}
	times, fallback, err := q.serviceTimes(ctx, tx, t.Site, now)
	if err != nil {
		return 0, 0, err
	}
	wait, ok := EstimateWait(now, q.Policy, loads, cands, t.ID, times, fallback)
	if !ok {
		// No desk serves it: say the longest wait we would ever say.
		wait = time.Duration(t.WalkInTarget) * time.Second * 2
	}
	return wait, position, nil
}

// deskLoads is the site's staffed desks with when each will be free; when no
// desk is staffed (first thing in the morning) every desk is assumed to be,
// from opening time if the doors are not yet open.
func (q *Queue) deskLoads(ctx context.Context, tx *sql.Tx, site string, now time.Time) ([]DeskLoad, error) {
	desks, err := q.Booking.Desks(ctx, site)
	if err != nil {
		return nil, err
	}
	open := map[string]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT desk_id FROM desk_sessions WHERE site_id = ? AND open = 1`, site)
	if err != nil {
		return nil, fmt.Errorf("read desk sessions: %w", err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		open[id] = true
	}
	rows.Close()
	busy, err := tickets(ctx, tx, `site_id = ? AND status IN ('called', 'serving')`, site)
	if err != nil {
		return nil, err
	}
	times, fallback, err := q.serviceTimes(ctx, tx, site, now)
	if err != nil {
		return nil, err
	}
	freeAt := map[string]time.Time{}
	for _, b := range busy {
		since := frontdoor.FromMillis(b.Called.Int64)
		if b.Started.Valid {
			since = frontdoor.FromMillis(b.Started.Int64)
		}
		d, ok := times[b.Service]
		if !ok {
			d = fallback
		}
		freeAt[b.Desk.String] = maxTime(now, since.Add(d))
	}
	start := now
	if len(open) == 0 {
		// Nobody is at a desk yet: before the doors open, they open at opening time.
		if start, err = q.Booking.OpensFrom(ctx, site, now); err != nil {
			return nil, err
		}
	}
	var loads []DeskLoad
	for _, d := range desks {
		if len(open) > 0 && !open[d.ID] {
			continue
		}
		f, ok := freeAt[d.ID]
		if !ok {
			f = start
		}
		loads = append(loads, DeskLoad{ID: d.ID, Services: d.Services, FreeAt: f})
	}
	return loads, nil
}

// serviceTimes is how long EstimateWait takes each service's visits to
// last, from the site's visits finished in the past week (typicalTimes).
func (q *Queue) serviceTimes(ctx context.Context, tx *sql.Tx, site string, now time.Time) (map[string]time.Duration, time.Duration, error) {
	rows, err := tx.QueryContext(ctx, `SELECT service_code, finished_at - COALESCE(started_at, called_at) FROM tickets
		WHERE site_id = ? AND status = 'done' AND finished_at > ? AND called_at IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT ?`,
		site, frontdoor.Millis(now.Add(-7*24*time.Hour)), recentFinished)
	if err != nil {
		return nil, 0, fmt.Errorf("read service times: %w", err)
	}
	defer rows.Close()
	var recent []finishedVisit
	for rows.Next() {
		var f finishedVisit
		var ms int64
		if err := rows.Scan(&f.service, &ms); err != nil {
			return nil, 0, err
		}
		f.took = time.Duration(ms) * time.Millisecond
		recent = append(recent, f)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	services, err := q.Booking.Services(ctx, site)
	if err != nil {
		return nil, 0, err
	}
	lengths := map[string]time.Duration{}
	for _, s := range services {
		lengths[s.Code] = s.Duration()
	}
	times, fallback := typicalTimes(recent, lengths)
	return times, fallback, nil
}

// How many finished visits the typical times are learnt from: the latest
// recentFinished at a site, and of those the latest recentPerService of each service.
const (
	recentFinished   = 500
	recentPerService = 20
)

// finishedVisit is a finished visit as the wait estimate learns from it.
type finishedVisit struct {
	service string
	took    time.Duration // from the start of the visit (its call if not started) to its finish
}

// typicalTimes is how long EstimateWait takes a visit to last, the one rule
// for the live queue and the simulator: per service, the median of its
// latest recentPerService visits in recent (latest first); for a service with
// none, its appointment length from lengths. fallback, for a service in
// neither, is the median of all of recent, else 10 minutes.
func typicalTimes(recent []finishedVisit, lengths map[string]time.Duration) (times map[string]time.Duration, fallback time.Duration) {
	per := map[string][]time.Duration{}
	all := make([]time.Duration, 0, len(recent))
	for _, f := range recent {
		if len(per[f.service]) < recentPerService {
			per[f.service] = append(per[f.service], f.took)
		}
		all = append(all, f.took)
	}
	times = make(map[string]time.Duration, len(per)+len(lengths))
	for code, ds := range per {
		times[code] = median(ds)
	}
	for code, d := range lengths {
		if _, ok := times[code]; !ok && d > 0 {
			times[code] = d
		}
	}
	fallback = 10 * time.Minute
	if len(all) > 0 {
		fallback = median(all)
	}
	return times, fallback
}

// median of a non-empty list: for an even count, the upper of the middle two.
func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func minutesToSeconds(m int) int64 { return int64(m) * 60 }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// localDay is t's date in loc, as the tickets table keeps it.
func localDay(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.DateOnly) }

// ClosedMessage says, for a kiosk, that a site has closed for the day and
// when it opens again; "" while it is open (or opens later today). A ticket
// taken after closing would never be called, and would count as a missed
// standard when the day closes at midnight.
func (q *Queue) ClosedMessage(ctx context.Context, site booking.Site) (string, error) {
	now := q.Clock.Now()
	closed, reopens, err := q.Booking.ClosedForTheDay(ctx, site.ID, now)
	if err != nil || !closed {
		return "", err
	}
	if reopens.IsZero() {
		return site.Name + " is closed now.", nil
	}
	return fmt.Sprintf("%s is closed now. It opens again at %s.", site.Name, openingWords(reopens.In(site.Location()), now.In(site.Location()))), nil
}

// openingWords says when a centre opens again: "9am tomorrow", "9am on
// Monday 7 December".
func openingWords(t, now time.Time) string {
	if y, m, d := now.AddDate(0, 0, 1).Date(); t.Year() == y && t.Month() == m && t.Day() == d {
		return booking.ClockTime(t) + " tomorrow"
	}
	return booking.ClockTime(t) + " on " + t.Format("Monday 2 January")
}
