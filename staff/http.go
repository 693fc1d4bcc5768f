package staff

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/web"
)

// Handler serves sign-in, sign-out, the staff home page and the admin API
// for users and tokens.
type Handler struct {
	Store  *Store
	Pages  *web.Pages
	Errors *web.ErrorPages
	Nav    []web.NavLink
	// Secure marks the session cookie Secure; set when the service is served over HTTPS.
	Secure bool
	// Lockout refuses sign-in after repeated failures (see Lockout).
	Lockout *Lockout
}

// NewHandler parses the staff pages.
func NewHandler(store *Store, rd *web.Renderer, secure bool) *Handler {
	return &Handler{Store: store, Pages: rd.MustParse(web.Templates, "templates/sign_in.html", "templates/staff_home.html"),
		Errors: rd.NewErrorPages(), Nav: rd.Nav, Secure: secure, Lockout: NewLockout()}
}

// Routes adds the staff routes to r. create wraps handlers that create
// something (the Idempotency-Key middleware).
func (h *Handler) Routes(r chi.Router, create func(http.Handler) http.Handler) {
	r.Get("/sign-in", h.signInPage)
	r.Post("/sign-in", h.signIn)
	r.Post("/sign-out", h.signOut)
	r.Get("/staff", h.home)

	r.Group(func(r chi.Router) {
		r.Use(web.Require(frontdoor.RoleAdmin))
		r.Get("/api/v1/users", h.listUsers)
		r.With(create).Post("/api/v1/users", h.createUser)
		r.Get("/api/v1/tokens", h.listTokens)
		r.With(create).Post("/api/v1/tokens", h.createToken)
		r.Post("/api/v1/tokens/{id}/revoke", h.revokeToken)
	})
}

type signInData struct {
	Name string
	Next string
}

func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request) {
	if p := frontdoor.PrincipalFrom(r.Context()); p != nil && p.Kind == "user" {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	h.Pages.Render(w, r, http.StatusOK, "sign_in", &web.Page{Title: "Sign in",
		Data: signInData{Next: safeNext(r.URL.Query().Get("next"))}})
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, web.MaxBody)
	if err := r.ParseForm(); err != nil {
		h.Errors.Render(w, r, frontdoor.Errorf(frontdoor.Invalid, "bad_form", "The form could not be read. Go back and try again."))
		return
	}
	name, password, next := r.PostForm.Get("name"), r.PostForm.Get("password"), safeNext(r.PostForm.Get("next"))
	var errs []web.FieldError
	if strings.TrimSpace(name) == "" {
		errs = append(errs, web.FieldError{Field: "name", Message: "Enter your name"})
	}
	if password == "" {
		errs = append(errs, web.FieldError{Field: "password", Message: "Enter your password"})
	}
	var secret string
	if len(errs) == 0 {
		ip := web.ClientIP(r)
		if wait := h.Lockout.Locked(name, ip); wait > 0 {
			h.lockedOut(w, r, name, next, wait)
			return
		}
		var err error
		secret, err = h.Store.SignIn(r.Context(), name, password)
		if frontdoor.IsKind(err, frontdoor.Unauthorized) {
			if wait := h.Lockout.Failed(name, ip); wait > 0 {
				h.lockedOut(w, r, name, next, wait)
				return
			}
			errs = append(errs, web.FieldError{Field: "name", Message: "The name or password is not right"})
		} else if err != nil {
			h.Errors.Render(w, r, err)
			return
		}
	}
	if len(errs) > 0 {
		h.Pages.Render(w, r, http.StatusUnprocessableEntity, "sign_in", &web.Page{Title: "Sign in", Errors: errs,
			Data: signInData{Name: name, Next: next}})
		return
	}
	h.Lockout.Succeeded(name)
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: secret, Path: "/", HttpOnly: true, Secure: h.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(SessionLength.Seconds())})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// lockedOut answers a sign-in refused by the lock-out: 429 with Retry-After
// and the sign-in page saying plainly why and for how long.
func (h *Handler) lockedOut(w http.ResponseWriter, r *http.Request, name, next string, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(web.RetryAfter(wait)))
	minutes := int(math.Ceil(wait.Minutes()))
	msg := fmt.Sprintf("Sign-in is locked for %d minutes after too many wrong passwords. Try again later, or ask an admin to reset your password.", minutes)
	if minutes == 1 {
		msg = "Sign-in is locked for 1 more minute after too many wrong passwords. Try again later."
	}
	h.Pages.Render(w, r, http.StatusTooManyRequests, "sign_in", &web.Page{Title: "Sign in",
		Errors: []web.FieldError{{Field: "name", Message: msg}}, Data: signInData{Name: name, Next: next}})
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	if err := h.Store.EndSession(w, r, h.Secure); err != nil {
		h.Errors.Render(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

type homeLink struct{ Text, Href, Description string }

// home lists the staff pages the signed-in role may use.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	p := frontdoor.PrincipalFrom(r.Context())
	if p == nil || p.Kind != "user" {
		http.Redirect(w, r, "/sign-in?next=/staff", http.StatusSeeOther)
		return
	}
	links := []homeLink{}
	for _, l := range h.Nav {
		if p.Can(l.Roles...) && l.Href != "/staff" {
			links = append(links, homeLink{Text: l.Text, Href: l.Href, Description: ""})
		}
	}
	h.Pages.Render(w, r, http.StatusOK, "staff_home", &web.Page{Title: "Staff pages", Data: struct{ Links []homeLink }{links}})
}

// safeNext keeps redirects after sign-in on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/staff"
	}
	return next
}

type userInput struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Site     string `json:"site"`
	Password string `json:"password"`
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) {
	var in userInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	u, err := h.Store.CreateUser(r.Context(), in.Name, in.Role, in.Site, in.Password)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, u)
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) {
	users, err := h.Store.ListUsers(r.Context())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"users": users})
}

type tokenInput struct {
	Name string `json:"name"`
	Role string `json:"role"`
	Site string `json:"site"`
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) {
	var in tokenInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	secret, t, err := h.Store.CreateToken(r.Context(), in.Role, in.Name, in.Site)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, struct {
		Token
		Secret string `json:"token"`
	}{t, secret})
}

func (h *Handler) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := h.Store.ListTokens(r.Context())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"tokens": ts})
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		web.WriteError(w, r, frontdoor.Errorf(frontdoor.NotFound, "not_found", "There is no such token."))
		return
	}
	t, err := h.Store.RevokeToken(r.Context(), id)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, t)
}

// EndSession signs out the request's staff session, if any, and clears its cookie.
func (s *Store) EndSession(w http.ResponseWriter, r *http.Request, secure bool) error {
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		if err := s.SignOut(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	return nil
}
