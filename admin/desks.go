package admin

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/booking"
)

// Desks: add one, rename it or change what it serves, take it out of use
// (never while a visitor is at it) and put it back.

type deskFormData struct {
	New      bool
	Site     booking.Site
	Action   string
	ID, Name field
	Services group
	Buttons  buttons
}

var deskOrder = []string{"id", "name", "services"}

func (p *Pages) deskForm(r *http.Request, st booking.Site, f *form, isNew bool, id string) (deskFormData, error) {
	services, err := p.Booking.Services(r.Context(), st.ID)
	if err != nil {
		return deskFormData{}, err
	}
	var items []choice
	for _, s := range services {
		items = append(items, choice{Value: s.Code, Text: s.Name})
	}
	d := deskFormData{New: isNew, Site: st, Action: sitePath(st.ID, "/desks/new"),
		ID:       f.text("id", "Desk id", "Lower-case letters, numbers and hyphens, like desk-3. It cannot be changed later.", "govuk-input--width-10"),
		Name:     f.text("name", "Name", "What the lobby screen calls visitors to, like Desk 3 or Room B", "govuk-input--width-20"),
		Services: f.choices("services", "Services this desk serves", "The desk calls visitors for these services only", items),
		Buttons:  buttons{Submit: "Add desk", Cancel: sitePath(st.ID, "")}}
	if !isNew {
		d.Action, d.Buttons = sitePath(st.ID, "/desks/"+id), buttons{Submit: "Save changes", Cancel: sitePath(st.ID, "")}
	}
	return d, nil
}

func (p *Pages) renderDesk(w http.ResponseWriter, r *http.Request, status int, f *form, isNew bool, desk booking.Desk) {
	st := siteOf(r)
	d, err := p.deskForm(r, st, f, isNew, desk.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	title := "Add a desk – " + st.Name
	if !isNew {
		title = "Change " + desk.Name + " – " + st.Name
	}
	p.render(w, r, status, "desk_form", title, sitePath(st.ID, ""), f, d)
}

func (p *Pages) newDesk(w http.ResponseWriter, r *http.Request) {
	p.renderDesk(w, r, http.StatusOK, newForm(nil), true, booking.Desk{})
}

func (p *Pages) createDesk(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r)
	if !p.readForm(w, r) {
		return
	}
	f := newForm(r.PostForm, deskOrder...)
	d, err := p.Booking.CreateDesk(r.Context(), st.ID, booking.DeskInput{ID: f.get("id"), Name: f.get("name"), Services: f.values["services"]})
	if err != nil {
		p.refused(w, r, err, f, nil, "id", func(status int) { p.renderDesk(w, r, status, f, true, booking.Desk{}) })
		return
	}
	p.done(w, r, sitePath(st.ID, ""), d.Name+" added. Staff open it from the Desk page.")
}

// siteDesk finds the desk in the address among the site's, in use or not.
func (p *Pages) siteDesk(w http.ResponseWriter, r *http.Request) (booking.Desk, bool) {
	st := siteOf(r)
	desks, err := p.Booking.AllDesks(r.Context(), st.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return booking.Desk{}, false
	}
	id := chi.URLParam(r, "desk")
	for _, d := range desks {
		if d.ID == id {
			return d, true
		}
	}
	p.errors.Render(w, r, frontdoor.Errorf(frontdoor.NotFound, "not_found", "%s has no desk %q.", st.Name, id))
	return booking.Desk{}, false
}

func (p *Pages) editDesk(w http.ResponseWriter, r *http.Request) {
	d, ok := p.siteDesk(w, r)
	if !ok {
		return
	}
	f := newForm(nil)
	f.values.Set("name", d.Name)
	f.values["services"] = d.Services
	p.renderDesk(w, r, http.StatusOK, f, false, d)
}

func (p *Pages) updateDesk(w http.ResponseWriter, r *http.Request) {
	d, ok := p.siteDesk(w, r)
	if !ok || !p.readForm(w, r) {
		return
	}
	f := newForm(r.PostForm, deskOrder...)
	updated, err := p.Booking.UpdateDesk(r.Context(), d.Site, d.ID, booking.DeskInput{Name: f.get("name"), Services: f.values["services"]})
	if err != nil {
		p.refused(w, r, err, f, nil, "name", func(status int) { p.renderDesk(w, r, status, f, false, d) })
		return
	}
	p.done(w, r, sitePath(d.Site, ""), updated.Name+" saved.")
}

// confirmData is a page that asks before something that cannot simply be undone.
type confirmData struct {
	Heading, Caption string
	Lines            []string
	Warning          string
	Action, Submit   string
	Cancel           string
}

func (p *Pages) retirePage(w http.ResponseWriter, r *http.Request, status int, d booking.Desk, f *form) {
	st := siteOf(r)
	p.render(w, r, status, "confirm", "Take "+d.Name+" out of use", sitePath(st.ID, ""), f, confirmData{
		Heading: "Take " + d.Name + " out of use?", Caption: st.Name,
		Lines: []string{"It will no longer be offered on the Desk page, shown on reception’s list or counted in the waits visitors are told.",
			"Past visits still name it, and you can put it back into use later."},
		Action: sitePath(st.ID, "/desks/"+d.ID+"/retire"), Submit: "Take out of use", Cancel: sitePath(st.ID, "")})
}

func (p *Pages) confirmRetireDesk(w http.ResponseWriter, r *http.Request) {
	d, ok := p.siteDesk(w, r)
	if !ok {
		return
	}
	if d.Retired {
		http.Redirect(w, r, sitePath(d.Site, ""), http.StatusSeeOther)
		return
	}
	p.retirePage(w, r, http.StatusOK, d, nil)
}

func (p *Pages) retireDesk(w http.ResponseWriter, r *http.Request) {
	d, ok := p.siteDesk(w, r)
	if !ok {
		return
	}
	if d.Retired {
		p.done(w, r, sitePath(d.Site, ""), d.Name+" is already out of use.")
		return
	}
	var err error
	if p.CloseDesk != nil {
		err = p.CloseDesk(r.Context(), d.ID)
	}
	if err == nil {
		_, err = p.Booking.RetireDesk(r.Context(), d.Site, d.ID)
	}
	if err != nil {
		f := newForm(nil)
		p.refused(w, r, err, f, nil, "confirm", func(status int) { p.retirePage(w, r, status, d, f) })
		return
	}
	p.done(w, r, sitePath(d.Site, ""), d.Name+" is out of use.")
}

func (p *Pages) restoreDesk(w http.ResponseWriter, r *http.Request) {
	d, ok := p.siteDesk(w, r)
	if !ok {
		return
	}
	if _, err := p.Booking.RestoreDesk(r.Context(), d.Site, d.ID); err != nil {
		p.errors.Render(w, r, err)
		return
	}
	p.done(w, r, sitePath(d.Site, ""), d.Name+" is back in use. Staff open it from the Desk page.")
}
