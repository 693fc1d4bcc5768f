package booking

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"frontdoor"
)

// placesCache keeps the places taken in each slot for the ranges that slot
// lists ask for: residents read slot lists many times for each booking
// they make, and counting the places was a third of a slot list's work.
// Every write in this package that takes, frees or moves a place calls
// placesChanged once its transaction has ended, which empties the cache.
// A list read while a write commits is stored under the generation it
// started with, so it is dropped rather than kept stale (see put).
type placesCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[placesKey]map[int64]int
}

type placesKey struct {
	site, code  string
	first, last int64 // unix ms of the first and last slot start asked about
}

// placesCacheMax bounds the ranges kept: a day or a week per service per
// site is what the pages ask for, so this is far more than a centre needs.
const placesCacheMax = 4096

func (c *placesCache) get(k placesKey) (map[int64]int, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k], c.gen
}

// put keeps counts unless a place has changed since gen was read.
func (c *placesCache) put(k placesKey, counts map[int64]int, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.m == nil || len(c.m) >= placesCacheMax {
		c.m = map[placesKey]map[int64]int{}
	}
	c.m[k] = counts
}

func (c *placesCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m = nil
}

// placesChanged is called after every write that takes, frees or moves a
// place, whether it committed or not.
func (s *Store) placesChanged() { s.places.invalidate() }

// bookedCounts is the number of places taken at each start in [first, last].
// The map is shared: callers only read it.
func (s *Store) bookedCounts(ctx context.Context, site, code string, first, last time.Time) (map[int64]int, error) {
	k := placesKey{site, code, frontdoor.Millis(first), frontdoor.Millis(last)}
	counts, gen := s.places.get(k)
	if counts != nil {
		return counts, nil
	}
	counts = map[int64]int{}
	err := eachRow(ctx, s.DB.Read, `SELECT start_at, COUNT(*) FROM bookings
		WHERE site_id = ? AND service_code = ? AND start_at BETWEEN ? AND ? AND status <> 'cancelled' GROUP BY start_at`,
		[]any{site, code, k.first, k.last}, func(rows *sql.Rows) error {
			var at int64
			var n int
			if err := rows.Scan(&at, &n); err != nil {
				return err
			}
			counts[at] = n
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("count bookings: %w", err)
	}
	s.places.put(k, counts, gen)
	return counts, nil
}
