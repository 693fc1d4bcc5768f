package display

import (
	"bufio"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// calledUntil reads events until the call of number, and returns the
// numbers of every call and recall read on the way, the board aside.
func calledUntil(t *testing.T, r *bufio.Reader, number string) (calls []string, ids []string) {
	t.Helper()
	for {
		e, err := readEvent(r)
		if err != nil {
			t.Fatalf("waiting for %s: %v (calls so far %v)", number, err, calls)
		}
		if e.event != "called" && e.event != "recalled" {
			continue
		}
		var d struct{ Number string }
		json.Unmarshal([]byte(e.data), &d)
		calls, ids = append(calls, d.Number), append(ids, e.id)
		if d.Number == number {
			return calls, ids
		}
	}
}

// A call committed after a stream subscribed but before it read the log
// reaches it twice, through the hub and through the log: it must be shown once.
func TestStreamEventsInTheSubscribeWindowArriveOnce(t *testing.T) {
	var armed atomic.Bool
	var hookErr atomic.Value
	e := newEnv(t, func(e *env) {
		e.srv.afterSubscribe = func() {
			if armed.Swap(false) {
				if _, err := e.q.CallNext(e.admin, "desk-1", ""); err != nil {
					hookErr.Store(err)
				}
			}
		}
	})
	e.walkIns(t, 6)

	// A new screen: the call is in the board, and not again after it.
	armed.Store(true)
	conn, r, err := dial(e.addr, "/api/v1/sites/city-hall/events")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	board, err := readEvent(r)
	if err != nil || board.event != "board" || !strings.Contains(board.data, `"number":"H001"`) {
		t.Fatalf("first event %+v %v, want the board with H001", board, err)
	}
	e.call(t) // H002
	calls, ids := calledUntil(t, r, "H002")
	if strings.Join(calls, ",") != "H002" {
		t.Errorf("after the board: calls %v, want only H002", calls)
	}
	conn.Close()

	// A resuming screen: the call in the window comes once, in the replay.
	armed.Store(true)
	conn, r, err = dial(e.addr, "/api/v1/sites/city-hall/events", "Last-Event-ID: "+ids[len(ids)-1])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	e.call(t) // H004
	if calls, _ := calledUntil(t, r, "H004"); strings.Join(calls, ",") != "H003,H004" {
		t.Errorf("resumed: calls %v, want H003 (missed) then H004", calls)
	}
	if err := hookErr.Load(); err != nil {
		t.Fatal(err)
	}
}

// A screen that resumes from an id the log has never reached (a restored
// database) starts again from the board.
func TestStreamResumeBeyondTheLogGetsTheBoard(t *testing.T) {
	e := newEnv(t)
	e.walkIns(t, 1)
	e.call(t)
	conn, r, err := dial(e.addr, "/api/v1/sites/city-hall/events?last_event_id=999999")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if ev, err := readEvent(r); err != nil || ev.event != "board" || !strings.Contains(ev.data, "H001") {
		t.Errorf("first event %+v %v, want the board", ev, err)
	}
}

// An idle stream sends a comment now and then, so that proxies keep it open.
func TestStreamPingsWhenIdle(t *testing.T) {
	e := newEnv(t, func(e *env) { e.srv.PingEvery = 20 * time.Millisecond })
	conn, r, err := dial(e.addr, "/api/v1/sites/city-hall/events")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("no ping: %v", err)
		}
		if line == ": ping\n" {
			return
		}
	}
}
