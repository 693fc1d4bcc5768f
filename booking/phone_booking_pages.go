package booking

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/web"
)

// The contact centre's phone-booking pages: find free times across a
// centre's services on a day, book one for a caller (channel "phone"), read
// the reference back and resend the confirmation text.

// phoneRoles may book for callers (admins may too).
var phoneRoles = []string{frontdoor.RoleReception, frontdoor.RoleOfficer, frontdoor.RoleManager}

const phonePath = "/staff/phone-booking"

// staffOnly lets staff through: a visitor who is not signed in is sent to
// sign in and back; a role that may not book gets the 403 page.
func (p *Pages) staffOnly(w http.ResponseWriter, r *http.Request, site string) bool {
	if frontdoor.PrincipalFrom(r.Context()) == nil {
		next := phonePath
		if r.Method == http.MethodGet {
			next = r.URL.RequestURI()
		}
		http.Redirect(w, r, "/sign-in?next="+url.QueryEscape(next), http.StatusSeeOther)
		return false
	}
	if _, err := frontdoor.Authorize(r.Context(), site, phoneRoles...); err != nil {
		p.errors.Render(w, r, err)
		return false
	}
	return true
}

type option struct {
	Value, Text string
	Selected    bool
}

// freeRow is one free time in the phone-booking results.
type freeRow struct {
	Time, Service, Places, Book, Label string
}

// phoneSearchData is the search form and its results.
type phoneSearchData struct {
	Sites            []option
	Services         []option
	Day, Month, Year string
	Searched         bool
	DateText         string
	Rows             []freeRow
	Prev, Next       *link
	SiteErr, ServErr string
	DateErr          string
	Gone             string
	SiteName         string
}

// phoneQuery is what the search form asks.
type phoneQuery struct {
	Site, Service    string
	Day, Month, Year string
}

func (q phoneQuery) url() string {
	v := url.Values{}
	v.Set("site", q.Site)
	if q.Service != "" {
		v.Set("service", q.Service)
	}
	v.Set("date-day", q.Day)
	v.Set("date-month", q.Month)
	v.Set("date-year", q.Year)
	return phonePath + "?" + v.Encode()
}

func dateQuery(q phoneQuery, d time.Time) phoneQuery {
	q.Day, q.Month, q.Year = strconv.Itoa(d.Day()), strconv.Itoa(int(d.Month())), strconv.Itoa(d.Year())
	return q
}

func (p *Pages) phoneSearch(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	if !p.staffOnly(w, r, "") {
		return
	}
	q := phoneQuery{Site: v.Get("site"), Service: strings.ToUpper(strings.TrimSpace(v.Get("service"))),
		Day: strings.TrimSpace(v.Get("date-day")), Month: strings.TrimSpace(v.Get("date-month")), Year: strings.TrimSpace(v.Get("date-year"))}
	p.renderPhoneSearch(w, r, q, "")
}

// renderPhoneSearch shows the search form and, when it is right, the free
// times. gone, when set, says that the time the caller wanted has gone.
func (p *Pages) renderPhoneSearch(w http.ResponseWriter, r *http.Request, q phoneQuery, gone string) {
	ctx := r.Context()
	pr := frontdoor.PrincipalFrom(ctx)
	sites, err := p.store.Sites(ctx)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	data := phoneSearchData{Gone: gone}
	var site *Site
	for i, s := range sites {
		if !pr.CanSite(s.ID) {
			continue
		}
		if q.Site == "" {
			q.Site = s.ID
		}
		if s.ID == q.Site {
			site = &sites[i]
		}
		data.Sites = append(data.Sites, option{Value: s.ID, Text: s.Name, Selected: s.ID == q.Site})
	}
	if site == nil && q.Site != "" {
		data.SiteErr = "Select a customer centre from the list"
	}
	var bookable []Service
	if site != nil {
		services, err := p.store.Services(ctx, site.ID)
		if err != nil {
			p.errors.Render(w, r, err)
			return
		}
		data.Services = []option{{Value: "", Text: "All services", Selected: q.Service == ""}}
		found := q.Service == ""
		for _, s := range services {
			if !s.Bookable {
				continue
			}
			data.Services = append(data.Services, option{Value: s.Code, Text: s.Name, Selected: s.Code == q.Service})
			if q.Service == "" || s.Code == q.Service {
				bookable = append(bookable, s)
				found = true
			}
		}
		if !found {
			data.ServErr = "Select a service from the list"
		}
	}
	var day time.Time
	if site != nil {
		today := localDate(p.store.Clock.Now(), site.Location())
		if q.Day == "" && q.Month == "" && q.Year == "" {
			q = dateQuery(q, today)
		}
		day, data.DateErr = parseDate(q.Day, q.Month, q.Year)
		if data.DateErr == "" && day.Before(today) {
			data.DateErr = "The date must be today or in the future"
		}
		if data.DateErr == "" && day.After(today) {
			data.Prev = &link{Href: dateQuery(q, day.AddDate(0, 0, -1)).url(), Text: "Previous day"}
		}
		if data.DateErr == "" {
			data.Next = &link{Href: dateQuery(q, day.AddDate(0, 0, 1)).url(), Text: "Next day"}
		}
	}
	data.Day, data.Month, data.Year = q.Day, q.Month, q.Year
	var errs []web.FieldError
	for _, e := range []web.FieldError{{Field: "site", Message: data.SiteErr}, {Field: "service", Message: data.ServErr}, {Field: "date-day", Message: data.DateErr}} {
		if e.Message != "" {
			errs = append(errs, e)
		}
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusBadRequest
		data.Prev, data.Next = nil, nil
	} else if site != nil {
		data.Searched = true
		data.DateText = LongDate(day)
		data.SiteName = site.Name
		rows, err := p.freeRows(r, *site, bookable, day)
		if err != nil {
			p.errors.Render(w, r, err)
			return
		}
		data.Rows = rows
	}
	if gone != "" {
		status = http.StatusConflict
	}
	p.render(w, r, status, "phone_search", &web.Page{Title: "Book an appointment for a caller", Errors: errs, Data: data})
}

