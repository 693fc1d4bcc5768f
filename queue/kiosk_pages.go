package queue

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/booking"
	"frontdoor/web"
)

// The kiosk: a touch screen in the entrance, with a hand-held scanner that
// types what it reads (a keyboard wedge). It runs with a device token for
// its site, kept in a cookie of its own, or under a staff sign-in; a staff
// user can lock the browser to kiosk mode (a fresh device token, and the
// staff sign-in ended) before walking away. It never shows a name or a
// phone number.

const kioskCookie = "frontdoor_kiosk"

// kioskIdleSeconds is how long a kiosk page waits untouched before going
// back to the start (with JavaScript; without it, a "Finish" link).
const kioskIdleSeconds = 45

// kioskBase is what every kiosk page shows.
type kioskBase struct {
	Assets   Assets
	SiteID   string
	SiteName string
	Home     string
	Staff    string // the signed-in staff user's name; "" on a locked kiosk
	Device   bool   // running on a device token
	Idle     int    // seconds before going back to the start; 0 stays
}

// kioskSite reads the site in the path and who is using the kiosk: a staff
// user of the site, or a kiosk device token (from the kiosk's cookie). With
// neither, it shows the set-up page and ok is false.
func (p *Pages) kioskSite(w http.ResponseWriter, r *http.Request) (*http.Request, booking.Site, kioskBase, bool) {
	st, err := p.q.Booking.Site(r.Context(), chi.URLParam(r, "site"))
	if err != nil {
		p.errors.Render(w, r, err)
		return r, st, kioskBase{}, false
	}
	base := kioskBase{Assets: assets, SiteID: st.ID, SiteName: st.Name, Home: kioskHome(st.ID)}
	pr := frontdoor.PrincipalFrom(r.Context())
	if pr != nil && pr.Kind == "user" && pr.Can(arrivalRoles...) && pr.CanSite(st.ID) {
		base.Staff = pr.Name
		return r, st, base, true
	}
	if dev := p.kioskDevice(r, st.ID); dev != nil {
		base.Device = true
		return r.WithContext(frontdoor.WithPrincipal(r.Context(), dev)), st, base, true
	}
	p.renderSetup(w, r, st, base, http.StatusOK, nil)
	return r, st, base, false
}

func kioskHome(site string) string { return "/sites/" + url.PathEscape(site) + "/kiosk" }

// kioskDevice is the device principal of the kiosk cookie, if it holds a
// live device token of this site.
func (p *Pages) kioskDevice(r *http.Request, site string) *frontdoor.Principal {
	c, err := r.Cookie(kioskCookie)
	if err != nil || c.Value == "" || p.devices.Authenticate == nil {
		return nil
	}
	return p.deviceFor(r, c.Value, site)
}

func (p *Pages) deviceFor(r *http.Request, secret, site string) *frontdoor.Principal {
	probe := r.Clone(r.Context())
	probe.Header = http.Header{"Authorization": {"Bearer " + secret}}
	dev, err := p.devices.Authenticate(probe)
	if err != nil || dev == nil || dev.Role != frontdoor.RoleDevice || dev.Site != site {
		return nil
	}
	return dev
}

func (p *Pages) setKioskCookie(w http.ResponseWriter, site, secret string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: kioskCookie, Value: secret, Path: kioskHome(site), MaxAge: maxAge, HttpOnly: true,
		Secure: p.devices.Secure, SameSite: http.SameSiteStrictMode})
}

type kioskSetupData struct {
	kioskBase
	SignIn string
}

func (p *Pages) renderSetup(w http.ResponseWriter, r *http.Request, st booking.Site, base kioskBase, status int, errs []web.FieldError) {
	p.kiosk.Render(w, r, status, "kiosk_setup", &web.Page{Title: "Set up this kiosk", Errors: errs,
		Data: kioskSetupData{kioskBase: base, SignIn: "/sign-in?next=" + url.QueryEscape(base.Home)}})
}

// kioskSetup takes a device token typed or pasted in once, and keeps it in
// the kiosk's cookie.
func (p *Pages) kioskSetup(w http.ResponseWriter, r *http.Request) {
	st, err := p.q.Booking.Site(r.Context(), chi.URLParam(r, "site"))
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	if err := readForm(w, r); err != nil {
		p.errors.Render(w, r, err)
		return
	}
	base := kioskBase{Assets: assets, SiteID: st.ID, SiteName: st.Name, Home: kioskHome(st.ID)}
	secret := strings.TrimSpace(r.PostForm.Get("token"))
	msg := ""
	switch {
	case secret == "":
		msg = "Enter the kiosk’s device token"
	case p.devices.Authenticate == nil || p.deviceFor(r, secret, st.ID) == nil:
		msg = "This is not a device token for " + st.Name + ": check it, or ask an admin for a new one"
	}
	if msg != "" {
		p.renderSetup(w, r, st, base, http.StatusBadRequest, []web.FieldError{{Field: "token", Message: msg}})
		return
	}
	p.setKioskCookie(w, st.ID, secret, 400*24*3600)
	http.Redirect(w, r, base.Home, http.StatusSeeOther)
}

