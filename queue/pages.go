package queue

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/booking"
	"frontdoor/notify"
	"frontdoor/web"
)

// The people's side of the queue: the kiosk, the reception and desk
// consoles and the managers' report. Every page is rendered on the server
// and works with JavaScript off (forms, then a redirect to a page that
// shows what happened); the scripts only follow the staff event stream to
// keep the lists current, scan QR codes with a camera and take an idle
// kiosk back to its start.

//go:embed templates/*.html
var pageTemplates embed.FS

//go:embed static
var pageStatic embed.FS

// KioskDevices is what the kiosk needs from staff accounts, wired by cmd.
type KioskDevices struct {
	// Authenticate turns a request carrying a bearer token into its principal.
	Authenticate func(r *http.Request) (*frontdoor.Principal, error)
	// Issue makes a device token for one site (a staff user locking a browser to kiosk mode).
	Issue func(ctx context.Context, site, name string) (string, error)
	// EndSession signs the browser's staff user out.
	EndSession func(w http.ResponseWriter, r *http.Request) error
	// Secure marks the kiosk's cookies Secure (the service runs on HTTPS).
	Secure bool
}

// Pages serves the kiosk, the consoles and the reports.
type Pages struct {
	q        *Queue
	consoles *web.Pages
	kiosk    *web.Pages
	errors   *web.ErrorPages
	devices  KioskDevices
	// SMSConfigured hides the reception outbox: texts go out by themselves.
	SMSConfigured func() bool
}

var consoleFiles = []string{"templates/reception.html", "templates/desk_choose.html", "templates/desk.html",
	"templates/reports.html", "templates/kiosk_sites.html"}

var kioskFiles = []string{"templates/kiosk_start.html", "templates/kiosk_setup.html", "templates/kiosk_ticket.html",
	"templates/kiosk_print.html", "templates/kiosk_booked.html"}

// NewPages parses the pages. The kiosk's own layout (large type, no staff
// navigation, no links away) replaces the shared layout in its set.
func NewPages(q *Queue, rd *web.Renderer, devices KioskDevices) *Pages {
	consoles, err := rd.ParseShared(pageTemplates, []string{"templates/_console.html"}, consoleFiles...)
	if err != nil {
		panic(err)
	}
	kiosk, err := rd.ParseShared(pageTemplates, []string{"templates/_kiosk_layout.html"}, kioskFiles...)
	if err != nil {
		panic(err)
	}
	return &Pages{q: q, consoles: consoles, kiosk: kiosk, errors: rd.NewErrorPages(), devices: devices}
}

// Routes adds the pages and their assets.
func (p *Pages) Routes(r chi.Router) {
	r.Handle("/queue-assets/*", pageAssets())

	r.Get("/sites/{site}/kiosk", p.kioskStart)
	r.Post("/sites/{site}/kiosk/checkin", p.kioskCheckin)
	r.Post("/sites/{site}/kiosk/ticket", p.kioskTicket)
	r.Get("/sites/{site}/kiosk/tickets/{id}", p.kioskTicketPage)
	r.Get("/sites/{site}/kiosk/tickets/{id}/print", p.kioskPrint)
	r.Post("/sites/{site}/kiosk/tickets/{id}/accept", p.kioskAccept)
	r.Post("/sites/{site}/kiosk/tickets/{id}/wait", p.kioskWait)
	r.Get("/sites/{site}/kiosk/booked", p.kioskBooked)
	r.Post("/sites/{site}/kiosk/setup", p.kioskSetup)
	r.Post("/sites/{site}/kiosk/lock", p.kioskLock)
	r.Post("/sites/{site}/kiosk/unlock", p.kioskUnlock)
	r.Get("/staff/kiosk", p.kioskSites)

	r.Get("/staff/reception", p.reception)
	r.Post("/staff/reception/checkin", p.receptionCheckin)
	r.Post("/staff/reception/ticket", p.receptionTicket)

	r.Get("/staff/desk", p.deskChoose)
	r.Post("/staff/desk", p.deskOpen)
	r.Get("/staff/desk/{desk}", p.desk)
	r.Post("/staff/desk/{desk}/call", p.deskCall)
	r.Post("/staff/desk/{desk}/close", p.deskClose)
	r.Post("/staff/desk/{desk}/emergency", p.deskEmergency)
	r.Post("/staff/desk/{desk}/tickets/{id}/{action}", p.deskAct)

	r.Get("/staff/reports", p.reports)
}

