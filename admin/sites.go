package admin

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"frontdoor"
	"frontdoor/booking"
	"frontdoor/notify"
)

// The list of customer centres, one centre's page, and the forms that add a
// centre and change its details.

type buttons struct{ Submit, Cancel string }

type siteRow struct {
	booking.Site
	Path            string
	Services, Desks int
	HasHours        bool
}

type homeData struct {
	Sites      []siteRow
	CanAddSite bool // an admin of every centre
	Scoped     bool // an admin of one centre
}

func (p *Pages) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pr := principal(r)
	sites, err := p.Booking.Sites(ctx)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	d := homeData{CanAddSite: pr.Site == "", Scoped: pr.Site != ""}
	for _, st := range sites {
		if !pr.CanSite(st.ID) {
			continue
		}
		services, err := p.Booking.Services(ctx, st.ID)
		if err != nil {
			p.errors.Render(w, r, err)
			return
		}
		desks, err := p.Booking.Desks(ctx, st.ID)
		if err != nil {
			p.errors.Render(w, r, err)
			return
		}
		h, err := p.Booking.Hours(ctx, st.ID)
		if err != nil {
			p.errors.Render(w, r, err)
			return
		}
		d.Sites = append(d.Sites, siteRow{Site: st, Path: sitePath(st.ID, ""), Services: len(services), Desks: len(desks), HasHours: len(h.Weekly) > 0})
	}
	p.render(w, r, http.StatusOK, "home", "Admin", "", nil, d)
}

// timezones are offered in the time zone select: the British Isles and the
// overseas territories a council might serve. A site already in another
// zone keeps it in the list.
var timezones = []string{"Europe/London", "Europe/Dublin", "Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey",
	"Europe/Gibraltar", "Atlantic/Stanley", "UTC"}

type siteFormData struct {
	New                    bool
	Action                 string
	ID, Name, Address      field
	Timezone, Display      group
	TimezoneFixed, OldName string
	Buttons                buttons
}

var siteOrder = []string{"id", "name", "address", "timezone", "display_token_required"}

func (p *Pages) siteForm(f *form, isNew bool, st booking.Site, fixed bool) siteFormData {
	d := siteFormData{New: isNew, Action: Path + "/sites/new", OldName: st.Name,
		ID:      f.text("id", "Site id", "Lower-case letters, numbers and hyphens, like city-hall. It is part of web addresses and cannot be changed later.", "govuk-input--width-20"),
		Name:    f.text("name", "Name", "As residents know it, like City Hall Customer Centre", ""),
		Address: f.text("address", "Address", "Shown to residents when they book and in their calendar file", ""),
		Buttons: buttons{Submit: "Add customer centre", Cancel: Path}}
	d.Address.Rows = 4
	zone := f.get("timezone")
	if zone == "" {
		zone = "Europe/London"
	}
	var zones []choice
	for _, z := range append(slices.Clone(timezones), zone) {
		if !slices.ContainsFunc(zones, func(c choice) bool { return c.Value == z }) {
			zones = append(zones, choice{Value: z, Text: z})
		}
	}
	f.values.Set("timezone", zone)
	d.Timezone = f.choices("timezone", "Time zone", "Appointment times, tickets and reports follow this zone and its clock changes.", zones)
	d.Display = f.choices("display_token_required", "Lobby screen", "", []choice{{Value: "yes",
		Text: "The lobby screen needs a device token", Hint: "Without one, anyone who knows the address can open the lobby screen. It never shows names."}})
	if !isNew {
		d.Action, d.Buttons = sitePath(st.ID, "/edit"), buttons{Submit: "Save changes", Cancel: sitePath(st.ID, "")}
		if fixed {
			d.TimezoneFixed = st.Timezone
		}
	}
	return d
}

func (p *Pages) newSite(w http.ResponseWriter, r *http.Request) {
	if !p.everySite(w, r, "add a customer centre") {
		return
	}
	p.render(w, r, http.StatusOK, "site_form", "Add a customer centre", Path, nil, p.siteForm(newForm(nil), true, booking.Site{}, false))
}

// everySite refuses an admin of one centre work that concerns every centre.
func (p *Pages) everySite(w http.ResponseWriter, r *http.Request, what string) bool {
	if principal(r).Site != "" {
		p.errors.Render(w, r, frontdoor.Errorf(frontdoor.Forbidden, "forbidden", "Only an admin of every customer centre can %s.", what))
		return false
	}
	return true
}

func (p *Pages) createSite(w http.ResponseWriter, r *http.Request) {
	if !p.everySite(w, r, "add a customer centre") || !p.readForm(w, r) {
		return
	}
	f := newForm(r.PostForm, siteOrder...)
	in := booking.SiteInput{ID: f.get("id"), Name: f.get("name"), Address: f.get("address"), Timezone: f.get("timezone"),
		DisplayTokenRequired: f.checked("display_token_required")}
	st, err := p.Booking.CreateSite(r.Context(), in)
	if err != nil {
		p.refused(w, r, err, f, nil, "id", func(status int) {
			p.render(w, r, status, "site_form", "Add a customer centre", Path, f, p.siteForm(f, true, booking.Site{}, false))
		})
		return
	}
	p.done(w, r, sitePath(st.ID, ""), st.Name+" added. Next, add its services, desks and opening hours.")
}

