// Package admin serves the admin pages: customer centres (sites), their
// services, desks, opening hours, closures and appointment capacity, staff
// accounts, and device and API tokens. It owns no table: every change goes
// through booking's and staff's stores, which validate it, write it in one
// transaction with its audit row and refresh what they cache, so the pages
// and the setup API keep the same rules.
//
// The pages are for signed-in admins. An admin limited to one centre sees
// and changes that centre only, its staff and its tokens, and cannot add
// centres or accounts for every centre. Every form posts to the server
// (JavaScript only enhances), is refused whole on bad input with an error
// summary and a message beside each field, and after a change redirects to
// a page that says what was done.
package admin

import (
	"context"
	"embed"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/booking"
	"frontdoor/staff"
	"frontdoor/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// Path is where the admin pages live.
const Path = "/staff/admin"

// Pages serves the admin pages.
type Pages struct {
	Booking *booking.Store
	Staff   *staff.Store
	// CloseDesk closes a desk in the queue before it is taken out of use
	// (refused while a visitor is at it), so that it does not come back
	// staffed if it is put back into use. Nil skips that step.
	CloseDesk func(ctx context.Context, desk string) error
	// Unlock clears a name's failed sign-ins (the sign-in lock-out) once an
	// admin has set a new password: the person is usually locked out because
	// they forgot it. Nil skips that step.
	Unlock func(name string)
	// Secure marks the pages' cookies Secure (the service runs on HTTPS).
	Secure bool

	pages  *web.Pages
	errors *web.ErrorPages
}

var pageFiles = []string{
	"templates/home.html", "templates/site.html", "templates/site_form.html",
	"templates/service_form.html", "templates/capacity.html", "templates/desk_form.html",
	"templates/hours.html", "templates/closures.html", "templates/confirm.html",
	"templates/users.html", "templates/user_form.html", "templates/user.html",
	"templates/tokens.html", "templates/token_form.html", "templates/token_created.html",
}

// New parses the pages.
func New(b *booking.Store, s *staff.Store, rd *web.Renderer, secure bool) *Pages {
	pages, err := rd.ParseShared(templateFS, []string{"templates/_form.html"}, pageFiles...)
	if err != nil {
		panic(err)
	}
	return &Pages{Booking: b, Staff: s, Secure: secure, pages: pages, errors: rd.NewErrorPages()}
}

// Routes adds the admin pages to r.
func (p *Pages) Routes(r chi.Router) {
	r.Route(Path, func(r chi.Router) {
		r.Use(p.adminOnly)
		r.Get("/", p.home)
		r.Get("/sites/new", p.newSite)
		r.Post("/sites/new", p.createSite)
		r.Route("/sites/{site}", func(r chi.Router) {
			r.Use(p.siteScope)
			r.Get("/", p.site)
			r.Get("/edit", p.editSite)
			r.Post("/edit", p.updateSite)
			r.Get("/services/new", p.newService)
			r.Post("/services/new", p.createService)
			r.Get("/services/{code}", p.editService)
			r.Post("/services/{code}", p.updateService)
			r.Get("/services/{code}/capacity", p.capacity)
			r.Post("/services/{code}/capacity", p.putCapacity)
			r.Get("/desks/new", p.newDesk)
			r.Post("/desks/new", p.createDesk)
			r.Get("/desks/{desk}", p.editDesk)
			r.Post("/desks/{desk}", p.updateDesk)
			r.Get("/desks/{desk}/retire", p.confirmRetireDesk)
			r.Post("/desks/{desk}/retire", p.retireDesk)
			r.Post("/desks/{desk}/restore", p.restoreDesk)
			r.Get("/hours", p.hours)
			r.Post("/hours", p.putHours)
			r.Get("/closures", p.closures)
			r.Post("/closures", p.addClosure)
			r.Post("/closures/{id}/remove", p.removeClosure)
			r.Post("/texts", p.putTexts)
		})
		r.Get("/users", p.users)
		r.Get("/users/new", p.newUser)
		r.Post("/users/new", p.createUser)
		r.Get("/users/{id}", p.user)
		r.Post("/users/{id}/password", p.setPassword)
		r.Get("/users/{id}/disable", p.confirmDisableUser)
		r.Post("/users/{id}/disable", p.disableUser)
		r.Post("/users/{id}/enable", p.enableUser)
		r.Get("/tokens", p.tokens)
		r.Get("/tokens/new", p.newToken)
		r.Post("/tokens/new", p.createToken)
		r.Get("/tokens/{id}/created", p.tokenCreated)
		r.Get("/tokens/{id}/revoke", p.confirmRevokeToken)
		r.Post("/tokens/{id}/revoke", p.revokeToken)
	})
}

// adminOnly lets signed-in admins through. Anyone not signed in is sent to
// sign in and back; other staff are told the pages are not for them. (A
// bearer token is for the API: the setup API takes it.)
func (p *Pages) adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pr := frontdoor.PrincipalFrom(r.Context())
		if pr == nil || pr.Kind != "user" {
			back := r.URL.Path
			if r.Method == http.MethodGet {
				back = r.URL.RequestURI()
			}
			http.Redirect(w, r, "/sign-in?next="+url.QueryEscape(back), http.StatusSeeOther)
			return
		}
		if pr.Role != frontdoor.RoleAdmin {
			p.errors.Render(w, r, frontdoor.Errorf(frontdoor.Forbidden, "forbidden", "The admin pages are for admins. Ask an admin if something needs to change."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

type siteKey struct{}

// siteScope reads the site in the address, refusing a site the admin's
// access does not reach (403) and one that does not exist (404).
func (p *Pages) siteScope(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "site")
		if !frontdoor.PrincipalFrom(r.Context()).CanSite(id) {
			p.errors.Render(w, r, frontdoor.Errorf(frontdoor.Forbidden, "forbidden", "Your access is limited to another customer centre."))
			return
		}
		st, err := p.Booking.Site(r.Context(), id)
		if err != nil {
			p.errors.Render(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), siteKey{}, st)))
	})
}

