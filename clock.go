package frontdoor

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Clock is where every part reads the time. Production uses SystemClock;
// `serve --fake-clock` and tests use a FakeClock that an admin moves forward.
type Clock interface {
	Now() time.Time
}

// SystemClock is the machine's clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }

// FakeClock runs at real speed from a time that can be set, only forwards.
// It keeps its offset from the real clock in the settings table, so a
// restarted server carries on from the time it had been moved to.
type FakeClock struct {
	mu     sync.Mutex
	offset time.Duration
	real   func() time.Time
	db     *DB // nil in unit tests that need no persistence
}

const fakeClockKey = "fake_clock_offset_ns"

// NewFakeClock loads the fake clock's offset from db (which may be nil).
func NewFakeClock(ctx context.Context, db *DB) (*FakeClock, error) {
	c := &FakeClock{real: time.Now, db: db}
	if db == nil {
		return c, nil
	}
	var v string
	err := db.Read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, fakeClockKey).Scan(&v)
	switch {
	case err == sql.ErrNoRows:
	case err != nil:
		return nil, fmt.Errorf("load fake clock: %w", err)
	default:
		ns, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("load fake clock: bad offset %q", v)
		}
		c.offset = time.Duration(ns)
	}
	return c, nil
}

// NewFakeClockAt is a fake clock that reads t now and is not saved
// anywhere: for tests that need a day of their choosing, past or future.
func NewFakeClockAt(t time.Time) *FakeClock {
	return &FakeClock{real: time.Now, offset: time.Until(t)}
}

// NewStoppedClock is a fake clock that stands still at t until Set moves it:
// for tests that judge times to the second.
func NewStoppedClock(t time.Time) *FakeClock {
	return &FakeClock{real: func() time.Time { return t }}
}

func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.real().Add(c.offset)
}

// Set moves the clock to t. Moving it backwards is a Conflict: times already
// recorded (arrivals, calls) would otherwise come before their causes.
func (c *FakeClock) Set(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.real()
	if t.Before(now.Add(c.offset)) {
		return Errorf(Conflict, "clock_backwards", "The clock can only move forwards: it is already %s.", now.Add(c.offset).UTC().Format(time.RFC3339))
	}
	offset := t.Sub(now)
	if c.db != nil {
		err := c.db.WithTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, ?)
				ON CONFLICT(key) DO UPDATE SET value = excluded.value`, fakeClockKey, strconv.FormatInt(int64(offset), 10))
			return err
		})
		if err != nil {
			return fmt.Errorf("save fake clock: %w", err)
		}
	}
	c.offset = offset
	return nil
}

// Millis is how times are stored: Unix milliseconds, UTC.
func Millis(t time.Time) int64 { return t.UnixMilli() }

// FromMillis is the inverse of Millis.
func FromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
