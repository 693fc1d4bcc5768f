package queue

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"frontdoor"
	"frontdoor/booking"
	"frontdoor/web"
)

// The reception console: today's appointments and who has arrived, check-in
// by search, walk-in tickets issued at the counter, the tickets close to or
// past their due time, who is at which desk, and the texts that have not
// gone out. It follows the staff stream to stay current.

const receptionPath = "/staff/reception"

// waitRow is a waiting ticket on a console.
type waitRow struct {
	Number, Service, Kind string
	Name                  string // an appointment's visitor
	Arrived, Due          string
	Alert, AlertText      string // "amber"/"red" and what it means now
	Delayed, Priority     bool
	Offer                 string
	Needs                 []string
}

// waitTable is a table of waiting tickets.
type waitTable struct {
	ID, Caption string
	Rows        []waitRow
}

// chooser is a form to switch the site a console shows.
type chooser struct {
	Action string
	Sites  []option
}

// deskRow is a desk and what it is doing.
type deskRow struct {
	Name, Services string
	Open           bool
	Number, Doing  string
}

// apptRow is one of today's appointments.
type apptRow struct {
	Time, Name, Reference, Spaced, Service, Phone string
	Needs                                         []string
	Status, Tag                                   string // words and govuk-tag modifier
	CanCheckIn                                    bool
	Ticket                                        string
}

type msgRow struct {
	To, Purpose, Body, Queued, Status string
}

type receptionData struct {
	Assets       Assets
	Live         live
	Chooser      *chooser
	SiteID       string
	SiteName     string
	Today        string
	Now          string
	Alerts       []alertView
	DueTable     waitTable
	WaitTable    waitTable
	Desks        []deskRow
	Appointments []apptRow
	Query        string
	Searched     bool
	Matches      []apptRow
	Services     []option
	Phone        string
	Priority     bool
	ShowOutbox   bool
	Outbox       []msgRow
	Refresh      string
}

// receptionForm is what a failed form puts back on the page.
type receptionForm struct {
	query, service, phone string
	priority              bool
}

func (p *Pages) reception(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.staffOnly(w, r, receptionRoles); !ok {
		return
	}
	q := r.URL.Query()
	flash := p.takeFlash(w, r, receptionPath)
	p.renderReception(w, r, q.Get("site"), http.StatusOK, flash, receptionForm{query: strings.TrimSpace(q.Get("q"))}, nil)
}

