package admin

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/booking"
)

// A centre's services: add one, change one, and set how many of its
// appointments can run at once (its capacity bands).

type serviceFormData struct {
	New                               bool
	Site                              booking.Site
	Action                            string
	Code, Name, Duration, Prefix      field
	Ways                              group
	Target, FirstContact, WalkInLimit field
	Notice, Horizon                   field
	Upcoming                          int // booked appointments still to come
	Buttons                           buttons
}

var serviceOrder = []string{"code", "name", "duration_minutes", "ticket_prefix", "bookable", "appointment_target_minutes",
	"walk_in_first_contact_minutes", "walk_in_target_minutes", "min_notice_minutes", "horizon_days"}

func serviceForm(st booking.Site, f *form, isNew bool, code string) serviceFormData {
	d := serviceFormData{New: isNew, Site: st, Action: sitePath(st.ID, "/services/new"),
		Code:     f.text("code", "Code", "2 to 10 capital letters or numbers, starting with a letter, like HOU. It cannot be changed later.", "govuk-input--width-10"),
		Name:     f.text("name", "Name", "As residents will see it, like Housing options", ""),
		Duration: f.number("duration_minutes", "Appointment length", "From 5 to 480 minutes", "minutes"),
		Prefix:   f.text("ticket_prefix", "Ticket letter", "One letter: tickets are numbered H001, H002 and so on", "govuk-input--width-2"),
		Ways: f.choices("bookable", "How residents can use it", "", []choice{
			{Name: "bookable", Value: "yes", Text: "Residents can book appointments", Hint: "Online, and by phone through staff"},
			{Name: "walk_in", Value: "yes", Text: "Residents can walk in and take a ticket"},
		}),
		Target:       f.number("appointment_target_minutes", "Appointments seen within", "After the appointment time (or arrival, if later). The charter says 10 minutes.", "minutes"),
		FirstContact: f.number("walk_in_first_contact_minutes", "Walk-ins’ first contact within", "Dealt with, or told the wait and offered an appointment. The charter says 10 minutes.", "minutes"),
		WalkInLimit:  f.number("walk_in_target_minutes", "Walk-ins seen within", "After arrival. The charter says 30 minutes.", "minutes"),
		Notice:       f.number("min_notice_minutes", "Minimum notice", "How long ahead residents must book: 120 minutes is 2 hours", "minutes"),
		Horizon:      f.number("horizon_days", "Booking horizon", "How far ahead residents can book, up to 366 days", "days"),
		Buttons:      buttons{Submit: "Add service", Cancel: sitePath(st.ID, "")}}
	d.Prefix.Autocomplete = "off"
	if !isNew {
		d.Action, d.Buttons = sitePath(st.ID, "/services/"+code), buttons{Submit: "Save changes", Cancel: sitePath(st.ID, "")}
	}
	return d
}

// serviceInput reads the form; a number that is not one is sent as -1,
// which the store refuses with the setting's own message.
func serviceInput(f *form) booking.ServiceInput {
	num := func(id string) *int {
		n := whole(f.get(id))
		return &n
	}
	bookable, walkIn := f.checked("bookable"), f.checked("walk_in")
	return booking.ServiceInput{Code: f.get("code"), Name: f.get("name"), DurationMinutes: *num("duration_minutes"),
		TicketPrefix: f.get("ticket_prefix"), Bookable: &bookable, WalkIn: &walkIn,
		AppointmentTargetMinutes: num("appointment_target_minutes"), WalkInFirstContactMinutes: num("walk_in_first_contact_minutes"),
		WalkInTargetMinutes: num("walk_in_target_minutes"), MinNoticeMinutes: num("min_notice_minutes"), HorizonDays: num("horizon_days")}
}

// serviceValues fills a form with a service's settings.
func serviceValues(f *form, s booking.Service) {
	set := func(k string, v int) { f.values.Set(k, strconv.Itoa(v)) }
	f.values.Set("code", s.Code)
	f.values.Set("name", s.Name)
	f.values.Set("ticket_prefix", s.TicketPrefix)
	set("duration_minutes", s.DurationMinutes)
	set("appointment_target_minutes", s.AppointmentTargetMinutes)
	set("walk_in_first_contact_minutes", s.WalkInFirstContactMinutes)
	set("walk_in_target_minutes", s.WalkInTargetMinutes)
	set("min_notice_minutes", s.MinNoticeMinutes)
	set("horizon_days", s.HorizonDays)
	if s.Bookable {
		f.values.Set("bookable", "yes")
	}
	if s.WalkIn {
		f.values.Set("walk_in", "yes")
	}
}

