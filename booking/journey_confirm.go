package booking

import (
	"net/http"
	"strconv"
	"time"

	"frontdoor"
	"frontdoor/web"
)

// The end of the booking journey: check your answers, book, and the
// confirmation, or the "that time has just gone" page.

// summaryRow is one row of a GOV.UK summary list.
type summaryRow struct {
	Key    string
	Values []string
	Change string // the Change link, if any
	Label  string // what Change changes, for screen readers
}

// checkPageData is the check-your-answers page.
type checkPageData struct {
	Rows   []summaryRow
	Action string
	Hidden []hidden
}

func needsLines(n Needs) []string {
	if !n.Any() {
		return []string{"None"}
	}
	return n.List()
}

func peopleText(n int) string {
	if n == 1 {
		return "1 person"
	}
	return strconv.Itoa(n) + " people"
}

func (p *Pages) checkPage(w http.ResponseWriter, r *http.Request) {
	st, j, svc, ok := p.step(w, r)
	if !ok {
		return
	}
	start, err := time.Parse(time.RFC3339, j.Start)
	if err != nil {
		http.Redirect(w, r, journey{Site: st.ID, Service: svc.Code, Sealed: j.Sealed}.url("day"), http.StatusSeeOther)
		return
	}
	d, ok := p.sealer().open(j.Sealed)
	if !ok {
		http.Redirect(w, r, journey{Site: st.ID, Service: svc.Code, Day: j.Day, Start: j.Start}.url("details"), http.StatusSeeOther)
		return
	}
	loc := st.Location()
	start = start.In(loc)
	j.Day = localDate(start, loc).Format(time.DateOnly)
	j.Start = start.Format(time.RFC3339)
	email := d.Email
	if email == "" {
		email = "Not given"
	}
	details := journey{Site: st.ID, Service: svc.Code, Day: j.Day, Start: j.Start, Sealed: j.Sealed}.url("details")
	rows := []summaryRow{
		{Key: "Customer centre", Values: []string{st.Name, st.Address}},
		{Key: "Service", Values: []string{svc.Name}, Change: journey{Site: st.ID, Service: svc.Code, Sealed: j.Sealed}.url(""), Label: "service"},
		{Key: "Date", Values: []string{LongDate(start)}, Change: journey{Site: st.ID, Service: svc.Code, Day: j.Day, Sealed: j.Sealed}.url("day"), Label: "date"},
		{Key: "Time", Values: []string{ClockTime(start) + " (" + plural(svc.DurationMinutes, "minute") + ")"},
			Change: journey{Site: st.ID, Service: svc.Code, Day: j.Day, Start: j.Start, Sealed: j.Sealed}.url("time"), Label: "time"},
		{Key: "Full name", Values: []string{d.Name}, Change: details + "#name", Label: "full name"},
		{Key: "Phone number", Values: []string{d.Phone}, Change: details + "#phone", Label: "phone number"},
		{Key: "Email address", Values: []string{email}, Change: details + "#email", Label: "email address"},
		{Key: "What you need", Values: needsLines(d.needs()), Change: details + "#needs", Label: "what you need"},
		{Key: "People coming", Values: []string{peopleText(d.people())}, Change: details + "#people", Label: "how many people are coming"},
	}
	if st.Address == "" {
		rows[0].Values = rows[0].Values[:1]
	}
	data := checkPageData{Rows: rows, Action: journey{Site: st.ID}.url("confirm"),
		Hidden: []hidden{{"service", svc.Code}, {"day", j.Day}, {"start", j.Start}, {"d", j.Sealed}, {"key", formNonce()}}}
	p.render(w, r, http.StatusOK, "check", &web.Page{Title: "Check your answers before booking", BackLink: details, Data: data})
}

// confirmationData is the page after booking.
type confirmationData struct {
	Booking   Created
	Site      Site
	Service   Service
	When      string
	Mobile    bool
	Phone     string
	ManageURL string
}