func (p *Pages) renderReception(w http.ResponseWriter, r *http.Request, want string, status int, flash string, form receptionForm, errs []web.FieldError) {
	ctx := r.Context()
	c, ok := p.chooseSite(w, r, want)
	if !ok {
		return
	}
	st := c.Site
	loc := st.Location()
	now := p.q.Clock.Now().In(loc)
	pageURL := receptionPath + "?site=" + url.QueryEscape(st.ID)
	if form.query != "" {
		pageURL += "&q=" + url.QueryEscape(form.query)
	}
	lv, err := p.liveFor(ctx, st.ID, pageURL)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	d := receptionData{Assets: assets, Live: lv, SiteID: st.ID, SiteName: st.Name, Today: booking.LongDate(now),
		Now: booking.ClockTime(now), Query: form.query, Phone: form.phone, Priority: form.priority, Refresh: pageURL}
	if len(c.Options) > 1 {
		d.Chooser = &chooser{Action: receptionPath, Sites: c.Options}
	}
	d.DueTable = waitTable{ID: "due", Caption: "Tickets close to or past their due time"}
	d.WaitTable = waitTable{ID: "waiting", Caption: "Waiting tickets in calling order"}
	names, services, err := p.serviceNames(ctx, st.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	for _, s := range services {
		if s.WalkIn {
			d.Services = append(d.Services, option{Value: s.Code, Text: s.Name, Selected: s.Code == form.service})
		}
	}
	if d.Alerts, err = p.recentAlerts(ctx, st.ID, loc); err != nil {
		p.errors.Render(w, r, err)
		return
	}
	day := localDay(now, loc)
	list, err := p.q.Booking.DayList(ctx, st.ID, day)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	byID := map[int64]booking.DayBooking{}
	for _, b := range list {
		byID[b.ID] = b
	}
	today, err := tickets(ctx, p.q.DB.Read, `site_id = ? AND local_day = ? AND booking_id IS NOT NULL`, st.ID, day)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	ticketOf := map[int64]ticket{}
	for _, t := range today {
		ticketOf[t.BookingID.Int64] = t
	}
	board, err := p.q.Board(ctx, st.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	deskNames := map[string]string{}
	for _, dv := range board.Desks {
		deskNames[dv.ID] = dv.Name
	}
	bookingOf := map[string]booking.DayBooking{} // ticket id -> its booking
	for _, t := range today {
		if b, ok := byID[t.BookingID.Int64]; ok {
			bookingOf[strconv.FormatInt(t.ID, 10)] = b
		}
	}
	for _, t := range board.Tickets {
		row := p.waitRow(t, names, bookingOf, now)
		d.WaitTable.Rows = append(d.WaitTable.Rows, row)
		if t.Alert != "" {
			d.DueTable.Rows = append(d.DueTable.Rows, row)
		}
	}
	for _, dv := range board.Desks {
		d.Desks = append(d.Desks, deskRowOf(dv, names, loc))
	}
	for _, b := range list {
		d.Appointments = append(d.Appointments, apptRowOf(b, ticketOf, names, deskNames, now))
	}
	if form.query != "" {
		d.Searched = true
		for _, b := range list {
			if matches(b, form.query) {
				d.Matches = append(d.Matches, apptRowOf(b, ticketOf, names, deskNames, now))
			}
		}
	}
	msgs, err := p.unsent(ctx, st.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	d.ShowOutbox = p.SMSConfigured == nil || !p.SMSConfigured()
	for _, m := range msgs {
		d.Outbox = append(d.Outbox, msgRow{To: booking.NationalPhone(m.To), Purpose: purposeWords(m.Purpose), Body: m.Body,
			Queued: booking.ClockTime(m.Created.In(loc)) + " " + m.Created.In(loc).Format("2 Jan"), Status: strings.ReplaceAll(m.Status, "_", " ")})
	}
	p.consoles.Render(w, r, status, "reception", &web.Page{Title: "Reception", Flash: flash, Errors: errs, Data: d})
}

func (p *Pages) waitRow(t Ticket, names map[string]string, bookingOf map[string]booking.DayBooking, now time.Time) waitRow {
	loc := now.Location()
	row := waitRow{Number: t.Number, Service: names[t.Service], Kind: "Walk-in", Arrived: booking.ClockTime(t.Arrived.In(loc)),
		Due: booking.ClockTime(t.Due.In(loc)), Alert: t.Alert, Delayed: t.Delayed, Priority: t.Priority}
	if t.Appointment != nil {
		row.Kind = "Appointment " + booking.ClockTime(t.Appointment.In(loc))
	}
	if b, ok := bookingOf[t.ID]; ok {
		row.Name = b.Name
		row.Needs = needsFlags(b.Needs)
	}
	switch t.Alert {
	case "red":
		row.AlertText = "Past due by " + minutesText(int(now.Sub(t.Due)/time.Minute))
		if now.Sub(t.Due) < time.Minute {
			row.AlertText = "Due now"
		}
	case "amber":
		row.AlertText = "Due in " + minutesText(int((t.Due.Sub(now)+time.Minute-1)/time.Minute))
	}
	switch {
	case t.OfferedAppointment && t.OfferResponse == "declined":
		row.Offer = "Offered an appointment: chose to wait"
	case t.OfferedAppointment:
		row.Offer = "Offered an appointment"
	}
	return row
}

func deskRowOf(dv DeskView, names map[string]string, loc *time.Location) deskRow {
	var svcs []string
	for _, s := range dv.Services {
		svcs = append(svcs, names[s])
	}
	row := deskRow{Name: dv.Name, Services: strings.Join(svcs, ", "), Open: dv.Open}
	switch {
	case dv.Ticket != nil && dv.Ticket.Status == StatusServing:
		row.Number = dv.Ticket.Number
		row.Doing = "Serving " + dv.Ticket.Number + " since " + booking.ClockTime(dv.Ticket.Started.In(loc))
	case dv.Ticket != nil:
		row.Number = dv.Ticket.Number
		row.Doing = "Called " + dv.Ticket.Number + " at " + booking.ClockTime(dv.Ticket.Called.In(loc))
	case dv.Open:
		row.Doing = "Free"
	default:
		row.Doing = "Closed"
	}
	return row
}

func apptRowOf(b booking.DayBooking, ticketOf map[int64]ticket, names, deskNames map[string]string, now time.Time) apptRow {
	row := apptRow{Time: booking.ClockTime(b.Start), Name: b.Name, Reference: b.Reference, Spaced: booking.SpacedReference(b.Reference),
		Service: names[b.Service], Phone: booking.NationalPhone(b.Phone), Needs: needsFlags(b.Needs)}
	t, arrived := ticketOf[b.ID]
	switch {
	case arrived && t.Status == StatusWaiting:
		row.Status, row.Tag, row.Ticket = "Arrived: "+t.Number+" waiting", "blue", t.Number
	case arrived && (t.Status == StatusCalled || t.Status == StatusServing):
		row.Status, row.Tag, row.Ticket = "At "+deskNames[t.Desk.String]+": "+t.Number, "turquoise", t.Number
	case arrived && t.Status == StatusNoShow || b.Status == booking.StatusNoShow:
		row.Status, row.Tag = "No-show", "red"
	case arrived || b.Status == booking.StatusSeen:
		row.Status, row.Tag = "Seen", "green"
	case b.Status == booking.StatusBooked && now.After(b.Start):
		row.Status, row.Tag, row.CanCheckIn = "Not arrived: late", "orange", true
	case b.Status == booking.StatusBooked:
		row.Status, row.Tag, row.CanCheckIn = "Not arrived", "grey", true
	default:
		row.Status, row.Tag = strings.ReplaceAll(b.Status, "_", " "), "grey"
	}
	return row
}

// matches finds a booking by part of the name, the reference, or the last
// digits of the phone number (three or more).
func matches(b booking.DayBooking, query string) bool {
	q := strings.TrimSpace(query)
	if ref, ok := booking.NormalizeReference(q); ok && ref == b.Reference {
		return true
	}
	digits := strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return r
		}
		if r == ' ' {
			return -1
		}
		return 'x'
	}, q)
	if len(digits) >= 3 && !strings.Contains(digits, "x") {
		return strings.HasSuffix(b.Phone, digits)
	}
	return len(q) >= 2 && strings.Contains(strings.ToLower(b.Name), strings.ToLower(q))
}

