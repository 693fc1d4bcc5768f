package audit

import (
	"context"
	"embed"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// Site is a customer centre as the audit view needs it.
type Site struct {
	ID, Name string
	Location *time.Location
}

// Handler serves GET /api/v1/audit and the /staff/audit page to managers.
type Handler struct {
	DB    *frontdoor.DB
	Clock frontdoor.Clock
	// Sites lists the customer centres (their zones turn dates into instants).
	Sites func(ctx context.Context) ([]Site, error)
	// Names maps actor labels (user:3, token:7) to staff and device names,
	// for the page; the API answers labels only.
	Names func(ctx context.Context) (map[string]string, error)

	pages  *web.Pages
	errors *web.ErrorPages
}

// NewHandler parses the audit page.
func NewHandler(db *frontdoor.DB, clock frontdoor.Clock, rd *web.Renderer) *Handler {
	return &Handler{DB: db, Clock: clock, pages: rd.MustParse(templateFS, "templates/audit.html"), errors: rd.NewErrorPages()}
}

// Routes adds the audit routes.
func (h *Handler) Routes(r chi.Router) {
	r.With(web.Require(frontdoor.RoleManager)).Get("/api/v1/audit", h.api)
	r.Get("/staff/audit", h.page)
}

const (
	defaultLimit = 100
	maxLimit     = 500
	defaultDays  = 7
)

// request is a checked audit query with what the answer shows of it.
type request struct {
	Query
	Page           int
	From, To, Site string // as given (dates YYYY-MM-DD, inclusive)
}

// parse reads site, from, to (dates in the site's zone, both inclusive;
// UTC days when every site is asked for), page and limit.
func (h *Handler) parse(ctx context.Context, v url.Values) (request, error) {
	p := frontdoor.PrincipalFrom(ctx)
	req := request{Site: strings.TrimSpace(v.Get("site")), From: v.Get("from"), To: v.Get("to"), Page: 1}
	if p.Site != "" {
		if req.Site != "" && req.Site != p.Site {
			return req, frontdoor.Errorf(frontdoor.Forbidden, "forbidden", "Your access is limited to another site.")
		}
		req.Site = p.Site // a one-site manager sees that site's rows only
	}
	loc := time.UTC
	if req.Site != "" {
		sites, err := h.Sites(ctx)
		if err != nil {
			return req, err
		}
		found := false
		for _, s := range sites {
			if s.ID == req.Site {
				loc, found = s.Location, true
			}
		}
		if !found {
			return req, frontdoor.Errorf(frontdoor.NotFound, "not_found", "There is no customer centre %q.", req.Site)
		}
	}
	fields := map[string]string{}
	today := h.Clock.Now().In(loc).Format(time.DateOnly)
	if req.To == "" {
		req.To = today
	}
	to, err := time.ParseInLocation(time.DateOnly, req.To, loc)
	if err != nil {
		fields["to"] = "Enter the last day as a date, like 2026-12-01"
	}
	if req.From == "" {
		req.From = to.AddDate(0, 0, 1-defaultDays).Format(time.DateOnly)
	}
	from, err := time.ParseInLocation(time.DateOnly, req.From, loc)
	if err != nil {
		fields["from"] = "Enter the first day as a date, like 2026-12-01"
	}
	if len(fields) == 0 && to.Before(from) {
		fields["to"] = "The last day must be on or after the first day"
	}
	req.Limit = defaultLimit
	if s := v.Get("limit"); s != "" {
		if n, err := strconv.Atoi(s); err != nil || n < 1 || n > maxLimit {
			fields["limit"] = "Give limit as a number from 1 to " + strconv.Itoa(maxLimit)
		} else {
			req.Limit = n
		}
	}
	if s := v.Get("page"); s != "" {
		if n, err := strconv.Atoi(s); err != nil || n < 1 || n > 100000 {
			fields["page"] = "Give page as a number from 1"
		} else {
			req.Page = n
		}
	}
	if len(fields) > 0 {
		return req, frontdoor.FieldErrors(fields)
	}
	req.Query.Site, req.Query.From, req.Query.To = req.Site, from, to.AddDate(0, 0, 1)
	req.Offset = (req.Page - 1) * req.Limit
	return req, nil
}

// list reads one page, and says whether there is another.
func (h *Handler) list(ctx context.Context, req request) ([]Row, bool, error) {
	q := req.Query
	q.Limit++
	rows, err := List(ctx, h.DB.Read, q)
	if err != nil {
		return nil, false, err
	}
	more := len(rows) > req.Limit
	if more {
		rows = rows[:req.Limit]
	}
	return rows, more, nil
}

func (h *Handler) api(w http.ResponseWriter, r *http.Request) {
	req, err := h.parse(r.Context(), r.URL.Query())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	rows, more, err := h.list(r.Context(), req)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	answer := map[string]any{"entries": rows, "page": req.Page, "limit": req.Limit}
	if more {
		answer["next_page"] = req.Page + 1
	}
	web.WriteJSON(w, http.StatusOK, answer)
}

type pageRow struct {
	Row
	When, Who string
}

type pageData struct {
	Sites          []Site
	Site, From, To string
	Rows           []pageRow
	Prev, Next     string
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	p := frontdoor.PrincipalFrom(r.Context())
	if p == nil || p.Kind != "user" {
		http.Redirect(w, r, "/sign-in?next=/staff/audit", http.StatusSeeOther)
		return
	}
	if !p.Can(frontdoor.RoleManager) {
		h.errors.Render(w, r, frontdoor.Errorf(frontdoor.Forbidden, "forbidden", "The audit trail is for managers."))
		return
	}
	sites, err := h.Sites(r.Context())
	if err != nil {
		h.errors.Render(w, r, err)
		return
	}
	var mine []Site
	for _, s := range sites {
		if p.CanSite(s.ID) {
			mine = append(mine, s)
		}
	}
	req, err := h.parse(r.Context(), r.URL.Query())
	d := pageData{Sites: mine, Site: req.Site, From: req.From, To: req.To}
	if e := frontdoor.AsError(err); err != nil && e.Fields != nil {
		var errs []web.FieldError
		for _, f := range []string{"from", "to", "limit", "page"} {
			if m, ok := e.Fields[f]; ok {
				errs = append(errs, web.FieldError{Field: f, Message: m})
			}
		}
		h.pages.Render(w, r, http.StatusBadRequest, "audit", &web.Page{Title: "Audit trail", Errors: errs, Data: d})
		return
	} else if err != nil {
		h.errors.Render(w, r, err)
		return
	}
	rows, more, err := h.list(r.Context(), req)
	if err != nil {
		h.errors.Render(w, r, err)
		return
	}
	names := map[string]string{}
	if h.Names != nil {
		if names, err = h.Names(r.Context()); err != nil {
			h.errors.Render(w, r, err)
			return
		}
	}
	zones := map[string]*time.Location{}
	for _, s := range sites {
		zones[s.ID] = s.Location
	}
	for _, row := range rows {
		loc := zones[row.Site]
		if loc == nil {
			loc = time.UTC
		}
		who := row.Actor
		if n, ok := names[row.Actor]; ok {
			who = n + " (" + row.Actor + ")"
		}
		d.Rows = append(d.Rows, pageRow{Row: row, When: row.At.In(loc).Format("2 Jan 2006 15:04:05 MST"), Who: who})
	}
	link := func(page int) string {
		v := url.Values{"site": {req.Site}, "from": {req.From}, "to": {req.To}, "page": {strconv.Itoa(page)}}
		return "/staff/audit?" + v.Encode()
	}
	if req.Page > 1 {
		d.Prev = link(req.Page - 1)
	}
	if more {
		d.Next = link(req.Page + 1)
	}
	h.pages.Render(w, r, http.StatusOK, "audit", &web.Page{Title: "Audit trail", Data: d})
}
