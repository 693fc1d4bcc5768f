package booking

import (
	"sync"
	"time"
)

var zones sync.Map // name -> *time.Location

// loadLocation loads an IANA zone once; nil if the name is unknown.
func loadLocation(name string) *time.Location {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location)
	}
	if name == "" || name == "Local" {
		return nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	zones.Store(name, l)
	return l
}
