package booking

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"frontdoor/web"
)

// Pages serves the resident pages: the start page and the booking journey.
type Pages struct {
	store  *Store
	pages  *web.Pages
	errors *web.ErrorPages
}

// NewPages parses the resident pages.
func NewPages(store *Store, rd *web.Renderer) *Pages {
	return &Pages{store: store, pages: rd.MustParse(web.Templates, "templates/start.html"), errors: rd.NewErrorPages()}
}

// Routes adds the resident pages to r.
func (p *Pages) Routes(r chi.Router) {
	r.Get("/", p.start)
}

func (p *Pages) start(w http.ResponseWriter, r *http.Request) {
	sites, err := p.store.Sites(r.Context())
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	p.pages.Render(w, r, http.StatusOK, "start", &web.Page{Title: "Book a face-to-face appointment", Data: struct{ Sites []Site }{sites}})
}