// kioskLock turns this browser into a kiosk: a new device token for the
// site goes into the kiosk's cookie, and the staff user is signed out, so
// that whoever walks up next cannot reach the staff pages.
func (p *Pages) kioskLock(w http.ResponseWriter, r *http.Request) {
	pr := frontdoor.PrincipalFrom(r.Context())
	st, err := p.q.Booking.Site(r.Context(), chi.URLParam(r, "site"))
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	if pr == nil || pr.Kind != "user" {
		http.Redirect(w, r, "/sign-in?next="+url.QueryEscape(kioskHome(st.ID)), http.StatusSeeOther)
		return
	}
	if _, err := frontdoor.Authorize(r.Context(), st.ID, receptionRoles...); err != nil {
		p.errors.Render(w, r, err)
		return
	}
	if p.devices.Issue == nil || p.devices.EndSession == nil {
		p.errors.Render(w, r, frontdoor.Errorf(frontdoor.Conflict, "not_available", "Kiosk mode is not available on this server."))
		return
	}
	name := []rune("Kiosk " + st.ID + " locked by " + pr.Name)
	secret, err := p.devices.Issue(r.Context(), st.ID, string(name[:min(len(name), 80)]))
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	if err := p.devices.EndSession(w, r); err != nil {
		p.errors.Render(w, r, err)
		return
	}
	p.setKioskCookie(w, st.ID, secret, 400*24*3600)
	http.Redirect(w, r, kioskHome(st.ID), http.StatusSeeOther)
}

// kioskUnlock lets a signed-in staff user take the browser out of kiosk mode.
func (p *Pages) kioskUnlock(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.staffOnly(w, r, receptionRoles); !ok {
		return
	}
	site := chi.URLParam(r, "site")
	p.setKioskCookie(w, site, "", -1)
	http.Redirect(w, r, kioskHome(site), http.StatusSeeOther)
}

// kioskService is a walk-in service button with its expected wait.
type kioskService struct {
	Code, Name, Wait string
	Waiting          int
}

type kioskStartData struct {
	kioskBase
	Code     string
	Services []kioskService
	SignIn   string
	Closed   string // said in place of the walk-in services once the centre has closed for the day
}

func (p *Pages) kioskStart(w http.ResponseWriter, r *http.Request) {
	r, st, base, ok := p.kioskSite(w, r)
	if !ok {
		return
	}
	p.renderStart(w, r, st, base, http.StatusOK, "", nil)
}

func (p *Pages) renderStart(w http.ResponseWriter, r *http.Request, st booking.Site, base kioskBase, status int, code string, errs []web.FieldError) {
	figs, err := p.q.Figures(r.Context(), st.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	closed, err := p.q.ClosedMessage(r.Context(), st)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	d := kioskStartData{kioskBase: base, Code: code, SignIn: "/sign-in?next=" + url.QueryEscape(base.Home), Closed: closed}
	for _, f := range figs {
		wait := "Wait " + f.WaitText
		if f.WaitText == "no desk is serving this now" {
			wait = "No desk is serving this now"
		}
		d.Services = append(d.Services, kioskService{Code: f.Service, Name: f.Name, Wait: wait, Waiting: f.Waiting})
	}
	p.kiosk.Render(w, r, status, "kiosk_start", &web.Page{Title: "Check in or take a ticket", Errors: errs, Data: d})
}

// kioskCheckin checks in what the scanner typed: the QR code's text (the
// bare code or a URL ending in it) or a booking reference typed by hand.
func (p *Pages) kioskCheckin(w http.ResponseWriter, r *http.Request) {
	r, st, base, ok := p.kioskSite(w, r)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		p.errors.Render(w, r, err)
		return
	}
	typed := strings.TrimSpace(r.PostForm.Get("code"))
	in := CheckinInput{Code: typed}
	if ref, ok := booking.NormalizeReference(typed); ok {
		in = CheckinInput{Reference: ref}
	}
	a, err := p.q.CheckIn(r.Context(), in)
	if err != nil {
		keep := ""
		if in.Reference != "" {
			keep = typed // a scanned code is not kept: the next scan would be typed after it
		}
		p.checkinFailed(w, r, st, base, keep, err)
		return
	}
	http.Redirect(w, r, base.Home+"/tickets/"+a.Ticket.ID, http.StatusSeeOther)
}

