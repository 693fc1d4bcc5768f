package display

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/booking"
	"frontdoor/web"
)

const (
	// boardCalls is how many recent calls the board (and the lobby page) shows.
	boardCalls = 6
	// maxReplay is the most events a resuming stream replays; a screen that
	// missed more gets the board again (a console, a resync event).
	maxReplay = 200
	// staleAfter marks replayed calls older than this as stale: the screen
	// shows them but does not announce them.
	staleAfter = 2 * time.Minute
)

func (s *Server) handleLobbyStream(w http.ResponseWriter, r *http.Request) { s.stream(w, r, false) }
func (s *Server) handleStaffStream(w http.ResponseWriter, r *http.Request) { s.stream(w, r, true) }

// stream answers GET /api/v1/sites/{site}/events (staff false) and
// /staff-events (staff true).
//
// Order matters for "every event once, in order": the stream subscribes to
// the hub first, then reads the log. Whatever the log read covered (up to
// the boundary) is skipped when its hub copy arrives; everything after it
// comes from the hub.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, staff bool) {
	ctx := r.Context()
	siteID := chi.URLParam(r, "site")
	if staff {
		if _, err := frontdoor.Authorize(ctx, siteID, consoleRoles...); err != nil {
			web.WriteError(w, r, err)
			return
		}
	}
	site, err := s.Queue.Booking.Site(ctx, siteID)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if !staff {
		if err := allowScreen(ctx, site); err != nil {
			web.WriteError(w, r, err)
			return
		}
	}
	after, resume, err := lastEventID(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}

	sub := s.Hub.subscribe(site.ID, staff)
	defer s.Hub.unsubscribe(sub)
	if s.afterSubscribe != nil {
		s.afterSubscribe()
	}
	var first bytes.Buffer
	first.WriteString("retry: 3000\n\n")
	boundary, err := s.catchUp(ctx, &first, site, staff, after, resume)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	s.Hub.seen(site.ID, boundary)
	if fig, err := s.Hub.site(site.ID).figures(ctx, false); err == nil {
		first.Write(fig)
	} else if ctx.Err() == nil {
		slog.ErrorContext(ctx, "display figures", "site", site.ID, "err", err)
	}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not hold events back
	w.WriteHeader(http.StatusOK)
	// The server has no WriteTimeout (streams stay open); each write gets a
	// deadline of its own instead, so a screen that stops reading is let go.
	c := &sseConn{w: w, rc: http.NewResponseController(w), timeout: s.WriteTimeout, cursor: boundary, boundary: boundary}
	if err := c.send(first.Bytes()); err != nil {
		return
	}

	ping := time.NewTicker(s.PingEvery)
	defer ping.Stop()
	for {
		select {
		case f, ok := <-sub.c:
			if !ok {
				// Dropped for falling behind: end the response; the screen
				// reconnects with its last id and catches up from the log.
				return
			}
			c.deadline()
			c.add(f)
		drain: // whatever else is waiting goes out in the same flush
			for {
				select {
				case f, ok := <-sub.c:
					if !ok {
						c.flush()
						return
					}
					c.add(f)
				default:
					break drain
				}
			}
			if c.flush() != nil {
				return
			}
		case <-ping.C:
			if c.send(pingComment) != nil {
				return
			}
		case <-ctx.Done():
			return
		case <-s.Ctx.Done():
			return
		}
	}
}

var pingComment = []byte(": ping\n\n")

// sseConn writes frames to one stream.
type sseConn struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	timeout  time.Duration
	cursor   int64 // the resume point the screen holds
	boundary int64 // events up to here came from the log read
	err      error
}

func (c *sseConn) deadline() {
	c.rc.SetWriteDeadline(time.Now().Add(c.timeout))
}

// add writes f unless the log read already covered it. The id line is
// written only when it moves the screen's resume point forward.
func (c *sseConn) add(f *frame) {
	if c.err != nil || f.id != 0 && f.id <= c.boundary {
		return
	}
	if f.idLine != nil && f.cursor > c.cursor {
		if _, c.err = c.w.Write(f.idLine); c.err != nil {
			return
		}
		c.cursor = f.cursor
	}
	_, c.err = c.w.Write(f.body)
}

func (c *sseConn) flush() error {
	if c.err != nil {
		return c.err
	}
	c.err = c.rc.Flush()
	return c.err
}

func (c *sseConn) send(b []byte) error {
	c.deadline()
	if c.err == nil {
		_, c.err = c.w.Write(b)
	}
	return c.flush()
}

// lastEventID reads where a screen resumes: the Last-Event-ID header that
// EventSource sends when it reconnects, else ?last_event_id= for a first
// connection (EventSource cannot set headers).
func lastEventID(r *http.Request) (int64, bool, error) {
	v := strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	if v == "" {
		v = strings.TrimSpace(r.URL.Query().Get("last_event_id"))
	}
	if v == "" {
		return 0, false, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		return 0, false, &frontdoor.Error{Kind: frontdoor.Invalid, Code: "validation_failed",
			Message: "Last-Event-ID must be the id of an event this stream sent.", Fields: map[string]string{"last_event_id": "Give a whole number from an earlier event's id"}}
	}
	return id, true, nil
}

// catchUp writes what a screen needs before the live events: what it missed
// since after (when resume), or else the board. It returns the boundary: the
// newest log event the writes account for.
func (s *Server) catchUp(ctx context.Context, out *bytes.Buffer, site booking.Site, staff bool, after int64, resume bool) (int64, error) {
	last, err := s.Queue.LastEventID(ctx, site.ID)
	if err != nil {
		return 0, err
	}
	now := s.Queue.Clock.Now()
	l := now.In(site.Location())
	midnight := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, site.Location())
	// A resume point beyond the log (a restored or replaced database) is
	// not trusted: the screen starts again from the board.
	if resume && after <= last {
		evs, err := s.Queue.EventsSince(ctx, site.ID, after, staff, maxReplay+1)
		if err != nil {
			return 0, err
		}
		// A lobby screen off since yesterday gets today's board instead of
		// yesterday's calls.
		if len(evs) <= maxReplay && (staff || len(evs) == 0 || !evs[0].At.Before(midnight)) {
			boundary := after
			for _, e := range evs {
				data := map[string]any{}
				json.Unmarshal(e.Data, &data)
				data["replay"] = true
				if now.Sub(e.At) > staleAfter {
					data["stale"] = true
				}
				b, _ := json.Marshal(data)
				out.Write(idLine(e.ID))
				out.Write(encodeBody(e.Kind, b))
				boundary = e.ID
			}
			return boundary, nil
		}
	}
	boundary := last
	if staff {
		kind := "ready"
		if resume {
			kind = "resync" // too much missed: reload the lists
		}
		if boundary > 0 {
			out.Write(idLine(boundary))
		}
		b, _ := json.Marshal(map[string]any{"last_event_id": boundary})
		out.Write(encodeBody(kind, b))
		return boundary, nil
	}
	calls, err := s.Queue.RecentCalls(ctx, site.ID, boardCalls)
	if err != nil {
		return 0, err
	}
	board := make([]map[string]any, 0, len(calls))
	for _, c := range calls {
		data := map[string]any{}
		json.Unmarshal(c.Data, &data)
		data["id"], data["kind"] = c.ID, c.Kind
		board = append(board, data)
		// A call committed between the two reads is in the board: its
		// hub copy must be skipped too.
		boundary = max(boundary, c.ID)
	}
	b, _ := json.Marshal(map[string]any{"calls": board})
	if boundary > 0 {
		out.Write(idLine(boundary))
	}
	out.Write(encodeBody("board", b))
	return boundary, nil
}
