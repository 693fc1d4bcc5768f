package booking

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"frontdoor/web"
)

// The resident's booking journey, one question per page: service → day →
// time → details → check your answers → confirmation. Every form posts to
// its own page, which shows the errors (400) or sends the resident on with
// a redirect that carries the journey in the address.

// hidden is a hidden form field.
type hidden struct{ Name, Value string }

// choosePage is a page of radios: free days, free times, or other times
// after the chosen one has gone. Heading, when set, is the page's h1 and
// the question is then a smaller legend under it.
type choosePage struct {
	Heading string
	Intro   []string
	Caption string
	Legend  string
	Hint    string
	Action  string
	Hidden  []hidden
	Field   string
	Groups  []radioGroup
	Error   string
	Empty   string
	Links   []link // shown under the radios (other days, and so on)
	Prev    *link
	Next    *link
	Button  string
}

// servicePageData is the service question.
type servicePageData struct {
	Site    Site
	Radios  []radio
	Walkins []Service
	Error   string
	Sealed  string
}

func (p *Pages) site(w http.ResponseWriter, r *http.Request) (Site, bool) {
	st, err := p.store.Site(r.Context(), chi.URLParam(r, "site"))
	if err != nil {
		p.errors.Render(w, r, err)
		return Site{}, false
	}
	return st, true
}

// bookable returns the service if residents may book it online.
func (p *Pages) bookable(ctx context.Context, site, code string) (Service, bool) {
	if code == "" {
		return Service{}, false
	}
	svc, err := p.store.Service(ctx, site, code)
	if err != nil || !svc.Bookable {
		return Service{}, false
	}
	return svc, true
}

func (p *Pages) servicePage(w http.ResponseWriter, r *http.Request) {
	st, ok := p.site(w, r)
	if !ok {
		return
	}
	j := journeyFrom(st.ID, r.URL.Query())
	p.renderService(w, r, http.StatusOK, st, j, "")
}