// checkinFailed shows why a check-in did not work, beside the scanner
// input, in words a visitor can act on.
func (p *Pages) checkinFailed(w http.ResponseWriter, r *http.Request, st booking.Site, base kioskBase, keep string, err error) {
	e := frontdoor.AsError(err)
	if e.Kind == frontdoor.Internal || e.Kind == frontdoor.Unauthorized || e.Kind == frontdoor.Forbidden {
		p.errors.Render(w, r, err)
		return
	}
	msg := e.Message
	if m, ok := e.Fields["code"]; ok {
		msg = m
	}
	if e.Code == "not_found" && !strings.Contains(msg, "reference") {
		msg = "We cannot find this booking. Scan the QR code again, type your booking reference, or ask at reception."
	}
	p.renderStart(w, r, st, base, frontdoor.Status(e), keep, []web.FieldError{{Field: "code", Message: msg}})
}

// kioskTicket gives a walk-in a ticket for the service whose button was pressed.
func (p *Pages) kioskTicket(w http.ResponseWriter, r *http.Request) {
	r, st, base, ok := p.kioskSite(w, r)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		p.errors.Render(w, r, err)
		return
	}
	// After closing the kiosk gives no tickets; reception still can, and the
	// API leaves the choice to whoever calls it.
	if msg, err := p.q.ClosedMessage(r.Context(), st); err != nil {
		p.errors.Render(w, r, err)
		return
	} else if msg != "" {
		p.renderStart(w, r, st, base, http.StatusConflict, "", nil) // the page says it is closed
		return
	}
	a, err := p.q.TakeTicket(r.Context(), st.ID, WalkInInput{Service: r.PostForm.Get("service")})
	if err != nil {
		e := frontdoor.AsError(err)
		if e.Kind == frontdoor.Internal || e.Kind == frontdoor.Unauthorized || e.Kind == frontdoor.Forbidden {
			p.errors.Render(w, r, err)
			return
		}
		msg := e.Message
		if m, ok := e.Fields["service"]; ok {
			msg = m
		}
		if e.Kind == frontdoor.NotFound {
			msg = "Choose one of the services on this screen"
		}
		p.renderStart(w, r, st, base, frontdoor.Status(e), "", []web.FieldError{{Field: "services", Message: msg}})
		return
	}
	http.Redirect(w, r, base.Home+"/tickets/"+a.Ticket.ID, http.StatusSeeOther)
}

// kioskTicketData is the ticket page: the number, very large, what to do
// now, and an appointment instead when the wait is long.
type kioskTicketData struct {
	kioskBase
	ID          string
	Number      string
	ServiceName string
	Status      string // waiting, called, gone
	CalledTo    string
	Appointment string // "10am", for an appointment
	Message     string // early or late
	Wait        string
	Position    int
	PrintURL    string
	Offer       *offerForm
	Waiting     bool // chose to wait after an offer
}

// offerForm is the appointment offered to a walk-in facing a long wait.
type offerForm struct {
	Action, Wait string
	Times        []timeOption
	Name, Phone  string
	Gone         string
}

type timeOption struct {
	ID, Value, Text string
	Checked         bool
}

// kioskTicketView loads a ticket of this kiosk's site for its pages.
func (p *Pages) kioskTicketView(w http.ResponseWriter, r *http.Request, st booking.Site) (ticket, bool) {
	id := chi.URLParam(r, "id")
	if _, err := p.q.Get(r.Context(), id); err != nil {
		p.errors.Render(w, r, err)
		return ticket{}, false
	}
	t, err := loadTicket(r.Context(), p.q.DB.Read, id)
	if err == nil && t.Site != st.ID {
		err = ticketNotFound(id)
	}
	if err != nil {
		p.errors.Render(w, r, err)
		return ticket{}, false
	}
	return t, true
}

func (p *Pages) kioskTicketPage(w http.ResponseWriter, r *http.Request) {
	r, st, base, ok := p.kioskSite(w, r)
	if !ok {
		return
	}
	t, ok := p.kioskTicketView(w, r, st)
	if !ok {
		return
	}
	p.renderTicket(w, r, st, base, t, http.StatusOK, nil, nil)
}

