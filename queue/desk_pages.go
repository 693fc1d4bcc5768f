package queue

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/booking"
	"frontdoor/web"
)

// The desk console: open a desk, call the next visitor, recall, start,
// finish with an outcome, mark a no-show, transfer to another service,
// close the desk, and raise an emergency alert. A form that no longer fits
// what is happening (another desk, or another tab, got there first) gets a
// plain message on the console, never an error page.

const deskPath = "/staff/desk"

type deskChoice struct {
	ID, Name, Services, Doing string
	Open                      bool
}

type deskGroup struct {
	SiteName string
	Desks    []deskChoice
}

type deskChooseData struct {
	Assets Assets
	Groups []deskGroup
}

func (p *Pages) deskChoose(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.staffOnly(w, r, deskRoles); !ok {
		return
	}
	p.renderDeskChoose(w, r, http.StatusOK, p.takeFlash(w, r, deskPath), nil)
}

func (p *Pages) renderDeskChoose(w http.ResponseWriter, r *http.Request, status int, flash string, errs []web.FieldError) {
	ctx := r.Context()
	pr := frontdoor.PrincipalFrom(ctx)
	sites, err := p.q.Booking.Sites(ctx)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	d := deskChooseData{Assets: assets}
	for _, st := range sites {
		if !pr.CanSite(st.ID) {
			continue
		}
		board, err := p.q.Board(ctx, st.ID)
		if err != nil {
			p.errors.Render(w, r, err)
			return
		}
		names, _, err := p.serviceNames(ctx, st.ID)
		if err != nil {
			p.errors.Render(w, r, err)
			return
		}
		g := deskGroup{SiteName: st.Name}
		for _, dv := range board.Desks {
			row := deskRowOf(dv, names, st.Location())
			g.Desks = append(g.Desks, deskChoice{ID: dv.ID, Name: dv.Name, Services: row.Services, Doing: row.Doing, Open: dv.Open})
		}
		if len(g.Desks) > 0 {
			d.Groups = append(d.Groups, g)
		}
	}
	p.consoles.Render(w, r, status, "desk_choose", &web.Page{Title: "Choose your desk", Flash: flash, Errors: errs, Data: d})
}

// deskOpen opens the chosen desk and goes to its console.
func (p *Pages) deskOpen(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.staffForm(w, r, deskRoles); !ok {
		return
	}
	id := r.PostForm.Get("desk")
	if id == "" {
		p.renderDeskChoose(w, r, http.StatusBadRequest, "", []web.FieldError{{Field: "desk", Message: "Choose the desk you are working at"}})
		return
	}
	if err := p.q.SetDeskOpen(r.Context(), id, true); err != nil {
		if frontdoor.IsKind(err, frontdoor.NotFound) || frontdoor.IsKind(err, frontdoor.Forbidden) {
			p.renderDeskChoose(w, r, http.StatusBadRequest, "", []web.FieldError{{Field: "desk", Message: "Choose one of the desks in the list"}})
			return
		}
		p.errors.Render(w, r, err)
		return
	}
	http.Redirect(w, r, deskPath+"/"+url.PathEscape(id), http.StatusSeeOther)
}

// currentView is the visit open at the desk.
type currentView struct {
	ID, Number, Service, Kind  string
	Serving                    bool
	Appointment, Timing        string
	Name, Reference            string
	Needs                      []string
	Priority                   bool
	Recalls                    int
	CalledAt, Waited, Started  string
	CanRecall                  bool
	Action                     string // the base of its forms
	Outcome                    string
	FollowUp                   bool
	Transfers                  []option
	TransferTo                 string
	OfferWords, TransferredMsg string
}

type deskData struct {
	Assets        Assets
	Live          live
	Base          string
	DeskID        string
	DeskName      string
	SiteName      string
	Open          bool
	Current       *currentView
	OpenID        string
	WaitTable     waitTable
	WaitingCount  int
	Services      []option
	Alerts        []alertView
	Stale         string
	Now           string
	Refresh       string
	DeskServices  string
	NoOneWaiting  bool
	ServiceChosen string
}

// deskForm is what a refused form puts back.
type deskForm struct {
	outcome, transfer, service string
	followUp                   bool
}

