package display

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/queue"
	"frontdoor/web"
)

//go:embed templates/lobby.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

var lobbyTemplate = template.Must(template.New("lobby.html").Funcs(template.FuncMap{
	"asset": assetURL,
}).ParseFS(templateFS, "templates/lobby.html"))

// assetVersions holds a short hash of each static file, so a new build's
// assets are fetched at once although they are cached.
var assetVersions = func() map[string]string {
	v := map[string]string{}
	fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := staticFS.ReadFile(p)
			sum := sha256.Sum256(b)
			v[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:6])
		}
		return nil
	})
	return v
}()

func assetURL(name string) string {
	return "/display-assets/" + name + "?v=" + assetVersions[name]
}

// assets serves the lobby screen's script and style under /display-assets/.
func assets() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/display-assets/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// langTag is a plain BCP 47 language tag, as ?lang= may give (en-GB, cy-GB).
var langTag = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$`)

// lobbyCall is one call as the lobby page shows it.
type lobbyCall struct {
	ID      int64
	Kind    string
	Ticket  string
	Number  string
	Desk    string
	At      string // RFC 3339
	Time    string // HH:MM in the site's zone
	Current bool
}

// lobbyPage is what the lobby template gets. It holds no personal data:
// ticket numbers, desk names, service names and counts.
type lobbyPage struct {
	Site        string
	SiteName    string
	Zone        string
	Clock       string
	Date        string
	Now         int64 // the service's clock in unix ms: the screen's clock follows it, not the TV's own
	Nonce       string
	Current     *lobbyCall
	Previous    []lobbyCall
	Figures     []queue.ServiceFigure
	Stream      string
	LastEventID int64
	Voice       string
	Rate        string
	Lang        string
	Mute        bool
}

// handleLobby renders /sites/{site}/display: the screen on the wall. The
// page is complete without JavaScript (it refreshes itself every ten
// seconds); with it, the stream takes over from the point the page was
// rendered at, so nothing between the two is lost.
func (s *Server) handleLobby(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	site, err := s.Queue.Booking.Site(ctx, chi.URLParam(r, "site"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if err := allowScreen(ctx, site); err != nil {
		s.pageError(w, r, err)
		return
	}
	// The same order as a stream: the log's newest id first, then the
	// calls; the script resumes from the larger.
	last, err := s.Queue.LastEventID(ctx, site.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	calls, err := s.Queue.RecentCalls(ctx, site.ID, boardCalls)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	figures, err := s.Queue.Figures(ctx, site.ID)
	if err != nil {
		slog.ErrorContext(ctx, "lobby figures", "site", site.ID, "err", err)
		figures = nil
	}
	loc := site.Location()
	now := s.Queue.Clock.Now().In(loc)
	q := r.URL.Query()
	p := lobbyPage{Site: site.ID, SiteName: site.Name, Zone: site.Timezone, Clock: now.Format("15:04"),
		Date: now.Format("Monday 2 January"), Now: now.UnixMilli(), Nonce: web.Nonce(ctx), Figures: figures, LastEventID: last,
		Voice: q.Get("voice"), Rate: q.Get("rate"), Lang: q.Get("lang"), Mute: q.Get("mute") == "1"}
	if !langTag.MatchString(p.Lang) {
		p.Lang = "en-GB"
	}
	if rate, err := strconv.ParseFloat(p.Rate, 64); err != nil || rate < 0.5 || rate > 2 {
		p.Rate = "0.9"
	}
	stream := url.Values{}
	if t := q.Get("token"); t != "" && frontdoor.PrincipalFrom(ctx) != nil {
		stream.Set("token", t) // the screen's device token: the stream needs it too
	}
	p.Stream = "/api/v1/sites/" + url.PathEscape(site.ID) + "/events"
	if len(stream) > 0 {
		p.Stream += "?" + stream.Encode()
	}
	seen := map[string]bool{} // a recall repeats a call: show each ticket once, where it was last called
	for _, c := range calls {
		var d struct {
			Ticket string `json:"ticket"`
			Number string `json:"number"`
			Desk   string `json:"desk"`
			At     string `json:"at"`
		}
		json.Unmarshal(c.Data, &d)
		p.LastEventID = max(p.LastEventID, c.ID)
		if seen[d.Ticket] {
			continue
		}
		seen[d.Ticket] = true
		if d.At == "" {
			d.At = c.At.UTC().Format(time.RFC3339)
		}
		lc := lobbyCall{ID: c.ID, Kind: c.Kind, Ticket: d.Ticket, Number: d.Number, Desk: d.Desk,
			At: d.At, Time: c.At.In(loc).Format("15:04"), Current: p.Current == nil}
		if lc.Current {
			p.Current = &lc
		} else {
			p.Previous = append(p.Previous, lc)
		}
	}
	var buf bytes.Buffer
	if err := lobbyTemplate.Execute(&buf, p); err != nil {
		slog.ErrorContext(ctx, "render lobby", "site", site.ID, "err", err)
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // the URL may carry the screen's token
	if h.Get("Content-Security-Policy") == "" {
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	}
	w.Write(buf.Bytes())
}