func (p *Pages) confirm(w http.ResponseWriter, r *http.Request) {
	st, ok := p.site(w, r)
	if !ok {
		return
	}
	body, err := readForm(w, r)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	j := journeyFrom(st.ID, r.PostForm)
	svc, ok := p.bookable(r.Context(), st.ID, j.Service)
	if !ok {
		p.errors.Render(w, r, frontdoor.Errorf(frontdoor.Unprocessable, "not_bookable",
			"This service cannot be booked online now. Go back to the start and choose again."))
		return
	}
	d, ok := p.sealer().open(j.Sealed)
	start, err := time.Parse(time.RFC3339, j.Start)
	if !ok || err != nil || len(d.check()) > 0 {
		p.errors.Render(w, r, frontdoor.Errorf(frontdoor.Invalid, "bad_form",
			"Your answers could not be read. Go back to the start and enter them again."))
		return
	}
	p.once(w, r, body, func(w http.ResponseWriter, r *http.Request) {
		c, err := p.store.Book(r.Context(), d.input(st.ID, svc.Code, start.Format(time.RFC3339), "online"))
		if err != nil {
			p.bookingFailed(w, r, st, svc, j, d, err)
			return
		}
		if c.Existing {
			// Another tab or device already booked it: its link went by text.
			p.render(w, r, http.StatusOK, "already_booked", &web.Page{Title: "You already have this appointment",
				Data: struct {
					When    string
					Service Service
					Site    Site
				}{When(c.Start.In(st.Location())), svc, st}})
			return
		}
		private(w)
		p.render(w, r, http.StatusOK, "confirmation", &web.Page{Title: "Appointment booked", Data: p.confirmation(st, svc, c)})
	})
}

func (p *Pages) confirmation(st Site, svc Service, c Created) confirmationData {
	_, mobile, _ := NormalizePhone(c.Phone)
	return confirmationData{Booking: c, Site: st, Service: svc, When: When(c.Start.In(st.Location())), Mobile: mobile,
		Phone: NationalPhone(c.Phone), ManageURL: ManagePath(c.Reference, c.ManageToken)}
}

// bookingFailed answers a booking that Book refused: a time that has gone
// is a page offering the nearest others, bad details go back to the form.
func (p *Pages) bookingFailed(w http.ResponseWriter, r *http.Request, st Site, svc Service, j journey, d details, err error) {
	e := frontdoor.AsError(err)
	start, _ := time.Parse(time.RFC3339, j.Start)
	switch {
	case e.Code == "slot_full" || (e.Code == "not_bookable" && e.Fields["start"] != ""):
		if start.IsZero() {
			start = p.store.Clock.Now()
		}
		status := http.StatusConflict
		if e.Code == "not_bookable" {
			status = http.StatusUnprocessableEntity
		}
		p.renderGone(w, r, status, st, svc, start, e, journey{Site: st.ID}.url("time"),
			[]hidden{{"service", svc.Code}, {"day", localDate(start, st.Location()).Format(time.DateOnly)}, {"d", j.Sealed}},
			journey{Site: st.ID, Service: svc.Code, Day: localDate(start, st.Location()).Format(time.DateOnly), Sealed: j.Sealed}.url("day"),
			"Your details have been kept: choose another time and check your answers again.")
	case e.Code == "validation_failed" && !start.IsZero():
		p.renderDetails(w, r, http.StatusBadRequest, st, svc, start, d, fieldErrors(e.Fields, detailsOrder, detailsIDs))
	default:
		p.errors.Render(w, r, err)
	}
}

// renderGone is the "that time has just gone" page: the nearest other free
// times as radios posting to action.
func (p *Pages) renderGone(w http.ResponseWriter, r *http.Request, status int, st Site, svc Service, want time.Time,
	e *frontdoor.Error, action string, hiddens []hidden, days string, kept string) {
	groups, err := p.nearestGroups(r.Context(), st, svc, want)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	wantText := ClockTime(want.In(st.Location())) + " on " + LongDate(want.In(st.Location()))
	c := choosePage{Heading: "Sorry, that time has just gone", Caption: caption(svc, st), Field: "start", Groups: groups,
		Action: action, Hidden: hiddens, Button: "Continue", Legend: "Choose another time",
		Links: []link{{Href: days, Text: "See all free days"}}}
	if e.Code == "slot_full" {
		c.Intro = []string{"Someone else booked " + wantText + " while you were filling in the form.", kept}
	} else {
		c.Heading = "Sorry, that time can no longer be booked"
		c.Intro = []string{e.Fields["start"] + ".", kept}
	}
	if len(groups) == 0 {
		c.Empty = "There are no other free times in the next two weeks."
	} else {
		c.Hint = "These are the free times nearest to the one you chose."
	}
	p.render(w, r, status, "choose", &web.Page{Title: c.Heading, Data: c})
}