func (p *Pages) renderService(w http.ResponseWriter, r *http.Request, status int, st Site, j journey, errMsg string) {
	services, err := p.store.Services(r.Context(), st.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	data := servicePageData{Site: st, Error: errMsg, Sealed: j.Sealed}
	for _, s := range services {
		if s.Bookable {
			data.Radios = append(data.Radios, radio{Value: s.Code, Label: s.Name,
				Hint: "Appointments take " + plural(s.DurationMinutes, "minute"), Checked: s.Code == j.Service})
		} else if s.WalkIn {
			data.Walkins = append(data.Walkins, s)
		}
	}
	groups := []radioGroup{{Items: data.Radios}}
	numberRadios("service", groups)
	data.Radios = groups[0].Items
	page := &web.Page{Title: "What do you need help with?", BackLink: "/", Data: data}
	if errMsg != "" {
		page.Errors = []web.FieldError{{Field: "service", Message: errMsg}}
	}
	p.render(w, r, status, "service", page)
}

func (p *Pages) chooseService(w http.ResponseWriter, r *http.Request) {
	st, ok := p.site(w, r)
	if !ok {
		return
	}
	if _, err := readForm(w, r); err != nil {
		p.errors.Render(w, r, err)
		return
	}
	j := journeyFrom(st.ID, r.PostForm)
	if j.Service == "" {
		p.renderService(w, r, http.StatusBadRequest, st, j, "Select what you need help with")
		return
	}
	if _, ok := p.bookable(r.Context(), st.ID, j.Service); !ok {
		p.renderService(w, r, http.StatusBadRequest, st, journey{Sealed: j.Sealed}, "Select one of the services listed")
		return
	}
	http.Redirect(w, r, journey{Site: st.ID, Service: j.Service, Sealed: j.Sealed}.url("day"), http.StatusSeeOther)
}

// step starts every journey page after the first: the site, the answers
// so far (the form for a POST, the query for a GET) and the chosen service.
// Without a bookable service it sends the resident back to choose one,
// keeping what they typed, and reports false.
func (p *Pages) step(w http.ResponseWriter, r *http.Request) (Site, journey, Service, bool) {
	st, ok := p.site(w, r)
	if !ok {
		return st, journey{}, Service{}, false
	}
	values := r.URL.Query()
	if r.Method == http.MethodPost {
		if _, err := readForm(w, r); err != nil {
			p.errors.Render(w, r, err)
			return st, journey{}, Service{}, false
		}
		values = r.PostForm
	}
	j := journeyFrom(st.ID, values)
	svc, ok := p.bookable(r.Context(), st.ID, j.Service)
	if !ok {
		http.Redirect(w, r, journey{Site: st.ID, Sealed: j.Sealed}.url(""), http.StatusSeeOther)
	}
	return st, j, svc, ok
}

// caption names the service and the centre above each question.
func caption(svc Service, st Site) string { return svc.Name + " at " + st.Name }

func (p *Pages) dayPage(w http.ResponseWriter, r *http.Request) {
	st, j, svc, ok := p.step(w, r)
	if !ok {
		return
	}
	p.renderDays(w, r, http.StatusOK, st, svc, j, "")
}

// dayChoice fills the choice of free days for the window that starts at from.
func (p *Pages) dayChoice(ctx context.Context, st Site, svc Service, fromText, checked string, page func(from string) string) (choosePage, error) {
	today, last := p.today(svc, st.Location())
	from := today
	if f, err := time.Parse(time.DateOnly, fromText); err == nil {
		from = window(today, f)
	} else if c, err := time.Parse(time.DateOnly, checked); err == nil {
		from = window(today, c)
	}
	if from.After(last) {
		from = window(today, last)
	}
	groups, err := p.dayGroups(ctx, st, svc, from, checked)
	if err != nil {
		return choosePage{}, err
	}
	to := from.AddDate(0, 0, WindowDays-1)
	c := choosePage{Caption: caption(svc, st), Field: "day", Groups: groups, Button: "Continue",
		Hint: "Showing days with free appointments from " + LongDate(from) + " to " + LongDate(to) + "."}
	if len(groups) == 0 {
		c.Empty = "There are no free appointments from " + LongDate(from) + " to " + LongDate(to) + "."
	}
	if from.After(today) {
		c.Prev = &link{Href: page(from.AddDate(0, 0, -WindowDays).Format(time.DateOnly)), Text: "Earlier dates"}
	}
	if !to.Before(last) {
		if len(groups) == 0 {
			c.Empty += " You cannot book further ahead than " + LongDate(last) + "."
		}
	} else {
		c.Next = &link{Href: page(to.AddDate(0, 0, 1).Format(time.DateOnly)), Text: "Later dates"}
	}
	c.Hidden = []hidden{{"from", from.Format(time.DateOnly)}}
	return c, nil
}

func (p *Pages) renderDays(w http.ResponseWriter, r *http.Request, status int, st Site, svc Service, j journey, errMsg string) {
	c, err := p.dayChoice(r.Context(), st, svc, j.From, j.Day, func(from string) string {
		return journey{Site: st.ID, Service: svc.Code, From: from, Sealed: j.Sealed}.url("day")
	})
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	c.Legend = "Which day would you like to come in?"
	c.Action = journey{Site: st.ID}.url("day")
	c.Hidden = append(c.Hidden, hidden{"service", svc.Code}, hidden{"d", j.Sealed})
	c.Error = errMsg
	page := &web.Page{Title: c.Legend, BackLink: journey{Site: st.ID, Service: svc.Code, Sealed: j.Sealed}.url(""), Data: c}
	if errMsg != "" {
		page.Errors = []web.FieldError{{Field: "day", Message: errMsg}}
	}
	p.render(w, r, status, "choose", page)
}

func (p *Pages) chooseDay(w http.ResponseWriter, r *http.Request) {
	st, j, svc, ok := p.step(w, r)
	if !ok {
		return
	}
	msg, err := p.checkDay(r.Context(), st, svc, j.Day)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	if msg != "" {
		p.renderDays(w, r, http.StatusBadRequest, st, svc, j, msg)
		return
	}
	http.Redirect(w, r, journey{Site: st.ID, Service: svc.Code, Day: j.Day, Sealed: j.Sealed}.url("time"), http.StatusSeeOther)
}

// checkDay says what is wrong with a chosen day, or "".
func (p *Pages) checkDay(ctx context.Context, st Site, svc Service, day string) (string, error) {
	if day == "" {
		return "Select a day", nil
	}
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return "Select one of the days listed", nil
	}
	slots, err := p.store.Slots(ctx, st.ID, svc.Code, d, d)
	if err != nil {
		return "", err
	}
	if len(slots) == 0 {
		return "There are no free times left on " + dayLabel(d) + ": select another day", nil
	}
	return "", nil
}

func (p *Pages) timePage(w http.ResponseWriter, r *http.Request) {
	st, j, svc, ok := p.step(w, r)
	if !ok {
		return
	}
	if _, err := time.Parse(time.DateOnly, j.Day); err != nil {
		http.Redirect(w, r, journey{Site: st.ID, Service: svc.Code, Sealed: j.Sealed}.url("day"), http.StatusSeeOther)
		return
	}
	p.renderTimes(w, r, http.StatusOK, st, svc, j, "")
}

// timeChoice fills the choice of a day's free times.
func (p *Pages) timeChoice(ctx context.Context, st Site, svc Service, day time.Time, checked string) (choosePage, error) {
	groups, err := p.timeGroups(ctx, st, svc, day, checked)
	if err != nil {
		return choosePage{}, err
	}
	c := choosePage{Caption: caption(svc, st), Field: "start", Groups: groups, Button: "Continue",
		Legend: "Choose a time on " + LongDate(day),
		Hint:   "Each appointment takes " + plural(svc.DurationMinutes, "minute") + "."}
	if len(groups) == 0 {
		c.Empty = "There are no free times left on " + LongDate(day) + "."
	}
	return c, nil
}

