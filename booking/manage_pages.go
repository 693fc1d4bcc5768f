package booking

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/web"
)

// The resident's manage pages, reached by the link in the confirmation
// text: see the booking, cancel it, or move it to another free time. The
// token in the address is the only key; a wrong one is simply not found.

// managed is a booking as its manage pages show it.
type managed struct {
	Booking   Created
	Site      Site
	Service   Service
	When      string
	Status    string
	Booked    bool // still booked and in the future: it can be changed or cancelled
	Path      string
	Rows      []summaryRow
	Mobile    bool
	ChangeURL string
	CancelURL string
}

func statusText(s string) string {
	switch s {
	case StatusBooked:
		return "Booked"
	case StatusCancelled:
		return "Cancelled"
	case StatusCheckedIn:
		return "Checked in"
	case StatusSeen:
		return "Seen"
	case StatusNoShow:
		return "Missed"
	}
	return s
}

// loadManaged reads the booking of the request's manage link; on failure it
// has answered already (a wrong link is the "not found" page).
func (p *Pages) loadManaged(w http.ResponseWriter, r *http.Request) (managed, bool) {
	private(w)
	ref, token := chi.URLParam(r, "reference"), chi.URLParam(r, "token")
	c, err := p.store.Get(r.Context(), ref, token)
	if err != nil {
		p.manageFailed(w, r, err)
		return managed{}, false
	}
	return p.managed(w, r, c)
}

func (p *Pages) managed(w http.ResponseWriter, r *http.Request, c Created) (managed, bool) {
	st, err := p.store.Site(r.Context(), c.Site)
	if err != nil {
		p.errors.Render(w, r, err)
		return managed{}, false
	}
	svc, err := p.store.Service(r.Context(), c.Site, c.Service)
	if err != nil {
		p.errors.Render(w, r, err)
		return managed{}, false
	}
	loc := st.Location()
	c.Start, c.End = c.Start.In(loc), c.End.In(loc)
	_, mobile, _ := NormalizePhone(c.Phone)
	path := ManagePath(c.Reference, c.ManageToken)
	m := managed{Booking: c, Site: st, Service: svc, When: When(c.Start), Status: statusText(c.Status),
		Booked: c.Status == StatusBooked && c.Start.After(p.store.Clock.Now()), Path: path, Mobile: mobile,
		ChangeURL: path + "/change", CancelURL: path + "/cancel"}
	m.Rows = []summaryRow{
		{Key: "Reference", Values: []string{c.Reference}},
		{Key: "Service", Values: []string{svc.Name}},
		{Key: "Date and time", Values: []string{m.When}},
		{Key: "Customer centre", Values: []string{st.Name, st.Address}},
		{Key: "Name", Values: []string{c.Name}},
		{Key: "What you need", Values: needsLines(c.Needs)},
		{Key: "People coming", Values: []string{peopleText(c.People)}},
	}
	if st.Address == "" {
		m.Rows[3].Values = m.Rows[3].Values[:1]
	}
	return m, true
}

// manageFailed answers a manage request that Store refused.
func (p *Pages) manageFailed(w http.ResponseWriter, r *http.Request, err error) {
	if frontdoor.IsKind(err, frontdoor.NotFound) || frontdoor.IsKind(err, frontdoor.Unauthorized) {
		p.render(w, r, http.StatusNotFound, "manage_missing", &web.Page{Title: "We could not find your appointment"})
		return
	}
	p.errors.Render(w, r, err)
}

func (p *Pages) manageHelp(w http.ResponseWriter, r *http.Request) {
	ref, _ := NormalizeReference(chi.URLParam(r, "reference"))
	p.render(w, r, http.StatusOK, "manage_help", &web.Page{Title: "Manage your appointment", Data: struct{ Reference string }{ref}})
}

func (p *Pages) managePage(w http.ResponseWriter, r *http.Request) {
	m, ok := p.loadManaged(w, r)
	if !ok {
		return
	}
	p.render(w, r, http.StatusOK, "manage", &web.Page{Title: "Your appointment", Data: m})
}

func (p *Pages) cancelPage(w http.ResponseWriter, r *http.Request) {
	m, ok := p.loadManaged(w, r)
	if !ok {
		return
	}
	if !m.Booked {
		http.Redirect(w, r, m.Path, http.StatusSeeOther)
		return
	}
	p.render(w, r, http.StatusOK, "cancel", &web.Page{Title: "Are you sure you want to cancel your appointment?", BackLink: m.Path, Data: m})
}

func (p *Pages) cancel(w http.ResponseWriter, r *http.Request) {
	private(w)
	c, err := p.store.Cancel(r.Context(), chi.URLParam(r, "reference"), chi.URLParam(r, "token"))
	if err != nil {
		p.manageFailed(w, r, err)
		return
	}
	m, ok := p.managed(w, r, c)
	if !ok {
		return
	}
	p.render(w, r, http.StatusOK, "cancelled", &web.Page{Title: "Appointment cancelled", Data: m})
}

