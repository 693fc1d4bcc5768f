package booking

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io"
	"net/http"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/web"
)

//go:embed templates/*.html
var bookingTemplates embed.FS

// partialFiles are parsed with every booking page: shared pieces such as the
// radios of free days and times and the details form.
var partialFiles = []string{"templates/_partials.html"}

// Pages serves the resident pages (the start page, the booking journey and
// the manage pages) and the staff phone-booking pages.
type Pages struct {
	store  *Store
	pages  *web.Pages
	start  *web.Pages
	errors *web.ErrorPages
	create func(http.Handler) http.Handler // the Idempotency-Key middleware
}

func mustParse(ps *web.Pages, err error) *web.Pages {
	if err != nil {
		panic(err)
	}
	return ps
}

// pageFiles are the booking templates, one page each.
var pageFiles = []string{
	"templates/service.html", "templates/choose.html", "templates/details.html",
	"templates/check.html", "templates/confirmation.html", "templates/already_booked.html",
	"templates/manage.html", "templates/manage_help.html", "templates/manage_missing.html",
	"templates/cancel.html", "templates/cancelled.html", "templates/changed.html",
	"templates/phone_search.html", "templates/phone_details.html", "templates/phone_booked.html",
}

// NewPages parses the resident and phone-booking pages.
func NewPages(store *Store, rd *web.Renderer) *Pages {
	return &Pages{
		store:  store,
		pages:  mustParse(rd.ParseShared(bookingTemplates, partialFiles, pageFiles...)),
		start:  rd.MustParse(web.Templates, "templates/start.html"),
		errors: rd.NewErrorPages(),
	}
}

// Routes adds the pages to r. create wraps the POSTs that create a booking
// (the Idempotency-Key middleware); their forms carry the key in a hidden field.
func (p *Pages) Routes(r chi.Router, create func(http.Handler) http.Handler) {
	p.create = create
	r.Get("/", p.startPage)

	r.Get("/book/{site}", p.servicePage)
	r.Post("/book/{site}", p.chooseService)
	r.Get("/book/{site}/day", p.dayPage)
	r.Post("/book/{site}/day", p.chooseDay)
	r.Get("/book/{site}/time", p.timePage)
	r.Post("/book/{site}/time", p.chooseTime)
	r.Get("/book/{site}/details", p.detailsPage)
	r.Post("/book/{site}/details", p.saveDetails)
	r.Get("/book/{site}/check", p.checkPage)
	r.Post("/book/{site}/confirm", p.confirm)

	r.Get("/manage/{reference}", p.manageHelp)
	r.Get("/manage/{reference}/{token}", p.managePage)
	r.Get("/manage/{reference}/{token}/cancel", p.cancelPage)
	r.Post("/manage/{reference}/{token}/cancel", p.cancel)
	r.Get("/manage/{reference}/{token}/change", p.changeDayPage)
	r.Post("/manage/{reference}/{token}/change", p.changeDay)
	r.Get("/manage/{reference}/{token}/change/time", p.changeTimePage)
	r.Post("/manage/{reference}/{token}/change/time", p.changeTime)

	r.Get("/staff/phone-booking", p.phoneSearch)
	r.Get("/staff/phone-booking/book", p.phoneDetailsPage)
	r.Post("/staff/phone-booking/book", p.phoneBook)
	r.Get("/staff/phone-booking/booked/{reference}", p.phoneBooked)
	r.Post("/staff/phone-booking/booked/{reference}/resend", p.phoneResend)
}

func (p *Pages) startPage(w http.ResponseWriter, r *http.Request) {
	sites, err := p.store.Sites(r.Context())
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	p.start.Render(w, r, http.StatusOK, "start", &web.Page{Title: "Book a face-to-face appointment", Data: struct{ Sites []Site }{sites}})
}

// render shows one of the booking pages.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name string, page *web.Page) {
	p.pages.Render(w, r, status, name, page)
}

// private marks a page whose address or content carries a secret (a manage
// link): browsers must not send its address on to anyone.
func private(w http.ResponseWriter) {
	w.Header().Set("Referrer-Policy", "no-referrer")
}

// readForm parses a POSTed form of at most web.MaxBody bytes and keeps the
// body, so that once can pass the request on.
func readForm(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	bad := frontdoor.Errorf(frontdoor.Invalid, "bad_form", "The form could not be read. Go back and try again.")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, web.MaxBody))
	if err != nil {
		return nil, bad
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := r.ParseForm(); err != nil {
		return nil, bad
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// once runs h, the part of a form's handler that books, under the form's
// hidden "key" as its Idempotency-Key: a form sent twice (a double click, a
// refresh, a retry on a bad connection) books once and gets the first answer
// again. The form is checked before, so a refused form stores nothing. The
// key includes the form's hash: the same form page sent again with other
// answers (after Back) is a new request, not a reused key (which the
// middleware would refuse in JSON).
func (p *Pages) once(w http.ResponseWriter, r *http.Request, body []byte, h http.HandlerFunc) {
	if k := r.PostForm.Get("key"); k != "" && len(k) <= 100 {
		sum := sha256.Sum256(body)
		r.Header.Set("Idempotency-Key", "form:"+k+":"+hex.EncodeToString(sum[:8]))
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	p.create(h).ServeHTTP(w, r)
}

// fieldErrors turns a validation error's fields into the page's error list,
// in the order the fields appear on the page. ids maps a field name to its
// input's id where they differ.
func fieldErrors(fields map[string]string, order []string, ids map[string]string) []web.FieldError {
	var errs []web.FieldError
	seen := map[string]bool{}
	add := func(name string) {
		msg, ok := fields[name]
		if !ok || seen[name] {
			return
		}
		seen[name] = true
		id := name
		if v, ok := ids[name]; ok {
			id = v
		}
		errs = append(errs, web.FieldError{Field: id, Message: msg})
	}
	for _, name := range order {
		add(name)
	}
	for name := range fields {
		add(name)
	}
	return errs
}