func (p *Pages) renderTimes(w http.ResponseWriter, r *http.Request, status int, st Site, svc Service, j journey, errMsg string) {
	day, _ := time.Parse(time.DateOnly, j.Day)
	c, err := p.timeChoice(r.Context(), st, svc, day, j.Start)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	days := journey{Site: st.ID, Service: svc.Code, Day: j.Day, Sealed: j.Sealed}.url("day")
	c.Action = journey{Site: st.ID}.url("time")
	c.Hidden = []hidden{{"service", svc.Code}, {"day", j.Day}, {"d", j.Sealed}}
	c.Links = []link{{Href: days, Text: "Choose another day"}}
	c.Error = errMsg
	page := &web.Page{Title: c.Legend, BackLink: days, Data: c}
	if errMsg != "" {
		page.Errors = []web.FieldError{{Field: "start", Message: errMsg}}
	}
	p.render(w, r, status, "choose", page)
}

func (p *Pages) chooseTime(w http.ResponseWriter, r *http.Request) {
	st, j, svc, ok := p.step(w, r)
	if !ok {
		return
	}
	start, msg, err := p.checkStart(r.Context(), st, svc, j.Start)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	if msg != "" {
		if _, err := time.Parse(time.DateOnly, j.Day); err != nil {
			if start.IsZero() {
				http.Redirect(w, r, journey{Site: st.ID, Service: svc.Code, Sealed: j.Sealed}.url("day"), http.StatusSeeOther)
				return
			}
			j.Day = localDate(start, st.Location()).Format(time.DateOnly)
		}
		j.Start = ""
		p.renderTimes(w, r, http.StatusBadRequest, st, svc, j, msg)
		return
	}
	next := journey{Site: st.ID, Service: svc.Code, Day: localDate(start, st.Location()).Format(time.DateOnly),
		Start: start.In(st.Location()).Format(time.RFC3339), Sealed: j.Sealed}
	if _, ok := p.sealer().open(j.Sealed); ok {
		http.Redirect(w, r, next.url("check"), http.StatusSeeOther)
		return
	}
	next.Sealed = ""
	http.Redirect(w, r, next.url("details"), http.StatusSeeOther)
}

// checkStart says what is wrong with a chosen time, or "". start is the
// time when it could be read.
func (p *Pages) checkStart(ctx context.Context, st Site, svc Service, text string) (start time.Time, msg string, err error) {
	if text == "" {
		return start, "Select a time", nil
	}
	start, err = time.Parse(time.RFC3339, text)
	if err != nil {
		return time.Time{}, "Select one of the times listed", nil
	}
	free, err := p.freeAt(ctx, st, svc, start)
	if err != nil {
		return start, "", err
	}
	if !free {
		return start, "That time is no longer free: select another time", nil
	}
	return start, "", nil
}

func (p *Pages) sealer() sealer { return newSealer(p.store.Secrets.Key) }

// detailsPageData is the details form and what it is for.
type detailsPageData struct {
	Caption string
	Action  string
	Hidden  []hidden
	D       details
	Errors  []web.FieldError
	Button  string
	Staff   bool
}

func (p *Pages) detailsPage(w http.ResponseWriter, r *http.Request) {
	st, j, svc, ok := p.step(w, r)
	if !ok {
		return
	}
	start, err := time.Parse(time.RFC3339, j.Start)
	if err != nil {
		http.Redirect(w, r, journey{Site: st.ID, Service: svc.Code}.url("day"), http.StatusSeeOther)
		return
	}
	d, ok := p.sealer().open(j.Sealed)
	if !ok {
		d = details{People: "1"}
	}
	p.renderDetails(w, r, http.StatusOK, st, svc, start, d, nil)
}

func (p *Pages) renderDetails(w http.ResponseWriter, r *http.Request, status int, st Site, svc Service, start time.Time, d details, errs []web.FieldError) {
	start = start.In(st.Location())
	day := localDate(start, st.Location()).Format(time.DateOnly)
	data := detailsPageData{Caption: svc.Name + ", " + When(start), Action: journey{Site: st.ID}.url("details"),
		Hidden: []hidden{{"service", svc.Code}, {"day", day}, {"start", start.Format(time.RFC3339)}},
		D:      d, Errors: errs, Button: "Continue"}
	back := journey{Site: st.ID, Service: svc.Code, Day: day, Start: start.Format(time.RFC3339)}.url("time")
	p.render(w, r, status, "details", &web.Page{Title: "Your details", BackLink: back, Errors: errs, Data: data})
}

func (p *Pages) saveDetails(w http.ResponseWriter, r *http.Request) {
	st, j, svc, ok := p.step(w, r)
	if !ok {
		return
	}
	start, err := time.Parse(time.RFC3339, j.Start)
	if err != nil {
		http.Redirect(w, r, journey{Site: st.ID, Service: svc.Code}.url("day"), http.StatusSeeOther)
		return
	}
	d := detailsFromForm(r.PostForm)
	if errs := d.check(); len(errs) > 0 {
		p.renderDetails(w, r, http.StatusBadRequest, st, svc, start, d, errs)
		return
	}
	next := journey{Site: st.ID, Service: svc.Code, Day: j.Day, Start: j.Start, Sealed: p.sealer().seal(d)}
	http.Redirect(w, r, next.url("check"), http.StatusSeeOther)
}