// parseDate reads a GOV.UK date input; msg says what is wrong.
func parseDate(day, month, year string) (time.Time, string) {
	if day == "" || month == "" || year == "" {
		return time.Time{}, "Enter the date as a day, month and year"
	}
	d, err1 := strconv.Atoi(day)
	m, err2 := strconv.Atoi(month)
	y, err3 := strconv.Atoi(year)
	if err1 != nil || err2 != nil || err3 != nil || y < 2000 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, "Enter a real date, like 22 3 2027"
	}
	t := civilDate(y, time.Month(m), d)
	if t.Day() != d {
		return time.Time{}, "Enter a real date, like 22 3 2027"
	}
	return t, ""
}

func (p *Pages) freeRows(r *http.Request, site Site, services []Service, day time.Time) ([]freeRow, error) {
	type free struct {
		at  time.Time
		pos int
		row freeRow
	}
	var all []free
	loc := site.Location()
	for i, svc := range services {
		slots, err := p.store.Slots(r.Context(), site.ID, svc.Code, day, day)
		if err != nil {
			return nil, err
		}
		for _, sl := range slots {
			t := sl.Start.In(loc)
			v := url.Values{"site": {site.ID}, "service": {svc.Code}, "start": {t.Format(time.RFC3339)}}
			all = append(all, free{t, i, freeRow{Time: ClockTime(t), Service: svc.Name, Places: strconv.Itoa(sl.Remaining()),
				Book: phonePath + "/book?" + v.Encode(), Label: svc.Name + " at " + ClockTime(t)}})
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].at.Equal(all[j].at) {
			return all[i].at.Before(all[j].at)
		}
		return all[i].pos < all[j].pos
	})
	rows := make([]freeRow, len(all))
	for i, f := range all {
		rows[i] = f.row
	}
	return rows, nil
}

// phoneSlot reads the site, service and start a phone booking is for.
func (p *Pages) phoneSlot(w http.ResponseWriter, r *http.Request, v url.Values) (Site, Service, time.Time, bool) {
	site := v.Get("site")
	if !p.staffOnly(w, r, site) {
		return Site{}, Service{}, time.Time{}, false
	}
	st, err := p.store.Site(r.Context(), site)
	if err != nil {
		p.errors.Render(w, r, err)
		return Site{}, Service{}, time.Time{}, false
	}
	svc, ok := p.bookable(r.Context(), st.ID, strings.ToUpper(v.Get("service")))
	start, err := time.Parse(time.RFC3339, v.Get("start"))
	if !ok || err != nil {
		http.Redirect(w, r, phoneQuery{Site: st.ID}.url(), http.StatusSeeOther)
		return Site{}, Service{}, time.Time{}, false
	}
	return st, svc, start, true
}

func (p *Pages) phoneDetailsPage(w http.ResponseWriter, r *http.Request) {
	st, svc, start, ok := p.phoneSlot(w, r, r.URL.Query())
	if !ok {
		return
	}
	p.renderPhoneDetails(w, r, http.StatusOK, st, svc, start, details{People: "1"}, nil, formNonce())
}