func (p *Pages) renderTicket(w http.ResponseWriter, r *http.Request, st booking.Site, base kioskBase, t ticket, status int, offer *offerForm, errs []web.FieldError) {
	ctx := r.Context()
	loc := st.Location()
	svc, err := p.q.Booking.Service(ctx, st.ID, t.Service)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	base.Idle = kioskIdleSeconds
	id := strconv.FormatInt(t.ID, 10)
	d := kioskTicketData{kioskBase: base, ID: id, Number: t.Number, ServiceName: svc.Name, Status: t.Status,
		PrintURL: base.Home + "/tickets/" + id + "/print", Waiting: t.OfferResponse == "declined"}
	switch t.Status {
	case StatusCalled, StatusServing:
		if desk, err := p.q.Booking.Desk(ctx, t.Desk.String); err == nil {
			d.CalledTo = desk.Name
		}
	case StatusWaiting:
	default:
		d.Status = "gone"
	}
	if t.Position.Valid {
		d.Position = int(t.Position.Int64)
	}
	if t.Estimate.Valid {
		_, _, d.Wait = WaitRange(int((time.Duration(t.Estimate.Int64)*time.Second + 30*time.Second) / time.Minute))
	}
	if t.Appointment.Valid {
		appt := frontdoor.FromMillis(t.Appointment.Int64).In(loc)
		d.Appointment = booking.ClockTime(appt)
		late := time.Duration(t.Arrived-t.Appointment.Int64) * time.Millisecond
		switch {
		case t.Appointment.Int64 > t.Arrived+int64(p.q.Policy.EarlyWindow/time.Millisecond):
			d.Message = "You are early. We will call you from about " + booking.ClockTime(appt) + "."
		case late >= time.Minute:
			d.Message = "You are " + minutesText(int(late/time.Minute)) + " late for your " + booking.ClockTime(appt) +
				" appointment. We will see you as soon as we can."
		}
	}
	if t.Status == StatusWaiting && t.Offered && t.OfferResponse == "" && svc.Bookable {
		if offer == nil {
			offer = &offerForm{}
		}
		slots, err := p.q.Booking.NextFree(ctx, st.ID, svc.Code, 3)
		if err != nil {
			p.errors.Render(w, r, err)
			return
		}
		offer.Action = base.Home + "/tickets/" + id + "/accept"
		offer.Wait = base.Home + "/tickets/" + id + "/wait"
		chosen := ""
		for _, tm := range offer.Times {
			if tm.Checked {
				chosen = tm.Value
			}
		}
		offer.Times = nil
		for i, s := range slots {
			v := s.Start.In(loc).Format(time.RFC3339)
			oid := "start"
			if i > 0 {
				oid = "start-" + strconv.Itoa(i+1)
			}
			offer.Times = append(offer.Times, timeOption{ID: oid, Value: v, Text: booking.When(s.Start.In(loc)), Checked: v == chosen})
		}
		if len(offer.Times) > 0 {
			d.Offer = offer
		}
	}
	title := "Your ticket number is " + t.Number
	p.kiosk.Render(w, r, status, "kiosk_ticket", &web.Page{Title: title, Errors: errs, Data: d})
}

// kioskAccept books the appointment the walk-in chose instead of waiting.
func (p *Pages) kioskAccept(w http.ResponseWriter, r *http.Request) {
	r, st, base, ok := p.kioskSite(w, r)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		p.errors.Render(w, r, err)
		return
	}
	t, ok := p.kioskTicketView(w, r, st)
	if !ok {
		return
	}
	f := r.PostForm
	offer := &offerForm{Name: strings.TrimSpace(f.Get("name")), Phone: strings.TrimSpace(f.Get("phone"))}
	start := f.Get("start")
	offer.Times = []timeOption{{Value: start, Checked: true}}
	fields := map[string]string{}
	if start == "" {
		fields["start"] = "Choose a time"
	}
	if offer.Name == "" {
		fields["name"] = "Enter your name"
	}
	if offer.Phone == "" {
		fields["phone"] = "Enter your mobile number, so we can text you the appointment"
	}
	if len(fields) > 0 {
		p.renderTicket(w, r, st, base, t, http.StatusBadRequest, offer, fieldErrs(frontdoor.FieldErrors(fields), offerOrder, nil))
		return
	}
	c, err := p.q.AcceptOffer(r.Context(), strconv.FormatInt(t.ID, 10), booking.Input{Start: start, Name: offer.Name, Phone: offer.Phone})
	if err != nil {
		e := frontdoor.AsError(err)
		switch {
		case e.Code == "validation_failed" || (e.Code == "not_bookable" && e.Fields["start"] == ""):
			p.renderTicket(w, r, st, base, t, frontdoor.Status(e), offer, fieldErrs(e, offerOrder, nil))
		case e.Code == "slot_full" || e.Code == "not_bookable":
			offer.Times = nil
			p.renderTicket(w, r, st, base, t, http.StatusConflict, offer, []web.FieldError{{Field: "start",
				Message: "Sorry, that time has just gone. Choose another time"}})
		case e.Kind == frontdoor.Conflict:
			// Called meanwhile, or the offer already answered: show the ticket as it is now.
			if fresh, err := loadTicket(r.Context(), p.q.DB.Read, strconv.FormatInt(t.ID, 10)); err == nil {
				t = fresh
			}
			p.renderTicket(w, r, st, base, t, http.StatusConflict, nil, []web.FieldError{{Field: "ticket", Message: e.Message}})
		default:
			p.errors.Render(w, r, err)
		}
		return
	}
	http.SetCookie(w, &http.Cookie{Name: bookedCookie, Value: c.Reference, Path: base.Home, MaxAge: 300, HttpOnly: true,
		Secure: p.devices.Secure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, base.Home+"/booked", http.StatusSeeOther)
}