func (p *Pages) newService(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r)
	f := newForm(nil)
	serviceValues(f, booking.Service{DurationMinutes: 20, Bookable: true, WalkIn: true, AppointmentTargetMinutes: 10,
		WalkInFirstContactMinutes: 10, WalkInTargetMinutes: 30, MinNoticeMinutes: 120, HorizonDays: 90})
	f.values.Set("duration_minutes", "")
	p.render(w, r, http.StatusOK, "service_form", "Add a service – "+st.Name, sitePath(st.ID, ""), nil, serviceForm(st, f, true, ""))
}

func (p *Pages) createService(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r)
	if !p.readForm(w, r) {
		return
	}
	f := newForm(r.PostForm, serviceOrder...)
	svc, err := p.Booking.CreateService(r.Context(), st.ID, serviceInput(f))
	if err != nil {
		p.refused(w, r, err, f, nil, "code", func(status int) {
			p.render(w, r, status, "service_form", "Add a service – "+st.Name, sitePath(st.ID, ""), f, serviceForm(st, f, true, ""))
		})
		return
	}
	msg := svc.Name + " added."
	if svc.Bookable {
		msg += " Set its capacity so that residents can book it."
	}
	p.done(w, r, sitePath(st.ID, ""), msg)
}

// siteService reads the service in the address; ok is false (and the
// error page written) when the site has none by that code.
func (p *Pages) siteService(w http.ResponseWriter, r *http.Request) (booking.Service, bool) {
	svc, err := p.Booking.Service(r.Context(), siteOf(r).ID, chi.URLParam(r, "code"))
	if err != nil {
		p.errors.Render(w, r, err)
		return svc, false
	}
	return svc, true
}

func (p *Pages) renderService(w http.ResponseWriter, r *http.Request, status int, svc booking.Service, f *form) {
	st := siteOf(r)
	upcoming, err := p.Booking.UpcomingBookings(r.Context(), st.ID, svc.Code)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	d := serviceForm(st, f, false, svc.Code)
	d.Upcoming = upcoming
	p.render(w, r, status, "service_form", "Change "+svc.Name+" – "+st.Name, sitePath(st.ID, ""), f, d)
}

func (p *Pages) editService(w http.ResponseWriter, r *http.Request) {
	svc, ok := p.siteService(w, r)
	if !ok {
		return
	}
	f := newForm(nil)
	serviceValues(f, svc)
	p.renderService(w, r, http.StatusOK, svc, f)
}

func (p *Pages) updateService(w http.ResponseWriter, r *http.Request) {
	svc, ok := p.siteService(w, r)
	if !ok || !p.readForm(w, r) {
		return
	}
	f := newForm(r.PostForm, serviceOrder...)
	f.values.Set("code", svc.Code)
	updated, err := p.Booking.UpdateService(r.Context(), svc.Site, svc.Code, serviceInput(f))
	if err != nil {
		p.refused(w, r, err, f, nil, "name", func(status int) { p.renderService(w, r, status, svc, f) })
		return
	}
	p.done(w, r, sitePath(svc.Site, ""), updated.Name+" saved. Appointments already booked keep their times.")
}

// A capacity band is a row of the capacity table.
type bandRow struct {
	N                  int // from 1, as the page words it
	Weekday            group
	From, To, Parallel field
	Errors             []string // shown on a line of their own above the row
}

// ErrorID is the id of the row's error messages.
func (b bandRow) ErrorID() string { return "band-" + strconv.Itoa(b.N-1) + "-error" }

// Cells are the row's inputs after the day.
func (b bandRow) Cells() []field { return []field{b.From, b.To, b.Parallel} }

type capacityData struct {
	Site    booking.Site
	Service booking.Service
	Action  string
	Rows    []bandRow
	Buttons buttons
}

// blankRows is how many empty rows the table offers for new bands.
const blankRows = 3

func capacityForm(st booking.Site, svc booking.Service, f *form, rows int) capacityData {
	d := capacityData{Site: st, Service: svc, Action: sitePath(st.ID, "/services/"+svc.Code+"/capacity"),
		Buttons: buttons{Submit: "Save capacity", Cancel: sitePath(st.ID, "")}}
	for i := range rows {
		id := func(part string) string { return "band-" + strconv.Itoa(i) + "-" + part }
		days := []choice{{Value: "", Text: "Choose a day"}}
		for _, w := range weekdays {
			days = append(days, choice{Value: w, Text: dayName(w)})
		}
		n := strconv.Itoa(i + 1)
		row := bandRow{N: i + 1,
			Weekday:  f.choices(id("weekday"), "Row "+n+": day", "", days),
			From:     f.text(id("from"), "Row "+n+": from", "", "govuk-input--width-5"),
			To:       f.text(id("to"), "Row "+n+": to", "", "govuk-input--width-5"),
			Parallel: f.text(id("parallel"), "Row "+n+": at once", "", "govuk-input--width-3")}
		row.Parallel.Inputmode = "numeric"
		if row.Weekday.Error != "" {
			row.Errors = append(row.Errors, row.Weekday.Error)
		}
		for _, c := range row.Cells() {
			if c.Error != "" {
				row.Errors = append(row.Errors, c.Error)
			}
		}
		d.Rows = append(d.Rows, row)
	}
	return d
}