func (p *Pages) renderPhoneDetails(w http.ResponseWriter, r *http.Request, status int, st Site, svc Service, start time.Time, d details, errs []web.FieldError, key string) {
	start = start.In(st.Location())
	data := detailsPageData{Caption: svc.Name + " at " + st.Name + ", " + When(start), Action: phonePath + "/book",
		Hidden: []hidden{{"site", st.ID}, {"service", svc.Code}, {"start", start.Format(time.RFC3339)}, {"key", key}},
		D:      d, Errors: errs, Button: "Book appointment", Staff: true}
	back := dateQuery(phoneQuery{Site: st.ID, Service: svc.Code}, localDate(start, st.Location())).url()
	p.render(w, r, status, "phone_details", &web.Page{Title: "Caller’s details", BackLink: back, Errors: errs, Data: data})
}

func (p *Pages) phoneBook(w http.ResponseWriter, r *http.Request) {
	body, err := readForm(w, r)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	st, svc, start, ok := p.phoneSlot(w, r, r.PostForm)
	if !ok {
		return
	}
	d := detailsFromForm(r.PostForm)
	key := r.PostForm.Get("key")
	if errs := d.check(); len(errs) > 0 {
		p.renderPhoneDetails(w, r, http.StatusBadRequest, st, svc, start, d, errs, key)
		return
	}
	p.once(w, r, body, func(w http.ResponseWriter, r *http.Request) {
		c, err := p.store.Book(r.Context(), d.input(st.ID, svc.Code, start.Format(time.RFC3339), "phone"))
		if err == nil {
			http.Redirect(w, r, phonePath+"/booked/"+c.Reference, http.StatusSeeOther)
			return
		}
		e := frontdoor.AsError(err)
		switch {
		case e.Code == "slot_full" || (e.Code == "not_bookable" && e.Fields["start"] != ""):
			q := dateQuery(phoneQuery{Site: st.ID, Service: svc.Code}, localDate(start, st.Location()))
			p.renderPhoneSearch(w, r, q, "Sorry, "+svc.Name+" at "+ClockTime(start.In(st.Location()))+
				" has just gone. Choose another time for the caller.")
		case e.Code == "validation_failed":
			p.renderPhoneDetails(w, r, http.StatusBadRequest, st, svc, start, d, fieldErrors(e.Fields, detailsOrder, detailsIDs), formNonce())
		default:
			p.errors.Render(w, r, err)
		}
	})
}

// phoneBookedData is the page to read a new booking back to the caller.
type phoneBookedData struct {
	Reference, Spaced, Phonetic string
	When, Service, Site         string
	Name, Phone                 string
	Mobile                      bool
	Status                      string
	Booked                      bool
	Resend                      string
	Again                       string
}

func (p *Pages) phoneBooked(w http.ResponseWriter, r *http.Request) {
	if !p.staffOnly(w, r, "") {
		return
	}
	flash := ""
	if r.URL.Query().Get("resent") == "1" {
		flash = "Confirmation text queued"
	}
	p.renderPhoneBooked(w, r, http.StatusOK, flash, nil)
}

func (p *Pages) renderPhoneBooked(w http.ResponseWriter, r *http.Request, status int, flash string, errs []web.FieldError) {
	c, err := p.store.Get(r.Context(), chi.URLParam(r, "reference"), "")
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	st, err := p.store.Site(r.Context(), c.Site)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	svc, err := p.store.Service(r.Context(), c.Site, c.Service)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	_, mobile, _ := NormalizePhone(c.Phone)
	data := phoneBookedData{Reference: c.Reference, Spaced: SpacedReference(c.Reference), Phonetic: PhoneticReference(c.Reference),
		When: When(c.Start.In(st.Location())), Service: svc.Name, Site: st.Name, Name: c.Name, Phone: NationalPhone(c.Phone),
		Mobile: mobile, Status: statusText(c.Status), Booked: c.Status == StatusBooked,
		Resend: phonePath + "/booked/" + c.Reference + "/resend", Again: phonePath + "?site=" + url.QueryEscape(st.ID)}
	p.render(w, r, status, "phone_booked", &web.Page{Title: "Appointment booked for the caller", Flash: flash, Errors: errs, Data: data})
}

func (p *Pages) phoneResend(w http.ResponseWriter, r *http.Request) {
	if !p.staffOnly(w, r, "") {
		return
	}
	c, err := p.store.ResendConfirmation(r.Context(), chi.URLParam(r, "reference"))
	if err != nil {
		e := frontdoor.AsError(err)
		if e.Kind == frontdoor.Conflict || e.Kind == frontdoor.Unprocessable {
			p.renderPhoneBooked(w, r, frontdoor.Status(e), "", []web.FieldError{{Field: "resend", Message: e.Message}})
			return
		}
		p.errors.Render(w, r, err)
		return
	}
	http.Redirect(w, r, phonePath+"/booked/"+c.Reference+"?resent=1", http.StatusSeeOther)
}
