package booking

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/web"
)

// SetupRoutes adds the admin setup API and the public lists to r.
// create wraps POSTs that create something (Idempotency-Key).
func (s *Store) SetupRoutes(r chi.Router, create func(http.Handler) http.Handler) {
	admin := web.Require(frontdoor.RoleAdmin)
	staff := web.Require(frontdoor.RoleManager, frontdoor.RoleReception, frontdoor.RoleOfficer, frontdoor.RoleDevice)

	r.Get("/api/v1/sites", s.handleSites)
	r.Get("/api/v1/sites/{site}", s.handleSite)
	r.Get("/api/v1/sites/{site}/services", s.handleServices)
	r.Get("/api/v1/sites/{site}/services/{code}", s.handleService)
	r.Get("/api/v1/sites/{site}/hours", s.handleHours)
	r.Get("/api/v1/sites/{site}/services/{code}/capacity", s.handleCapacity)
	r.With(staff).Get("/api/v1/sites/{site}/desks", s.handleDesks)

	r.With(admin, create).Post("/api/v1/sites", s.handleCreateSite)
	r.With(admin, create).Post("/api/v1/sites/{site}/services", s.handleCreateService)
	r.With(admin, create).Post("/api/v1/sites/{site}/desks", s.handleCreateDesk)
	r.With(admin).Put("/api/v1/sites/{site}/hours", s.handlePutHours)
	r.With(admin).Put("/api/v1/sites/{site}/services/{code}/capacity", s.handlePutCapacity)
}

// answer writes v or err: the one shape every setup handler ends in.
func answer(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, status, v)
}

func (s *Store) handleSites(w http.ResponseWriter, r *http.Request) {
	sites, err := s.Sites(r.Context())
	answer(w, r, http.StatusOK, map[string]any{"sites": sites}, err)
}

func (s *Store) handleSite(w http.ResponseWriter, r *http.Request) {
	site, err := s.Site(r.Context(), chi.URLParam(r, "site"))
	answer(w, r, http.StatusOK, site, err)
}

func (s *Store) handleServices(w http.ResponseWriter, r *http.Request) {
	list, err := s.Services(r.Context(), chi.URLParam(r, "site"))
	answer(w, r, http.StatusOK, map[string]any{"services": list}, err)
}

func (s *Store) handleService(w http.ResponseWriter, r *http.Request) {
	v, err := s.Service(r.Context(), chi.URLParam(r, "site"), chi.URLParam(r, "code"))
	answer(w, r, http.StatusOK, v, err)
}

func (s *Store) handleDesks(w http.ResponseWriter, r *http.Request) {
	list, err := s.Desks(r.Context(), chi.URLParam(r, "site"))
	answer(w, r, http.StatusOK, map[string]any{"desks": list}, err)
}

func (s *Store) handleHours(w http.ResponseWriter, r *http.Request) {
	h, err := s.Hours(r.Context(), chi.URLParam(r, "site"))
	answer(w, r, http.StatusOK, h, err)
}

func (s *Store) handleCapacity(w http.ResponseWriter, r *http.Request) {
	c, err := s.Capacity(r.Context(), chi.URLParam(r, "site"), chi.URLParam(r, "code"))
	answer(w, r, http.StatusOK, c, err)
}

func (s *Store) handleCreateSite(w http.ResponseWriter, r *http.Request) {
	var in SiteInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	site, err := s.CreateSite(r.Context(), in)
	answer(w, r, http.StatusCreated, site, err)
}

func (s *Store) handleCreateService(w http.ResponseWriter, r *http.Request) {
	var in ServiceInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	v, err := s.CreateService(r.Context(), chi.URLParam(r, "site"), in)
	answer(w, r, http.StatusCreated, v, err)
}

func (s *Store) handleCreateDesk(w http.ResponseWriter, r *http.Request) {
	var in DeskInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	d, err := s.CreateDesk(r.Context(), chi.URLParam(r, "site"), in)
	answer(w, r, http.StatusCreated, d, err)
}

func (s *Store) handlePutHours(w http.ResponseWriter, r *http.Request) {
	var in Hours
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	h, err := s.PutHours(r.Context(), chi.URLParam(r, "site"), in)
	answer(w, r, http.StatusOK, h, err)
}

func (s *Store) handlePutCapacity(w http.ResponseWriter, r *http.Request) {
	var in Capacity
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	c, err := s.PutCapacity(r.Context(), chi.URLParam(r, "site"), chi.URLParam(r, "code"), in)
	answer(w, r, http.StatusOK, c, err)
}
