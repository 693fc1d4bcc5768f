// Package display owns the live side of the customer centre: the per-site
// event stream (server-sent events) that lobby screens and staff consoles
// follow, and the lobby screen page itself.
//
// It listens to what queue publishes after each commit (the Hub is queue's
// frontdoor.Publisher) and reads the event log through queue's read
// functions when a screen resumes; it never changes queue's state.
//
// Two streams, two routes. Lobby screens read GET /api/v1/sites/{site}/events:
// public unless the site requires a device token, and carrying only calls,
// recalls and queue figures. Staff consoles read
// GET /api/v1/sites/{site}/staff-events, which needs a staff session or token
// for the site and carries every kind (arrivals, finishes, transfers,
// no-shows, offers, delays, emergency alerts). A second route rather than
// one route filtered by role, because the lobby screen is a browser in a
// public place: if a receptionist once signed in on it, a role-filtered
// route would start showing staff events on the wall. The lobby route
// never looks at who is asking beyond the token check, and the hub itself
// refuses to hand a lobby subscriber anything but public kinds.
package display

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"frontdoor"
	"frontdoor/queue"
)

// frame is one server-sent event, encoded once and shared by every
// subscriber it goes to.
type frame struct {
	id     int64  // the log event's id; 0 for figures and live-only events
	cursor int64  // the resume point its id line sets (never lower than an earlier frame's)
	staff  bool   // for staff consoles only
	idLine []byte // "id: N\n", or nil
	body   []byte // "event: kind\ndata: {...}\n\n"
}

// Hub fans a site's events out to the screens and consoles connected to it.
// Publish never blocks: each subscriber has a small buffer, and one whose
// buffer is full is dropped (its channel closed); its screen reconnects and
// catches up from the event log, which is the truth. Like ntfy's, the hub
// trades an unbounded queue for a resync.
type Hub struct {
	ctx   context.Context
	queue *queue.Queue // for figures; nil leaves them out

	// Buffer is how many frames a subscriber may fall behind before it is dropped.
	Buffer int
	// FiguresEvery is the least time between two figures broadcasts of a site;
	// FiguresRefresh recomputes them without a change, since waits move with time.
	FiguresEvery, FiguresRefresh time.Duration

	mu    sync.Mutex
	sites map[string]*siteHub

	dropped   atomic.Int64
	published atomic.Int64
}

// NewHub returns a hub whose figures workers stop when ctx is done. q
// computes the figures; it may be nil.
func NewHub(ctx context.Context, q *queue.Queue) *Hub {
	return &Hub{ctx: ctx, queue: q, Buffer: 32, FiguresEvery: 2 * time.Second, FiguresRefresh: time.Minute,
		sites: map[string]*siteHub{}}
}

type siteHub struct {
	hub *Hub
	id  string

	mu      sync.Mutex
	subs    []*subscriber
	maxID   int64  // the newest log event id seen at this site
	changes uint64 // events published; the figures are current when computed at this count
	dirty   chan struct{}

	figMu      sync.Mutex // one figures computation at a time
	figBody    []byte
	figChanges uint64
	figOK      bool
}

type subscriber struct {
	site  *siteHub
	staff bool
	c     chan *frame
	idx   int // position in site.subs; -1 once removed (guarded by site.mu)
}

// site returns the hub of a site, creating it (and its figures worker).
func (h *Hub) site(id string) *siteHub {
	h.mu.Lock()
	defer h.mu.Unlock()
	sh := h.sites[id]
	if sh == nil {
		sh = &siteHub{hub: h, id: id, dirty: make(chan struct{}, 1)}
		h.sites[id] = sh
		if h.queue != nil {
			go sh.figuresLoop()
		}
	}
	return sh
}

// Publish implements frontdoor.Publisher. The frame is encoded once; each
// subscriber costs one non-blocking channel send.
func (h *Hub) Publish(e frontdoor.Event) {
	// Belt and braces: a kind the lobby may see is named in queue.PublicKinds;
	// anything else is staff-only whatever the event says.
	staff := e.Staff || !queue.PublicKinds[e.Kind]
	f := &frame{id: e.ID, staff: staff, body: encodeBody(e.Kind, e.Data)}
	sh := h.site(e.Site)
	sh.mu.Lock()
	if e.ID != 0 {
		sh.maxID = max(sh.maxID, e.ID)
		// Events are published after commit, so two desks' events can reach
		// the hub out of order; the id line never moves a screen's resume
		// point backwards.
		f.cursor, f.idLine = sh.maxID, idLine(sh.maxID)
	}
	sh.changes++
	sh.broadcastLocked(f)
	sh.mu.Unlock()
	h.published.Add(1)
	select {
	case sh.dirty <- struct{}{}:
	default:
	}
}

// broadcastLocked offers f to every subscriber that may see it, dropping
// those whose buffer is full.
func (sh *siteHub) broadcastLocked(f *frame) {
	for i := 0; i < len(sh.subs); {
		s := sh.subs[i]
		if f.staff && !s.staff {
			i++
			continue
		}
		select {
		case s.c <- f:
			i++
		default:
			sh.removeLocked(s) // moves the last subscriber into i
			close(s.c)
			sh.hub.dropped.Add(1)
		}
	}
}