func (p *Pages) desk(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.staffOnly(w, r, deskRoles); !ok {
		return
	}
	base := deskPath + "/" + url.PathEscape(chi.URLParam(r, "desk"))
	p.renderDesk(w, r, http.StatusOK, p.takeFlash(w, r, base), "", deskForm{}, nil)
}

func (p *Pages) renderDesk(w http.ResponseWriter, r *http.Request, status int, flash, stale string, form deskForm, errs []web.FieldError) {
	ctx := r.Context()
	desk, err := p.q.Booking.Desk(ctx, chi.URLParam(r, "desk"))
	if err == nil {
		_, err = frontdoor.Authorize(ctx, desk.Site, deskRoles...)
	}
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	st, err := p.q.Booking.Site(ctx, desk.Site)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	loc := st.Location()
	now := p.q.Clock.Now().In(loc)
	base := deskPath + "/" + url.PathEscape(desk.ID)
	lv, err := p.liveFor(ctx, st.ID, base)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	names, services, err := p.serviceNames(ctx, st.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	board, err := p.q.Board(ctx, st.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	d := deskData{Assets: assets, Live: lv, Base: base, DeskID: desk.ID, DeskName: desk.Name, SiteName: st.Name, Stale: stale,
		Now: booking.ClockTime(now), Refresh: base, ServiceChosen: form.service}
	var served []string
	for _, c := range desk.Services {
		served = append(served, names[c])
		d.Services = append(d.Services, option{Value: c, Text: names[c], Selected: c == form.service})
	}
	d.DeskServices = strings.Join(served, ", ")
	if d.Alerts, err = p.recentAlerts(ctx, st.ID, loc); err != nil {
		p.errors.Render(w, r, err)
		return
	}
	for _, dv := range board.Desks {
		if dv.ID == desk.ID {
			d.Open = dv.Open
		}
	}
	open, err := tickets(ctx, p.q.DB.Read, `desk_id = ? AND status IN ('called', 'serving')`, desk.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	day := localDay(now, loc)
	var list []booking.DayBooking
	if len(open) > 0 || len(board.Tickets) > 0 {
		if list, err = p.q.Booking.DayList(ctx, st.ID, day); err != nil {
			p.errors.Render(w, r, err)
			return
		}
	}
	byBooking := map[int64]booking.DayBooking{}
	for _, b := range list {
		byBooking[b.ID] = b
	}
	if len(open) > 0 {
		t := open[0]
		d.OpenID = strconv.FormatInt(t.ID, 10)
		d.Current = p.currentView(t, names, services, byBooking, loc, base, form)
	}
	bookingOf := map[string]booking.DayBooking{}
	if len(list) > 0 {
		waiting, err := tickets(ctx, p.q.DB.Read, `site_id = ? AND status = 'waiting' AND booking_id IS NOT NULL`, st.ID)
		if err != nil {
			p.errors.Render(w, r, err)
			return
		}
		for _, t := range waiting {
			if b, ok := byBooking[t.BookingID.Int64]; ok {
				bookingOf[strconv.FormatInt(t.ID, 10)] = b
			}
		}
	}
	for _, t := range board.Tickets {
		if !slices.Contains(desk.Services, t.Service) {
			continue
		}
		d.WaitingCount++
		if len(d.WaitTable.Rows) < 8 {
			d.WaitTable.Rows = append(d.WaitTable.Rows, p.waitRow(t, names, bookingOf, now))
		}
	}
	d.WaitTable.ID, d.WaitTable.Caption = "waiting", "The next visitors for this desk, in calling order"
	title := desk.Name
	p.consoles.Render(w, r, status, "desk", &web.Page{Title: title, Flash: flash, Errors: errs, Data: d})
}

func (p *Pages) currentView(t ticket, names map[string]string, services []booking.Service, byBooking map[int64]booking.DayBooking,
	loc *time.Location, base string, form deskForm) *currentView {
	id := strconv.FormatInt(t.ID, 10)
	c := &currentView{ID: id, Number: t.Number, Service: names[t.Service], Kind: "Walk-in", Serving: t.Status == StatusServing,
		Priority: t.Priority, Recalls: t.Recalls, CanRecall: t.Status == StatusCalled && t.Recalls < p.q.RecallLimit,
		Action: base + "/tickets/" + id, Outcome: form.outcome, FollowUp: form.followUp, TransferTo: form.transfer}
	called := frontdoor.FromMillis(t.Called.Int64).In(loc)
	c.CalledAt = booking.ClockTime(called)
	if t.Started.Valid {
		c.Started = booking.ClockTime(frontdoor.FromMillis(t.Started.Int64).In(loc))
	}
	from := t.Arrived
	if t.Appointment.Valid {
		c.Kind = "Appointment"
		appt := frontdoor.FromMillis(t.Appointment.Int64).In(loc)
		c.Appointment = booking.ClockTime(appt)
		diff := time.Duration(t.Arrived-t.Appointment.Int64) * time.Millisecond
		switch {
		case diff >= time.Minute:
			c.Timing = "Arrived " + minutesText(int(diff/time.Minute)) + " late"
		case diff <= -time.Minute:
			c.Timing = "Arrived " + minutesText(int(-diff/time.Minute)) + " early"
		default:
			c.Timing = "Arrived on time"
		}
		from = max(t.Arrived, t.Appointment.Int64)
		if b, ok := byBooking[t.BookingID.Int64]; ok {
			c.Name, c.Reference, c.Needs = b.Name, booking.SpacedReference(b.Reference), needsFlags(b.Needs)
		}
	}
	if t.FirstCalled.Valid {
		c.Waited = "Waited " + minutesText(int(max(t.FirstCalled.Int64-from, 0)/60000))
	}
	if t.Transfers > 0 {
		c.TransferredMsg = "Transferred from another service"
	}
	for _, s := range services {
		if s.Code != t.Service {
			c.Transfers = append(c.Transfers, option{Value: s.Code, Text: s.Name, Selected: s.Code == form.transfer})
		}
	}
	return c
}

// deskCall calls the next visitor. The form says which visit the page
// showed as open (none); if one is open now, the officer is told instead
// of it being closed without an outcome.
func (p *Pages) deskCall(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.staffForm(w, r, deskRoles); !ok {
		return
	}
	deskID := chi.URLParam(r, "desk")
	service := r.PostForm.Get("service")
	open, err := tickets(r.Context(), p.q.DB.Read, `desk_id = ? AND status IN ('called', 'serving')`, deskID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	if len(open) > 0 {
		p.renderDesk(w, r, http.StatusConflict, "", "Ticket "+open[0].Number+" is still open at this desk: finish it, mark it as a no-show or transfer it before calling the next visitor.", deskForm{}, nil)
		return
	}
	t, err := p.q.CallNext(r.Context(), deskID, service)
	if err != nil {
		e := frontdoor.AsError(err)
		if e.Fields != nil {
			p.renderDesk(w, r, frontdoor.Status(e), "", "", deskForm{}, fieldErrs(e, []string{"service"}, map[string]string{"service": "call-service"}))
			return
		}
		p.errors.Render(w, r, err)
		return
	}
	base := deskPath + "/" + url.PathEscape(deskID)
	if t == nil {
		p.setFlash(w, base, "No one is waiting for this desk.")
	}
	http.Redirect(w, r, base, http.StatusSeeOther)
}

// deskAct applies recall, start, finish, no-show or transfer to the visit
// the page showed, if it is still this desk's.
func (p *Pages) deskAct(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.staffForm(w, r, deskRoles); !ok {
		return
	}
	deskID, id := chi.URLParam(r, "desk"), chi.URLParam(r, "id")
	kind := map[string]string{"recall": "recall", "start": "start", "finish": "finish", "no-show": "no_show", "transfer": "transfer"}[chi.URLParam(r, "action")]
	if kind == "" {
		p.errors.Render(w, r, frontdoor.Errorf(frontdoor.NotFound, "not_found", "There is nothing at this address."))
		return
	}
	f := r.PostForm
	form := deskForm{outcome: f.Get("outcome"), followUp: f.Get("follow_up") == "yes", transfer: f.Get("service")}
	t, err := loadTicket(r.Context(), p.q.DB.Read, id)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	if t.Desk.String != deskID || (t.Status != StatusCalled && t.Status != StatusServing) {
		// Another desk, or another tab, has moved this visit on.
		p.renderDesk(w, r, http.StatusConflict, "", staleWords(t, kind, p.deskName(r, t.Desk.String)), deskForm{}, nil)
		return
	}
	a := Action{Kind: kind}
	switch kind {
	case "finish":
		if form.outcome != "resolved" && form.outcome != "not_resolved" {
			p.renderDesk(w, r, http.StatusBadRequest, "", "", form, []web.FieldError{{Field: "outcome",
				Message: "Select whether the enquiry was resolved at this visit"}})
			return
		}
		a.Outcome, a.FollowUp = form.outcome, form.followUp
	case "transfer":
		if form.transfer == "" {
			p.renderDesk(w, r, http.StatusBadRequest, "", "", form, []web.FieldError{{Field: "transfer-service",
				Message: "Choose the service to transfer the visitor to"}})
			return
		}
		a.Service = form.transfer
	}
	done, err := p.q.Act(r.Context(), id, a)
	if err != nil {
		e := frontdoor.AsError(err)
		switch {
		case e.Kind == frontdoor.Conflict:
			p.renderDesk(w, r, http.StatusConflict, "", e.Message, deskForm{}, nil)
		case e.Fields != nil:
			p.renderDesk(w, r, frontdoor.Status(e), "", "", form, fieldErrs(e, []string{"service", "outcome"}, map[string]string{"service": "transfer-service"}))
		default:
			p.errors.Render(w, r, err)
		}
		return
	}
	base := deskPath + "/" + url.PathEscape(deskID)
	msg := map[string]string{
		"recall":   "Ticket " + done.Number + " called again.",
		"start":    "Started serving ticket " + done.Number + ".",
		"finish":   "Ticket " + done.Number + " finished.",
		"no_show":  "Ticket " + done.Number + " marked as a no-show.",
		"transfer": "Ticket " + done.Number + " transferred: it waits for the new service now.",
	}[kind]
	p.setFlash(w, base, msg)
	http.Redirect(w, r, base, http.StatusSeeOther)
}

func (p *Pages) deskName(r *http.Request, id string) string {
	if id == "" {
		return ""
	}
	if d, err := p.q.Booking.Desk(r.Context(), id); err == nil {
		return d.Name
	}
	return id
}

// staleWords says why a desk's form no longer applies to ticket t.
func staleWords(t ticket, kind, deskName string) string {
	doing := map[string]string{"recall": "recalled", "start": "started", "finish": "finished", "no_show": "marked as a no-show",
		"transfer": "transferred"}[kind]
	now := ""
	switch t.Status {
	case StatusCalled:
		now = "it has been called to " + deskName + " by another desk"
	case StatusServing:
		now = "it is being served at " + deskName
	case StatusWaiting:
		now = "it is waiting to be called again"
	case StatusDone:
		now = "it has already been finished"
	case StatusNoShow:
		now = "it has already been marked as a no-show"
	case StatusWithdrawn:
		now = "the visitor booked an appointment instead"
	default:
		now = "it has changed"
	}
	return "Ticket " + t.Number + " was not " + doing + ": " + now + ". Nothing was changed."
}

func (p *Pages) deskClose(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.staffOnly(w, r, deskRoles); !ok {
		return
	}
	deskID := chi.URLParam(r, "desk")
	if err := p.q.SetDeskOpen(r.Context(), deskID, false); err != nil {
		if frontdoor.IsKind(err, frontdoor.Conflict) {
			p.renderDesk(w, r, http.StatusConflict, "", frontdoor.AsError(err).Message, deskForm{}, nil)
			return
		}
		p.errors.Render(w, r, err)
		return
	}
	p.setFlash(w, deskPath, p.deskName(r, deskID)+" is closed.")
	http.Redirect(w, r, deskPath, http.StatusSeeOther)
}

// deskEmergency raises an alert on every staff console at the site.
func (p *Pages) deskEmergency(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.staffForm(w, r, deskRoles); !ok {
		return
	}
	deskID := chi.URLParam(r, "desk")
	a, err := p.q.RaiseEmergency(r.Context(), deskID, r.PostForm.Get("message"))
	if err != nil {
		if e := frontdoor.AsError(err); e.Fields != nil {
			p.renderDesk(w, r, http.StatusBadRequest, "", "", deskForm{}, fieldErrs(e, []string{"message"}, map[string]string{"message": "emergency-message"}))
			return
		}
		p.errors.Render(w, r, err)
		return
	}
	base := deskPath + "/" + url.PathEscape(deskID)
	p.setFlash(w, base, "Emergency alert sent from "+a.DeskName+" to every staff console at this centre.")
	http.Redirect(w, r, base, http.StatusSeeOther)
}