// siteOf is the site siteScope read for this request.
func siteOf(r *http.Request) booking.Site {
	st, _ := r.Context().Value(siteKey{}).(booking.Site)
	return st
}

// sitePath is the address of a site's page, plus rest.
func sitePath(site, rest string) string {
	return Path + "/sites/" + url.PathEscape(site) + rest
}

// principal is the signed-in admin (adminOnly has checked there is one).
func principal(r *http.Request) *frontdoor.Principal { return frontdoor.PrincipalFrom(r.Context()) }

// idParam reads a numeric id from the address; ok is false (and a 404
// page written) when it is not one.
func (p *Pages) idParam(w http.ResponseWriter, r *http.Request, what string) (int64, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id < 1 {
		p.errors.Render(w, r, frontdoor.Errorf(frontdoor.NotFound, "not_found", "There is no such %s.", what))
		return 0, false
	}
	return id, true
}

// readForm parses a POSTed form of at most web.MaxBody bytes; false (and
// an error page written) when it cannot be read.
func (p *Pages) readForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, web.MaxBody)
	if err := r.ParseForm(); err != nil {
		p.errors.Render(w, r, frontdoor.Errorf(frontdoor.Invalid, "bad_form", "The form could not be read. Go back and try again."))
		return false
	}
	return true
}

// The flash: one line for the page after a redirect, in a short-lived
// cookie the server sets, so nobody can put words on these pages by a link.
const flashCookie = "frontdoor_admin_flash"

// done records msg for the next page and redirects there (post/redirect/get).
func (p *Pages) done(w http.ResponseWriter, r *http.Request, to, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: Path, MaxAge: 60, HttpOnly: true,
		Secure: p.Secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (p *Pages) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: Path, MaxAge: -1, HttpOnly: true, Secure: p.Secure,
		SameSite: http.SameSiteLaxMode})
	msg, _ := url.QueryUnescape(c.Value)
	return msg
}

// render writes page name. A page shown after a redirect (status 200, no
// errors) carries the flash left for it.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name, title, back string, f *form, data any) {
	pg := &web.Page{Title: title, BackLink: back, Data: data}
	if f != nil {
		pg.Errors = f.summary
	}
	if status == http.StatusOK && len(pg.Errors) == 0 {
		pg.Flash = p.takeFlash(w, r)
	}
	p.pages.Render(w, r, status, name, pg)
}

// storeError is err when it is about the input (400, 409, 422), which a
// form shows beside its fields; nil for anything else.
func storeError(err error) *frontdoor.Error {
	e := frontdoor.AsError(err)
	switch e.Kind {
	case frontdoor.Invalid, frontdoor.Conflict, frontdoor.Unprocessable:
		return e
	}
	return nil
}

// refused shows a form again after err: with its field messages when err is
// about the input, else the error page. ids maps the store's field names to
// input ids where they differ; a message about no one field goes against
// fallback. again re-renders the form with f at the given status.
func (p *Pages) refused(w http.ResponseWriter, r *http.Request, err error, f *form, ids map[string]string, fallback string, again func(status int)) {
	e := storeError(err)
	if e == nil {
		p.errors.Render(w, r, err)
		return
	}
	f.addError(e, ids, fallback)
	again(frontdoor.Status(e))
}
