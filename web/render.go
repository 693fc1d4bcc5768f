package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"frontdoor"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Templates are web's own page templates (start, sign-in, errors) and the
// layout every part's pages share.
var Templates fs.FS = templateFS

// Static serves the embedded GOV.UK Frontend build under /assets/.
func Static() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/assets/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// FieldError is one form field's problem, shown in the error summary and beside the field.
type FieldError struct {
	Field   string // the input's id
	Message string
}

// NavItem is one link in the staff navigation.
type NavItem struct {
	Text   string
	Href   string
	Active bool
}

// NavLink is a staff navigation entry and the roles that see it.
type NavLink struct {
	Text  string
	Href  string
	Roles []string
}

// Page is what every template gets; Data is the page's own.
type Page struct {
	Lang        string
	Title       string
	ServiceName string
	ServiceURL  string
	User        *frontdoor.Principal
	Nav         []NavItem
	Errors      []FieldError
	Flash       string
	BackLink    string
	Nonce       string
	Data        any
}

// Renderer renders pages in the shared layout.
type Renderer struct {
	ServiceName string
	Nav         []NavLink
}

// Pages is a set of page templates, each parsed with the layout.
type Pages struct {
	rd  *Renderer
	set map[string]*template.Template
}

var funcs = template.FuncMap{
	"fieldError": func(errs []FieldError, field string) string {
		for _, e := range errs {
			if e.Field == field {
				return e.Message
			}
		}
		return ""
	},
	"hasErrors": func(errs []FieldError) bool { return len(errs) > 0 },
}

// Parse parses each page file in fsys ("templates/start.html") with the
// layout and partials. Parts pass their own embedded files.
func (rd *Renderer) Parse(fsys fs.FS, files ...string) (*Pages, error) {
	return rd.ParseShared(fsys, nil, files...)
}

// ParseShared is Parse with a part's own shared pieces (shared, in fsys)
// parsed into every page as well.
func (rd *Renderer) ParseShared(fsys fs.FS, shared []string, files ...string) (*Pages, error) {
	ps := &Pages{rd: rd, set: map[string]*template.Template{}}
	base, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	if len(shared) > 0 {
		if base, err = base.ParseFS(fsys, shared...); err != nil {
			return nil, fmt.Errorf("parse %v: %w", shared, err)
		}
	}
	for _, f := range files {
		t, err := template.Must(base.Clone()).ParseFS(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		ps.set[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return ps, nil
}

// MustParse is Parse for templates embedded at build time.
func (rd *Renderer) MustParse(fsys fs.FS, files ...string) *Pages {
	ps, err := rd.Parse(fsys, files...)
	if err != nil {
		panic(err)
	}
	return ps
}

// Render writes page name with status. The page is rendered in full before
// anything is sent, so a template fault is a clean 500, not half a page.
func (ps *Pages) Render(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) {
	t, ok := ps.set[name]
	if !ok {
		slog.ErrorContext(r.Context(), "no such page template", "page", name)
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	ps.rd.fill(r, p)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		slog.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (rd *Renderer) fill(r *http.Request, p *Page) {
	if p.Lang == "" {
		p.Lang = "en"
	}
	p.ServiceName = rd.ServiceName
	p.ServiceURL = "/"
	p.Nonce = Nonce(r.Context())
	pr := frontdoor.PrincipalFrom(r.Context())
	if pr != nil && pr.Kind == "user" {
		p.User = pr
	}
	if p.Nav == nil && pr != nil {
		active := -1 // the item whose Href is the longest that the path is at or under
		for _, l := range rd.Nav {
			if pr.Can(l.Roles...) {
				p.Nav = append(p.Nav, NavItem{Text: l.Text, Href: l.Href})
				if (r.URL.Path == l.Href || strings.HasPrefix(r.URL.Path, l.Href+"/")) &&
					(active < 0 || len(l.Href) > len(p.Nav[active].Href)) {
					active = len(p.Nav) - 1
				}
			}
		}
		if active >= 0 {
			p.Nav[active].Active = true
		}
	}
}

type nonceKey struct{}

// WithNonce stores the request's CSP nonce.
func WithNonce(ctx context.Context, nonce string) context.Context {
	return context.WithValue(ctx, nonceKey{}, nonce)
}

// Nonce is the request's CSP nonce, or "".
func Nonce(ctx context.Context) string {
	n, _ := ctx.Value(nonceKey{}).(string)
	return n
}

// ErrorPages renders web's error page for page routes (JSON routes use WriteError).
type ErrorPages struct{ pages *Pages }

// NewErrorPages parses the error page.
func (rd *Renderer) NewErrorPages() *ErrorPages {
	return &ErrorPages{pages: rd.MustParse(templateFS, "templates/error.html")}
}

// Render shows err as a page with the right status and a plain message.
func (ep *ErrorPages) Render(w http.ResponseWriter, r *http.Request, err error) {
	e := frontdoor.AsError(err)
	status := frontdoor.Status(e)
	heading := map[int]string{
		http.StatusBadRequest:          "There is a problem",
		http.StatusUnauthorized:        "You need to sign in",
		http.StatusForbidden:           "You cannot see this page",
		http.StatusNotFound:            "Page not found",
		http.StatusConflict:            "This has changed",
		http.StatusUnprocessableEntity: "There is a problem",
		http.StatusTooManyRequests:     "Too many requests",
	}[status]
	if status >= 500 {
		slog.ErrorContext(r.Context(), "page failed", "route", RoutePattern(r), "err", err)
		heading = "Sorry, there is a problem with the service"
	}
	ep.pages.Render(w, r, status, "error", &Page{Title: heading, Data: struct {
		Status           int
		Heading, Message string
	}{status, heading, e.Message}})
}