func (p *Pages) editSite(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r)
	fixed, err := p.Booking.SiteInUse(r.Context(), st.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	f := newForm(nil)
	f.values.Set("name", st.Name)
	f.values.Set("address", st.Address)
	f.values.Set("timezone", st.Timezone)
	if st.DisplayTokenRequired {
		f.values.Set("display_token_required", "yes")
	}
	p.render(w, r, http.StatusOK, "site_form", "Change "+st.Name, sitePath(st.ID, ""), nil, p.siteForm(f, false, st, fixed))
}

func (p *Pages) updateSite(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r)
	if !p.readForm(w, r) {
		return
	}
	fixed, err := p.Booking.SiteInUse(r.Context(), st.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	f := newForm(r.PostForm, siteOrder...)
	zone := f.get("timezone")
	if fixed || zone == "" { // the form does not offer it then
		zone = st.Timezone
		f.values.Set("timezone", zone)
	}
	in := booking.SiteInput{Name: f.get("name"), Address: f.get("address"), Timezone: zone, DisplayTokenRequired: f.checked("display_token_required")}
	updated, err := p.Booking.UpdateSite(r.Context(), st.ID, in)
	if err != nil {
		p.refused(w, r, err, f, nil, "name", func(status int) {
			p.render(w, r, status, "site_form", "Change "+st.Name, sitePath(st.ID, ""), f, p.siteForm(f, false, st, fixed))
		})
		return
	}
	p.done(w, r, sitePath(st.ID, ""), updated.Name+"’s details saved.")
}

type serviceRow struct {
	booking.Service
	Path, CapacityPath string
	Bands              int
}

// BandsText words how many capacity bands the service has.
func (s serviceRow) BandsText() string {
	switch s.Bands {
	case 0:
		return "None"
	case 1:
		return "1 band"
	}
	return strconv.Itoa(s.Bands) + " bands"
}

type deskRow struct {
	booking.Desk
	Path, RetirePath, RestorePath string
	ServiceNames                  string
}

type dayRow struct{ Day, Times string }

type closureRow struct {
	booking.StoredClosure
	When, RemovePath string
}

type siteData struct {
	Site     booking.Site
	Path     string
	Services []serviceRow
	Desks    []deskRow
	Hours    []dayRow
	Closures []closureRow // the next few
	More     int          // upcoming closures not shown
	// Satisfaction: visitors are texted one question after their visit.
	Satisfaction bool
}

func (p *Pages) site(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st := siteOf(r)
	d := siteData{Site: st, Path: sitePath(st.ID, "")}
	services, err := p.Booking.Services(ctx, st.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	for _, s := range services {
		c, err := p.Booking.Capacity(ctx, st.ID, s.Code)
		if err != nil {
			p.errors.Render(w, r, err)
			return
		}
		d.Services = append(d.Services, serviceRow{Service: s, Path: d.Path + "/services/" + s.Code,
			CapacityPath: d.Path + "/services/" + s.Code + "/capacity", Bands: len(c.Weekly)})
	}
	desks, err := p.Booking.AllDesks(ctx, st.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	for _, dk := range desks {
		row := deskRow{Desk: dk, Path: d.Path + "/desks/" + dk.ID, RetirePath: d.Path + "/desks/" + dk.ID + "/retire",
			RestorePath: d.Path + "/desks/" + dk.ID + "/restore"}
		row.ServiceNames = serviceList(dk.Services, services)
		d.Desks = append(d.Desks, row)
	}
	h, err := p.Booking.Hours(ctx, st.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	d.Hours = weekRows(h.Weekly)
	upcoming, err := p.upcomingClosures(r, st)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	if len(upcoming) > 3 {
		d.More, upcoming = len(upcoming)-3, upcoming[:3]
	}
	d.Closures = upcoming
	sms, err := notify.LoadSettings(ctx, p.Booking.DB.Read, st.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	d.Satisfaction = sms.SatisfactionQuestion
	p.render(w, r, http.StatusOK, "site", st.Name, Path, nil, d)
}

// putTexts saves the centre's text message settings (PUT …/sms-settings on the API).
func (p *Pages) putTexts(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r)
	if !p.readForm(w, r) {
		return
	}
	on := r.PostForm.Get("satisfaction_question") == "yes"
	if err := notify.SaveSettings(r.Context(), p.Booking.DB, st.ID, notify.SiteSettings{SatisfactionQuestion: on}, p.Booking.Clock.Now()); err != nil {
		p.errors.Render(w, r, err)
		return
	}
	msg := "Visitors will not be asked how their visit went."
	if on {
		msg = "Visitors who give a mobile number will be asked how their visit went."
	}
	p.done(w, r, sitePath(st.ID, "")+"#texts", msg)
}

// serviceList names a desk's services in a sentence, in the centre's order.
func serviceList(codes []string, services []booking.Service) string {
	var out []string
	for _, s := range services {
		if slices.Contains(codes, s.Code) {
			out = append(out, s.Name)
		}
	}
	switch len(out) {
	case 0:
		return "None"
	case 1:
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}

// weekRows words the weekly hours day by day, Monday first.
func weekRows(weekly []booking.HoursBand) []dayRow {
	var rows []dayRow
	for _, day := range weekdays {
		var times []string
		for _, b := range weekly {
			if b.Weekday == day {
				times = append(times, b.Open+" to "+b.Close)
			}
		}
		t := "Closed"
		if len(times) > 0 {
			t = strings.Join(times, " and ")
		}
		rows = append(rows, dayRow{Day: dayName(day), Times: t})
	}
	return rows
}
