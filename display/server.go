package display

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/booking"
	"frontdoor/queue"
	"frontdoor/web"
)

// Server answers the event streams and the lobby screen.
type Server struct {
	Hub   *Hub
	Queue *queue.Queue
	// Ctx ends every stream when it is done: the service is stopping, and
	// a graceful shutdown must not wait for screens that never hang up.
	Ctx    context.Context
	Errors *web.ErrorPages // error pages for the lobby page; nil answers in plain text

	// PingEvery is how often an idle stream sends a comment, so that
	// proxies keep it open; WriteTimeout drops a screen that stops reading.
	PingEvery, WriteTimeout time.Duration

	// afterSubscribe, when set, runs between a stream's subscribing and its
	// reading the log: tests commit events there, in the window where they
	// reach the stream both ways.
	afterSubscribe func()
}

// NewServer returns a Server with the usual settings.
func NewServer(ctx context.Context, hub *Hub, q *queue.Queue, errs *web.ErrorPages) *Server {
	return &Server{Hub: hub, Queue: q, Ctx: ctx, Errors: errs, PingEvery: 20 * time.Second, WriteTimeout: 10 * time.Second}
}

// Routes adds the streams, the lobby page and its assets.
func (s *Server) Routes(r chi.Router) {
	r.Get("/api/v1/sites/{site}/events", s.handleLobbyStream)
	r.Get("/api/v1/sites/{site}/staff-events", s.handleStaffStream)
	r.Get("/sites/{site}/display", s.handleLobby)
	r.Handle("/display-assets/*", assets())
}

// consoleRoles may follow the staff stream (admins may too).
var consoleRoles = []string{frontdoor.RoleReception, frontdoor.RoleOfficer, frontdoor.RoleManager}

// screenRoles may open a site's lobby screen when the site requires a token:
// a device token of the site, or any staff of the site.
var screenRoles = []string{frontdoor.RoleDevice, frontdoor.RoleReception, frontdoor.RoleOfficer, frontdoor.RoleManager}

// allowScreen checks the device token where the site requires one.
func allowScreen(ctx context.Context, site booking.Site) error {
	if !site.DisplayTokenRequired {
		return nil
	}
	_, err := frontdoor.Authorize(ctx, site.ID, screenRoles...)
	return err
}

func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	if s.Errors != nil {
		s.Errors.Render(w, r, err)
		return
	}
	e := frontdoor.AsError(err)
	http.Error(w, e.Message, frontdoor.Status(e))
}