// assetVersions holds a short hash of each static file, so that a new
// build's scripts are fetched at once although they are cached.
var assetVersions = func() map[string]string {
	v := map[string]string{}
	fs.WalkDir(pageStatic, "static", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := pageStatic.ReadFile(path)
			sum := sha256.Sum256(b)
			v[strings.TrimPrefix(path, "static/")] = hex.EncodeToString(sum[:6])
		}
		return nil
	})
	return v
}()

func asset(name string) string { return "/queue-assets/" + name + "?v=" + assetVersions[name] }

// Assets are the pages' own style and scripts.
type Assets struct{ CSS, Console, Kiosk string }

var assets = Assets{CSS: asset("queue.css"), Console: asset("console.js"), Kiosk: asset("kiosk.js")}

func pageAssets() http.Handler {
	sub, _ := fs.Sub(pageStatic, "static")
	files := http.StripPrefix("/queue-assets/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// Roles of each page (admins pass everywhere).
var (
	receptionRoles = []string{frontdoor.RoleReception, frontdoor.RoleManager}
	reportRoles    = []string{frontdoor.RoleManager}
)

// staffOnly lets a signed-in staff user with one of roles through: anyone
// else is sent to sign in and back, or shown why not.
func (p *Pages) staffOnly(w http.ResponseWriter, r *http.Request, roles []string) (*frontdoor.Principal, bool) {
	pr := frontdoor.PrincipalFrom(r.Context())
	if pr == nil || pr.Kind != "user" {
		next := r.URL.Path
		if r.Method == http.MethodGet {
			next = r.URL.RequestURI()
		}
		http.Redirect(w, r, "/sign-in?next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil, false
	}
	if _, err := frontdoor.Authorize(r.Context(), "", roles...); err != nil {
		p.errors.Render(w, r, err)
		return nil, false
	}
	return pr, true
}

type option struct {
	Value, Text string
	Selected    bool
}

// siteChoice is the sites a principal works at, and the one chosen.
type siteChoice struct {
	Options []option
	Site    booking.Site
}

// chooseSite picks the site a console shows: the one asked for, else the
// first the user may see. ok is false (and the answer written) when none.
func (p *Pages) chooseSite(w http.ResponseWriter, r *http.Request, want string) (siteChoice, bool) {
	pr := frontdoor.PrincipalFrom(r.Context())
	sites, err := p.q.Booking.Sites(r.Context())
	if err != nil {
		p.errors.Render(w, r, err)
		return siteChoice{}, false
	}
	var c siteChoice
	found := false
	for _, s := range sites {
		if !pr.CanSite(s.ID) {
			continue
		}
		if !found && (want == "" || want == s.ID) {
			c.Site, found = s, true
		}
		c.Options = append(c.Options, option{Value: s.ID, Text: s.Name})
	}
	if !found && want != "" && len(c.Options) > 0 {
		// An unknown or foreign site in the address: show the first instead.
		for _, s := range sites {
			if s.ID == c.Options[0].Value {
				c.Site, found = s, true
			}
		}
	}
	if !found {
		p.errors.Render(w, r, frontdoor.Errorf(frontdoor.NotFound, "not_found", "There is no customer centre for you to work at yet. Ask an admin to add one."))
		return siteChoice{}, false
	}
	for i := range c.Options {
		c.Options[i].Selected = c.Options[i].Value == c.Site.ID
	}
	return c, true
}

// readForm parses a POSTed form of at most web.MaxBody bytes.
// staffForm is staffOnly for a form post: the form is read too, and a
// form that cannot be read is answered.
func (p *Pages) staffForm(w http.ResponseWriter, r *http.Request, roles []string) (*frontdoor.Principal, bool) {
	pr, ok := p.staffOnly(w, r, roles)
	if !ok {
		return nil, false
	}
	if err := readForm(w, r); err != nil {
		p.errors.Render(w, r, err)
		return nil, false
	}
	return pr, true
}

func readForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, web.MaxBody)
	if err := r.ParseForm(); err != nil {
		return frontdoor.Errorf(frontdoor.Invalid, "bad_form", "The form could not be read. Go back and try again.")
	}
	return nil
}

// The flash: one line for the page after a redirect, carried in a
// short-lived cookie set by the server (so nobody can put words on a
// console through a link).
const flashCookie = "frontdoor_flash"

func (p *Pages) setFlash(w http.ResponseWriter, path, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: path, MaxAge: 60, HttpOnly: true,
		Secure: p.devices.Secure, SameSite: http.SameSiteLaxMode})
}