func (p *Pages) capacity(w http.ResponseWriter, r *http.Request) {
	svc, ok := p.siteService(w, r)
	if !ok {
		return
	}
	st := siteOf(r)
	c, err := p.Booking.Capacity(r.Context(), st.ID, svc.Code)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	f := newForm(nil)
	for i, b := range c.Weekly {
		pre := "band-" + strconv.Itoa(i) + "-"
		f.values.Set(pre+"weekday", b.Weekday)
		f.values.Set(pre+"from", b.From)
		f.values.Set(pre+"to", b.To)
		f.values.Set(pre+"parallel", strconv.Itoa(b.Parallel))
	}
	p.render(w, r, http.StatusOK, "capacity", "Capacity for "+svc.Name+" – "+st.Name, sitePath(st.ID, ""), nil,
		capacityForm(st, svc, f, len(c.Weekly)+blankRows))
}

// maxBandRows bounds the rows a posted form is read for: a week has room
// for far fewer bands than this.
const maxBandRows = 1000

// bandRowOf reads the row number of an input named band-N-from.
func bandRowOf(key string) (int, bool) {
	rest, ok := strings.CutPrefix(key, "band-")
	if !ok {
		return 0, false
	}
	num, ok := strings.CutSuffix(rest, "-from")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	return n, err == nil && n >= 0 && n < maxBandRows
}

func (p *Pages) putCapacity(w http.ResponseWriter, r *http.Request) {
	svc, ok := p.siteService(w, r)
	if !ok || !p.readForm(w, r) {
		return
	}
	st := siteOf(r)
	rows := 0 // one more than the highest row posted (the form's size bounds it)
	for key := range r.PostForm {
		if n, ok := bandRowOf(key); ok {
			rows = max(rows, n+1)
		}
	}
	var order []string
	for i := range rows {
		for _, part := range []string{"weekday", "from", "to", "parallel"} {
			order = append(order, "band-"+strconv.Itoa(i)+"-"+part)
		}
	}
	f := newForm(r.PostForm, order...)
	var weekly []booking.CapacityBand
	var at []int // the row of each band in weekly
	for i := range rows {
		pre := "band-" + strconv.Itoa(i) + "-"
		from, to, parallel := clock(f.get(pre+"from")), clock(f.get(pre+"to")), f.get(pre+"parallel")
		if from == "" && to == "" && parallel == "" {
			continue // an empty row: a band removed, or none added
		}
		f.values.Set(pre+"from", from)
		f.values.Set(pre+"to", to)
		day := f.get(pre + "weekday")
		if day == "" {
			f.fail(pre+"weekday", "Row "+strconv.Itoa(i+1)+": choose the day")
		}
		n := whole(parallel)
		if n < 0 {
			n = 0 // refused by the store: "Enter how many appointments can run at once, from 1 to 100"
		}
		weekly = append(weekly, booking.CapacityBand{Weekday: day, From: from, To: to, Parallel: n})
		at = append(at, i)
	}
	again := func(status int) {
		p.render(w, r, status, "capacity", "Capacity for "+svc.Name+" – "+st.Name, sitePath(st.ID, ""), f,
			capacityForm(st, svc, f, max(rows, 1)))
	}
	// A row without a day is sent as it is: the store refuses the whole
	// form for it (writing nothing) while it checks the other rows.
	if _, err := p.Booking.PutCapacity(r.Context(), st.ID, svc.Code, booking.Capacity{Weekly: weekly}); err != nil {
		e := storeError(err)
		if e == nil {
			p.errors.Render(w, r, err)
			return
		}
		for name, msg := range e.Fields {
			i, part := bandField(name)
			if i < 0 || i >= len(at) {
				f.fail("band-0-from", msg)
				continue
			}
			if part == "" {
				part = "from" // a band that overlaps another
			}
			f.fail("band-"+strconv.Itoa(at[i])+"-"+part, "Row "+strconv.Itoa(at[i]+1)+": "+sentence(msg))
		}
		again(frontdoor.Status(e))
		return
	}
	p.done(w, r, sitePath(st.ID, ""), "Capacity for "+svc.Name+" saved.")
}
