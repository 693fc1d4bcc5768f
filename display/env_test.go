package display

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"frontdoor"
	"frontdoor/booking"
	"frontdoor/queue"
)

// env is the display on its own: a real SQLite file, the real queue, the
// hub and the stream routes on 127.0.0.1, and City Hall with one desk.
type env struct {
	q     *queue.Queue
	hub   *Hub
	srv   *Server
	addr  string
	admin context.Context // a context signed in as an admin
}

// newEnv starts the env; set, if given, changes the server's settings
// before it serves.
func newEnv(tb testing.TB, set ...func(*env)) *env {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := frontdoor.Open(ctx, filepath.Join(tb.TempDir(), "frontdoor.db"))
	if err != nil {
		tb.Fatal(err)
	}
	clock := frontdoor.SystemClock{}
	bk := booking.NewStore(db, clock, make([]byte, 32), "http://127.0.0.1")
	q := queue.New(db, clock, bk, nil)
	e := &env{q: q, hub: NewHub(ctx, q)}
	q.Publisher = e.hub
	e.srv = NewServer(ctx, e.hub, q, nil)
	e.admin = frontdoor.WithPrincipal(ctx, &frontdoor.Principal{Kind: "token", ID: 1, Name: "test admin", Role: frontdoor.RoleAdmin})
	for _, f := range set {
		f(e)
	}
	r := chi.NewRouter()
	e.srv.Routes(r)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	hs := &http.Server{Handler: r, BaseContext: func(net.Listener) context.Context { return ctx }}
	go hs.Serve(ln)
	e.addr = ln.Addr().String()
	tb.Cleanup(func() {
		cancel() // ends the streams first, so Close need not wait for them
		hs.Close()
		db.Close()
	})
	if _, err := bk.CreateSite(e.admin, booking.SiteInput{ID: "city-hall", Name: "City Hall", Address: "1 High Street", Timezone: "Europe/London"}); err != nil {
		tb.Fatal(err)
	}
	if _, err := bk.CreateService(e.admin, "city-hall", booking.ServiceInput{Code: "HOU", Name: "Housing options", DurationMinutes: 20, TicketPrefix: "H"}); err != nil {
		tb.Fatal(err)
	}
	if _, err := bk.CreateDesk(e.admin, "city-hall", booking.DeskInput{ID: "desk-1", Name: "Desk 1", Services: []string{"HOU"}}); err != nil {
		tb.Fatal(err)
	}
	return e
}

// walkIns adds n walk-in tickets for housing.
func (e *env) walkIns(tb testing.TB, n int) {
	tb.Helper()
	for range n {
		if _, err := e.q.TakeTicket(e.admin, "city-hall", queue.WalkInInput{Service: "HOU"}); err != nil {
			tb.Fatal(err)
		}
	}
}

// call calls the next visitor to desk-1 and returns the ticket number.
func (e *env) call(tb testing.TB) string {
	tb.Helper()
	t, err := e.q.CallNext(e.admin, "desk-1", "")
	if err != nil || t == nil {
		tb.Fatalf("call next: %v %v", t, err)
	}
	return t.Number
}

// dial opens a lobby stream over a bare TCP connection, with extra request
// header lines, and returns the connection and its event-stream body.
func dial(addr, path string, header ...string) (net.Conn, *bufio.Reader, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	extra := ""
	for _, h := range header {
		extra += h + "\r\n"
	}
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n%s\r\n", path, addr, extra)
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 1024), nil)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		return nil, nil, fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	return conn, bufio.NewReaderSize(resp.Body, 1024), nil
}

// sse is one event as read off the wire.
type sse struct{ id, event, data string }

// readEvent reads the next event (comments and retry lines are skipped).
func readEvent(r *bufio.Reader) (sse, error) {
	var e sse
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return e, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if e.event != "" || e.data != "" {
				return e, nil
			}
			continue
		}
		field, value, _ := strings.Cut(line, ": ")
		switch field {
		case "id":
			e.id = value
		case "event":
			e.event = value
		case "data":
			e.data = value
		}
	}
}
