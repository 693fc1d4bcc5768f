package frontdoor

import (
	"encoding/json"
	"time"
)

// Event is a change that lobby screens and consoles follow: a row of a
// part's event log, published only after the transaction that wrote it
// committed. Data never holds a resident's name or phone.
type Event struct {
	ID   int64 // the event log's id: screens resume from it
	Site string
	Kind string // called, recalled, ...
	At   time.Time
	Data json.RawMessage // the JSON a screen receives
	// Staff is true for events only staff consoles may see.
	Staff bool
}

// Publisher fans events out to whoever listens (the display hub). Publish
// must never block: a slow listener is the listener's problem.
type Publisher interface {
	Publish(Event)
}