func (p *Pages) changeDayPage(w http.ResponseWriter, r *http.Request) {
	m, ok := p.loadManaged(w, r)
	if !ok {
		return
	}
	if !m.Booked {
		http.Redirect(w, r, m.Path, http.StatusSeeOther)
		return
	}
	q := r.URL.Query()
	p.renderChangeDays(w, r, http.StatusOK, m, q.Get("from"), q.Get("day"), "")
}

func (p *Pages) renderChangeDays(w http.ResponseWriter, r *http.Request, status int, m managed, from, day, errMsg string) {
	c, err := p.dayChoice(r.Context(), m.Site, m.Service, from, day, func(from string) string {
		return m.ChangeURL + "?from=" + from
	})
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	c.Legend = "Which day would you like to change to?"
	c.Hint = "Your appointment is now at " + m.When + ". " + c.Hint
	c.Action = m.ChangeURL
	c.Error = errMsg
	page := &web.Page{Title: c.Legend, BackLink: m.Path, Data: c}
	if errMsg != "" {
		page.Errors = []web.FieldError{{Field: "day", Message: errMsg}}
	}
	p.render(w, r, status, "choose", page)
}

func (p *Pages) changeDay(w http.ResponseWriter, r *http.Request) {
	m, ok := p.loadManaged(w, r)
	if !ok {
		return
	}
	if _, err := readForm(w, r); err != nil {
		p.errors.Render(w, r, err)
		return
	}
	day := r.PostForm.Get("day")
	msg, err := p.checkDay(r.Context(), m.Site, m.Service, day)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	if msg != "" {
		p.renderChangeDays(w, r, http.StatusBadRequest, m, r.PostForm.Get("from"), "", msg)
		return
	}
	http.Redirect(w, r, m.ChangeURL+"/time?day="+day, http.StatusSeeOther)
}

func (p *Pages) changeTimePage(w http.ResponseWriter, r *http.Request) {
	m, ok := p.loadManaged(w, r)
	if !ok {
		return
	}
	if !m.Booked {
		http.Redirect(w, r, m.Path, http.StatusSeeOther)
		return
	}
	day, err := time.Parse(time.DateOnly, r.URL.Query().Get("day"))
	if err != nil {
		http.Redirect(w, r, m.ChangeURL, http.StatusSeeOther)
		return
	}
	p.renderChangeTimes(w, r, http.StatusOK, m, day, "")
}

func (p *Pages) renderChangeTimes(w http.ResponseWriter, r *http.Request, status int, m managed, day time.Time, errMsg string) {
	c, err := p.timeChoice(r.Context(), m.Site, m.Service, day, "")
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	days := m.ChangeURL + "?day=" + day.Format(time.DateOnly)
	c.Legend = "Choose a new time on " + LongDate(day)
	c.Hint = "Your appointment is now at " + m.When + ". It stays at that time until you choose a new one."
	c.Action = m.ChangeURL + "/time"
	c.Hidden = []hidden{{"day", day.Format(time.DateOnly)}}
	c.Links = []link{{Href: days, Text: "Choose another day"}}
	c.Button = "Change to this time"
	c.Error = errMsg
	page := &web.Page{Title: c.Legend, BackLink: days, Data: c}
	if errMsg != "" {
		page.Errors = []web.FieldError{{Field: "start", Message: errMsg}}
	}
	p.render(w, r, status, "choose", page)
}

func (p *Pages) changeTime(w http.ResponseWriter, r *http.Request) {
	m, ok := p.loadManaged(w, r)
	if !ok {
		return
	}
	if _, err := readForm(w, r); err != nil {
		p.errors.Render(w, r, err)
		return
	}
	// Only a missing or unreadable choice is asked again here: whether the
	// time is still free is Reschedule's to say, in the same transaction
	// that moves the booking.
	text, msg := r.PostForm.Get("start"), ""
	start, err := time.Parse(time.RFC3339, text)
	switch {
	case text == "":
		msg = "Select a time"
	case err != nil:
		msg = "Select one of the times listed"
	}
	if msg != "" {
		day, err := time.Parse(time.DateOnly, r.PostForm.Get("day"))
		if err != nil {
			http.Redirect(w, r, m.ChangeURL, http.StatusSeeOther)
			return
		}
		p.renderChangeTimes(w, r, http.StatusBadRequest, m, day, msg)
		return
	}
	c, err := p.store.Reschedule(r.Context(), m.Booking.Reference, chi.URLParam(r, "token"), text)
	if err != nil {
		e := frontdoor.AsError(err)
		if e.Code == "slot_full" || (e.Code == "not_bookable" && e.Fields["start"] != "") {
			status := http.StatusConflict
			if e.Code == "not_bookable" {
				status = http.StatusUnprocessableEntity
			}
			day := localDate(start, m.Site.Location()).Format(time.DateOnly)
			p.renderGone(w, r, status, m.Site, m.Service, start, e, m.ChangeURL+"/time", []hidden{{"day", day}},
				m.ChangeURL+"?day="+day, "Your appointment is still at "+m.When+".")
			return
		}
		p.manageFailed(w, r, err)
		return
	}
	m, ok = p.managed(w, r, c)
	if !ok {
		return
	}
	p.render(w, r, http.StatusOK, "changed", &web.Page{Title: "Appointment changed", Data: m})
}