func (sh *siteHub) removeLocked(s *subscriber) {
	last := len(sh.subs) - 1
	sh.subs[s.idx] = sh.subs[last]
	sh.subs[s.idx].idx = s.idx
	sh.subs[last] = nil
	sh.subs = sh.subs[:last]
	s.idx = -1
}

// subscribe adds a subscriber to a site. Lobby subscribers (staff false)
// only ever receive public frames.
func (h *Hub) subscribe(site string, staff bool) *subscriber {
	sh := h.site(site)
	s := &subscriber{site: sh, staff: staff, c: make(chan *frame, h.Buffer)}
	sh.mu.Lock()
	s.idx = len(sh.subs)
	sh.subs = append(sh.subs, s)
	sh.mu.Unlock()
	return s
}

// unsubscribe removes s unless the hub has already dropped it.
func (h *Hub) unsubscribe(s *subscriber) {
	s.site.mu.Lock()
	if s.idx >= 0 {
		s.site.removeLocked(s)
	}
	s.site.mu.Unlock()
}

// seen tells the site's hub that a screen has resumed at id, so that later
// figures never carry an older resume point than the screen already has.
func (h *Hub) seen(site string, id int64) {
	sh := h.site(site)
	sh.mu.Lock()
	sh.maxID = max(sh.maxID, id)
	sh.mu.Unlock()
}

// Subscribers is how many streams follow a site now.
func (h *Hub) Subscribers(site string) int {
	sh := h.site(site)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return len(sh.subs)
}

// Dropped is how many subscribers the hub has dropped for falling behind.
func (h *Hub) Dropped() int64 { return h.dropped.Load() }

// Collectors are the hub's metrics, for /metrics.
func (h *Hub) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "frontdoor_display_streams",
			Help: "Event streams open: lobby screens and staff consoles."}, func() float64 {
			h.mu.Lock()
			sites := make([]*siteHub, 0, len(h.sites))
			for _, sh := range h.sites {
				sites = append(sites, sh)
			}
			h.mu.Unlock()
			n := 0
			for _, sh := range sites {
				sh.mu.Lock()
				n += len(sh.subs)
				sh.mu.Unlock()
			}
			return float64(n)
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "frontdoor_display_events_published_total",
			Help: "Events the queue published to the display hub."}, func() float64 { return float64(h.published.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "frontdoor_display_streams_dropped_total",
			Help: "Streams dropped for falling behind; each catches up from the event log when it reconnects."},
			func() float64 { return float64(h.dropped.Load()) }),
	}
}

// figures returns the body of a site's figures frame, computed at most once
// per change however many screens ask (reconnecting screens after a restart
// all ask at once).
func (sh *siteHub) figures(ctx context.Context, force bool) ([]byte, error) {
	sh.figMu.Lock()
	defer sh.figMu.Unlock()
	sh.mu.Lock()
	changes := sh.changes
	sh.mu.Unlock()
	if sh.figOK && sh.figChanges == changes && !force {
		return sh.figBody, nil
	}
	figs, err := sh.hub.queue.Figures(ctx, sh.id)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(map[string]any{"services": figs, "at": sh.hub.queue.Clock.Now().UTC().Format(time.RFC3339)})
	if err != nil {
		return nil, err
	}
	sh.figBody, sh.figChanges, sh.figOK = encodeBody("figures", data), changes, true
	return sh.figBody, nil
}

// figuresLoop recomputes a site's figures after changes, at most once every
// FiguresEvery, and sends them to every subscriber: one computation per
// site, never one per screen.
func (sh *siteHub) figuresLoop() {
	h := sh.hub
	refresh := time.NewTicker(h.FiguresRefresh)
	defer refresh.Stop()
	for {
		force := false
		select {
		case <-h.ctx.Done():
			return
		case <-sh.dirty:
		case <-refresh.C:
			force = true
		}
		sh.mu.Lock()
		n := len(sh.subs)
		sh.mu.Unlock()
		if n == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
		body, err := sh.figures(ctx, force)
		cancel()
		if err != nil {
			if h.ctx.Err() == nil {
				slog.Error("display figures", "site", sh.id, "err", err)
			}
		} else {
			sh.mu.Lock()
			f := &frame{body: body}
			if sh.maxID > 0 {
				f.cursor, f.idLine = sh.maxID, idLine(sh.maxID)
			}
			sh.broadcastLocked(f)
			sh.mu.Unlock()
		}
		select {
		case <-h.ctx.Done():
			return
		case <-time.After(h.FiguresEvery):
		}
	}
}

func idLine(id int64) []byte {
	b := strconv.AppendInt(append(make([]byte, 0, 24), "id: "...), id, 10)
	return append(b, '\n')
}

// encodeBody writes "event: kind" and the data as one line of compact JSON.
func encodeBody(kind string, data []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(kind) + len(data) + 20)
	b.WriteString("event: ")
	b.WriteString(kind)
	b.WriteString("\ndata: ")
	if err := json.Compact(&b, data); err != nil || len(data) == 0 {
		b.Truncate(len("event: ") + len(kind) + len("\ndata: "))
		b.WriteString("{}")
	}
	b.WriteString("\n\n")
	return b.Bytes()
}
