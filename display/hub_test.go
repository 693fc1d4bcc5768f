package display

import (
	"encoding/json"
	"strings"
	"testing"

	"frontdoor"
)

func event(id int64, kind string, staff bool) frontdoor.Event {
	return frontdoor.Event{ID: id, Site: "city-hall", Kind: kind, Staff: staff,
		Data: json.RawMessage(`{"number":"H001","desk":"Desk 1"}`)}
}

// drain takes what is waiting on s without blocking.
func drain(s *subscriber) (frames []*frame, closed bool) {
	for {
		select {
		case f, ok := <-s.c:
			if !ok {
				return frames, true
			}
			frames = append(frames, f)
		default:
			return frames, false
		}
	}
}

func TestEventHubLobbyNeverGetsStaffEvents(t *testing.T) {
	h := NewHub(t.Context(), nil)
	lobby := h.subscribe("city-hall", false)
	console := h.subscribe("city-hall", true)
	other := h.subscribe("annexe", true)
	// Staff-only by flag, and by kind even when the flag is missing.
	h.Publish(event(1, "arrived", true))
	h.Publish(event(2, "called", false))
	h.Publish(event(3, "emergency", false))
	h.Publish(event(4, "recalled", false))
	h.Publish(event(5, "called", true))
	h.Publish(event(0, "emergency", true))

	got, _ := drain(lobby)
	var kinds []string
	for _, f := range got {
		kinds = append(kinds, strings.SplitN(strings.TrimPrefix(string(f.body), "event: "), "\n", 2)[0])
	}
	if strings.Join(kinds, ",") != "called,recalled" {
		t.Errorf("the lobby got %v, want called,recalled", kinds)
	}
	if all, _ := drain(console); len(all) != 6 {
		t.Errorf("the console got %d events, want all 6", len(all))
	}
	if o, _ := drain(other); len(o) != 0 {
		t.Errorf("another site's subscriber got %d events", len(o))
	}
}

func TestEventHubDropsASubscriberThatFallsBehind(t *testing.T) {
	h := NewHub(t.Context(), nil)
	h.Buffer = 4
	stuck := h.subscribe("city-hall", false)
	reader := h.subscribe("city-hall", false)
	for i := range int64(10) {
		h.Publish(event(i+1, "called", false)) // never blocks, however full
		if got, closed := drain(reader); len(got) != 1 || closed {
			t.Fatalf("event %d: the reader got %d frames (closed %v)", i+1, len(got), closed)
		}
	}
	got, closed := drain(stuck)
	if !closed || len(got) != 4 {
		t.Errorf("the stuck subscriber: %d frames, closed %v; want its 4 buffered and its channel closed", len(got), closed)
	}
	if h.Dropped() != 1 || h.Subscribers("city-hall") != 1 {
		t.Errorf("dropped %d, subscribers %d; want 1 and 1", h.Dropped(), h.Subscribers("city-hall"))
	}
	h.unsubscribe(stuck) // after a drop: no double close, no harm
	h.unsubscribe(reader)
	if h.Subscribers("city-hall") != 0 {
		t.Errorf("%d subscribers left", h.Subscribers("city-hall"))
	}
}

func TestEventHubResumePointNeverGoesBack(t *testing.T) {
	h := NewHub(t.Context(), nil)
	s := h.subscribe("city-hall", true)
	// Two desks' events can reach the hub out of commit order.
	h.Publish(event(11, "called", false))
	h.Publish(event(10, "called", false))
	got, _ := drain(s)
	if len(got) != 2 || got[0].cursor != 11 || got[1].cursor != 11 || got[1].id != 10 {
		t.Fatalf("frames %+v", got)
	}
	if string(got[1].idLine) != "id: 11\n" {
		t.Errorf("id line %q", got[1].idLine)
	}
}

func TestEventFrameIsOneLineOfData(t *testing.T) {
	b := string(encodeBody("called", []byte("{\n  \"number\": \"H001\",\n  \"desk\": \"Desk 1\"\n}")))
	if b != "event: called\ndata: {\"number\":\"H001\",\"desk\":\"Desk 1\"}\n\n" {
		t.Errorf("frame %q", b)
	}
	if b := string(encodeBody("called", []byte("not json\n\nid: 99"))); b != "event: called\ndata: {}\n\n" {
		t.Errorf("bad data framed as %q", b)
	}
}
