package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// About serves the pages every public-sector service must have and the
// footer links to: the accessibility statement and the privacy notice.
// What they say of data (what is kept, for how long, who sees it) follows
// the service's own settings, so the words stay true when those change.
type About struct {
	// Organisation is who runs the service: the page header's name, usually the council's.
	Organisation string
	// Contact is how residents reach the council about the service (an
	// email address, phone number or web address); empty: at reception.
	Contact string
	// RetentionDays is how long personal data is kept after a visit.
	RetentionDays int
	// SMS says whether texts go out through Twilio.
	SMS bool

	pages *Pages
}

// NewAbout parses the pages.
func NewAbout(rd *Renderer, a About) *About {
	a.pages = rd.MustParse(templateFS, "templates/accessibility.html", "templates/privacy.html")
	return &a
}

// Routes adds /accessibility and /privacy.
func (a *About) Routes(r chi.Router) {
	r.Get("/accessibility", func(w http.ResponseWriter, r *http.Request) {
		a.pages.Render(w, r, http.StatusOK, "accessibility", &Page{Title: "Accessibility statement", Data: a})
	})
	r.Get("/privacy", func(w http.ResponseWriter, r *http.Request) {
		a.pages.Render(w, r, http.StatusOK, "privacy", &Page{Title: "Privacy notice", Data: a})
	})
}