var offerOrder = []string{"start", "name", "phone"}

// bookedCookie carries the reference of the appointment just booked to the
// page that shows it, so that its address holds nothing.
const bookedCookie = "frontdoor_kiosk_booked"

type kioskBookedData struct {
	kioskBase
	Reference, When, ServiceName string
}

func (p *Pages) kioskBooked(w http.ResponseWriter, r *http.Request) {
	r, st, base, ok := p.kioskSite(w, r)
	if !ok {
		return
	}
	c, err := r.Cookie(bookedCookie)
	if err != nil || c.Value == "" {
		http.Redirect(w, r, base.Home, http.StatusSeeOther)
		return
	}
	b, err := p.q.Booking.ByReference(r.Context(), c.Value)
	if err != nil || b.Site != st.ID {
		http.Redirect(w, r, base.Home, http.StatusSeeOther)
		return
	}
	svc, err := p.q.Booking.Service(r.Context(), st.ID, b.Service)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	base.Idle = kioskIdleSeconds
	p.kiosk.Render(w, r, http.StatusOK, "kiosk_booked", &web.Page{Title: "Your appointment is booked", Data: kioskBookedData{
		kioskBase: base, Reference: booking.SpacedReference(b.Reference), When: booking.When(b.Start.In(st.Location())), ServiceName: svc.Name}})
}

// kioskWait records that the walk-in chose to wait rather than book.
func (p *Pages) kioskWait(w http.ResponseWriter, r *http.Request) {
	r, st, base, ok := p.kioskSite(w, r)
	if !ok {
		return
	}
	t, ok := p.kioskTicketView(w, r, st)
	if !ok {
		return
	}
	if _, err := p.q.Act(r.Context(), strconv.FormatInt(t.ID, 10), Action{Kind: "decline_offer"}); err != nil && !frontdoor.IsKind(err, frontdoor.Conflict) {
		p.errors.Render(w, r, err)
		return
	}
	http.Redirect(w, r, base.Home+"/tickets/"+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
}

type kioskPrintData struct {
	kioskBase
	Number, ServiceName, Taken string
}

// kioskPrint is the ticket styled for a receipt printer: the number, the
// service and the time, nothing personal.
func (p *Pages) kioskPrint(w http.ResponseWriter, r *http.Request) {
	r, st, base, ok := p.kioskSite(w, r)
	if !ok {
		return
	}
	t, ok := p.kioskTicketView(w, r, st)
	if !ok {
		return
	}
	svc, err := p.q.Booking.Service(r.Context(), st.ID, t.Service)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	base.Idle = kioskIdleSeconds
	arrived := frontdoor.FromMillis(t.Arrived).In(st.Location())
	p.kiosk.Render(w, r, http.StatusOK, "kiosk_print", &web.Page{Title: "Ticket " + t.Number, Data: kioskPrintData{kioskBase: base,
		Number: t.Number, ServiceName: svc.Name, Taken: booking.ClockTime(arrived) + " on " + arrived.Format("Monday 2 January 2006")}})
}

// kioskSites lists the kiosks a staff user can open.
func (p *Pages) kioskSites(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.staffOnly(w, r, receptionRoles)
	if !ok {
		return
	}
	sites, err := p.q.Booking.Sites(r.Context())
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	var links []option
	for _, s := range sites {
		if pr.CanSite(s.ID) {
			links = append(links, option{Value: kioskHome(s.ID), Text: s.Name})
		}
	}
	p.consoles.Render(w, r, http.StatusOK, "kiosk_sites", &web.Page{Title: "Kiosks", Data: struct {
		Assets Assets
		Links  []option
	}{assets, links}})
}