func purposeWords(p string) string {
	switch p {
	case "confirmation":
		return "Booking confirmed"
	case "change":
		return "Booking changed"
	case "cancellation":
		return "Booking cancelled"
	case "reminder":
		return "Reminder"
	case "delay":
		return "Running late"
	case "called":
		return "Called to a desk"
	case "satisfaction":
		return "After the visit"
	case "reply":
		return "Reply"
	}
	return strings.ReplaceAll(p, "_", " ")
}

// receptionCheckin checks in the booking whose button was pressed.
func (p *Pages) receptionCheckin(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.staffForm(w, r, receptionRoles); !ok {
		return
	}
	f := r.PostForm
	site, query := f.Get("site"), strings.TrimSpace(f.Get("q"))
	form := receptionForm{query: query}
	ref := strings.TrimSpace(f.Get("reference"))
	if ref == "" {
		ref = query
	}
	if _, ok := booking.NormalizeReference(ref); !ok {
		p.renderReception(w, r, site, http.StatusBadRequest, "", form, []web.FieldError{{Field: "q",
			Message: "Enter a booking reference, a name or the last digits of a phone number, then choose Check in beside the booking"}})
		return
	}
	a, err := p.q.CheckIn(r.Context(), CheckinInput{Reference: ref})
	if err != nil {
		e := frontdoor.AsError(err)
		if e.Kind == frontdoor.Internal || e.Kind == frontdoor.Unauthorized || e.Kind == frontdoor.Forbidden && e.Code == "forbidden" {
			p.errors.Render(w, r, err)
			return
		}
		p.renderReception(w, r, site, frontdoor.Status(e), "", form, []web.FieldError{{Field: "q", Message: e.Message}})
		return
	}
	b, _ := p.q.Booking.ByReference(r.Context(), ref)
	msg := "Checked in " + b.Name + ": ticket " + a.Ticket.Number
	if needs := needsFlags(b.Needs); len(needs) > 0 {
		msg += ". Needs: " + strings.Join(needs, ", ")
	}
	p.setFlash(w, receptionPath, msg)
	back := receptionPath + "?site=" + url.QueryEscape(b.Site)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// receptionTicket issues a walk-in ticket at the counter.
func (p *Pages) receptionTicket(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.staffForm(w, r, receptionRoles); !ok {
		return
	}
	f := r.PostForm
	site := f.Get("site")
	form := receptionForm{service: f.Get("service"), phone: strings.TrimSpace(f.Get("phone")), priority: f.Get("priority") == "yes"}
	a, err := p.q.TakeTicket(r.Context(), site, WalkInInput{Service: form.service, Phone: form.phone, Priority: form.priority})
	if err != nil {
		e := frontdoor.AsError(err)
		switch {
		case e.Kind == frontdoor.NotFound && e.Fields == nil && strings.Contains(e.Message, "service"):
			p.renderReception(w, r, site, http.StatusBadRequest, "", form, []web.FieldError{{Field: "service", Message: "Choose a service from the list"}})
		case e.Fields != nil:
			p.renderReception(w, r, site, frontdoor.Status(e), "", form, fieldErrs(e, []string{"service", "phone"}, nil))
		default:
			p.errors.Render(w, r, err)
		}
		return
	}
	names, _, _ := p.serviceNames(r.Context(), site)
	msg := "Ticket " + a.Ticket.Number + " for " + names[a.Ticket.Service] + ": expected wait " + a.WaitText
	if a.OfferAppointment {
		msg += ". The wait is longer than the standard: offer an appointment instead (Phone booking)"
	}
	p.setFlash(w, receptionPath, msg)
	http.Redirect(w, r, receptionPath+"?site="+url.QueryEscape(site), http.StatusSeeOther)
}