func (p *Pages) takeFlash(w http.ResponseWriter, r *http.Request, path string) string {
	c, err := r.Cookie(flashCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: path, MaxAge: -1, HttpOnly: true, Secure: p.devices.Secure,
		SameSite: http.SameSiteLaxMode})
	msg, _ := url.QueryUnescape(c.Value)
	return msg
}

// live is what a console needs to follow the site's staff stream.
type live struct {
	Stream string // the staff stream, resuming after the event the page was rendered at
	URL    string // the page to fetch again when something changes
}

func (p *Pages) liveFor(ctx context.Context, site, pageURL string) (live, error) {
	last, err := p.q.LastEventID(ctx, site)
	if err != nil {
		return live{}, err
	}
	return live{Stream: fmt.Sprintf("/api/v1/sites/%s/staff-events?last_event_id=%d", url.PathEscape(site), last), URL: pageURL}, nil
}

// alertView is an emergency raised at a desk, as consoles show it.
type alertView struct {
	ID      int64
	Desk    string
	Time    string
	Number  string
	Message string
}

// alertsShownFor is how long a console keeps showing an emergency.
const alertsShownFor = 30 * time.Minute

// recentAlerts reads the site's emergencies of the last half hour, newest first.
func (p *Pages) recentAlerts(ctx context.Context, site string, loc *time.Location) ([]alertView, error) {
	since := p.q.Clock.Now().Add(-alertsShownFor)
	rows, err := p.q.DB.Read.QueryContext(ctx, `SELECT id, at, data FROM ticket_events WHERE site_id = ? AND kind = 'emergency' AND at >= ?
		ORDER BY id DESC LIMIT 10`, site, frontdoor.Millis(since))
	if err != nil {
		return nil, fmt.Errorf("read emergencies of %s: %w", site, err)
	}
	defer rows.Close()
	var out []alertView
	for rows.Next() {
		var id, at int64
		var data string
		if err := rows.Scan(&id, &at, &data); err != nil {
			return nil, err
		}
		var d struct{ Desk, Number, Message string }
		json.Unmarshal([]byte(data), &d)
		out = append(out, alertView{ID: id, Desk: d.Desk, Number: d.Number, Message: d.Message,
			Time: booking.ClockTime(frontdoor.FromMillis(at).In(loc))})
	}
	return out, rows.Err()
}

// serviceNames maps a site's service codes to their names.
func (p *Pages) serviceNames(ctx context.Context, site string) (map[string]string, []booking.Service, error) {
	services, err := p.q.Booking.Services(ctx, site)
	if err != nil {
		return nil, nil, err
	}
	names := map[string]string{}
	for _, s := range services {
		names[s.Code] = s.Name
	}
	return names, services, nil
}

// minutesText words a number of minutes: "1 minute", "12 minutes".
func minutesText(m int) string {
	if m == 1 {
		return "1 minute"
	}
	return strconv.Itoa(m) + " minutes"
}

// needsFlags are the needs staff must prepare for, short enough for a tag.
func needsFlags(n booking.Needs) []string {
	return n.List()
}

// fieldErrs turns a validation error into the page's error list, fields in
// the order given; ids maps a field to its input's id where they differ.
func fieldErrs(err error, order []string, ids map[string]string) []web.FieldError {
	e := frontdoor.AsError(err)
	var out []web.FieldError
	for _, f := range order {
		if msg, ok := e.Fields[f]; ok {
			id := f
			if v, ok := ids[f]; ok {
				id = v
			}
			out = append(out, web.FieldError{Field: id, Message: msg})
		}
	}
	for f, msg := range e.Fields {
		if !slices.Contains(order, f) {
			out = append(out, web.FieldError{Field: f, Message: msg})
		}
	}
	return out
}

// unsent reads the outbox rows reception should see.
func (p *Pages) unsent(ctx context.Context, site string) ([]notify.UnsentMessage, error) {
	if p.SMSConfigured != nil && p.SMSConfigured() {
		return nil, nil
	}
	return notify.ReadUnsent(ctx, p.q.DB.Read, site, 20)
}
