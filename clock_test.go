package frontdoor

import (
	"context"
	"sync"
	"testing"
	"time"
)

// realClock is a hand-wound stand-in for the machine's clock, so the fake
// clock's arithmetic can be checked exactly.
type realClock struct {
	mu  sync.Mutex
	now time.Time
}

func (r *realClock) Now() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now
}

func (r *realClock) advance(d time.Duration) {
	r.mu.Lock()
	r.now = r.now.Add(d)
	r.mu.Unlock()
}

var realStart = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

func TestFakeClockMovesOnlyForwards(t *testing.T) {
	ctx := context.Background()
	wall := &realClock{now: realStart}
	c := &FakeClock{real: wall.Now}
	if got := c.Now(); !got.Equal(realStart) {
		t.Fatalf("a new fake clock reads %v, want the real time %v", got, realStart)
	}

	monday := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	if err := c.Set(ctx, monday); err != nil {
		t.Fatal(err)
	}
	if got := c.Now(); !got.Equal(monday) {
		t.Errorf("after Set: %v, want %v", got, monday)
	}
	wall.advance(90 * time.Second)
	if got, want := c.Now(), monday.Add(90*time.Second); !got.Equal(want) {
		t.Errorf("the clock does not run on from the time set: %v, want %v", got, want)
	}

	// Setting the time it already reads is not going backwards.
	if err := c.Set(ctx, c.Now()); err != nil {
		t.Errorf("Set to the current time: %v", err)
	}

	before := c.Now()
	for _, back := range []time.Time{before.Add(-time.Millisecond), before.Add(-24 * time.Hour), realStart} {
		err := c.Set(ctx, back)
		if !IsKind(err, Conflict) || AsError(err).Code != "clock_backwards" || Status(err) != 409 {
			t.Errorf("Set(%v) backwards: err = %v, want a 409 clock_backwards", back, err)
		}
		if got := c.Now(); !got.Equal(before) {
			t.Errorf("a refused Set moved the clock to %v, want %v", got, before)
		}
	}
}

func TestFakeClockOffsetIsKept(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	wall := &realClock{now: realStart}

	c, err := NewFakeClock(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	c.real = wall.Now
	target := time.Date(2027, 3, 29, 8, 59, 0, 0, time.UTC)
	if err := c.Set(ctx, target); err != nil {
		t.Fatal(err)
	}
	wall.advance(10 * time.Minute)

	// As a restarted server would: a new clock on the same database.
	again, err := NewFakeClock(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	again.real = wall.Now
	if got, want := again.Now(), target.Add(10*time.Minute); !got.Equal(want) {
		t.Errorf("reloaded clock reads %v, want %v", got, want)
	}

	// A refused move is not saved either.
	if err := again.Set(ctx, target); !IsKind(err, Conflict) {
		t.Fatalf("Set backwards: %v", err)
	}
	third, err := NewFakeClock(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	third.real = wall.Now
	if got, want := third.Now(), target.Add(10*time.Minute); !got.Equal(want) {
		t.Errorf("after a refused Set the saved clock reads %v, want %v", got, want)
	}
}

func TestNewFakeClockStartsAtRealTimeWithoutSavedOffset(t *testing.T) {
	db := openTestDB(t)
	before := time.Now()
	c, err := NewFakeClock(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Now()
	if after := time.Now(); got.Before(before) || got.After(after) {
		t.Errorf("new fake clock reads %v, want the real time (between %v and %v)", got, before, after)
	}
}

func TestNewFakeClockRefusesBadSavedOffset(t *testing.T) {
	db := openTestDB(t)
	if _, err := db.Write.Exec(`INSERT INTO settings(key, value) VALUES (?, 'soon')`, fakeClockKey); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFakeClock(context.Background(), db); err == nil {
		t.Error("NewFakeClock accepted an offset that is not a number")
	}
}

func TestNewFakeClockAt(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	before := time.Now()
	c := NewFakeClockAt(at)
	got := c.Now()
	elapsed := time.Since(before)
	if got.Before(at) || got.After(at.Add(elapsed)) {
		t.Errorf("NewFakeClockAt(%v).Now() = %v, want at most %v later", at, got, elapsed)
	}
	// It can be moved like any fake clock, and saves nothing.
	if err := c.Set(context.Background(), at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := c.Now(); got.Before(at.Add(time.Hour)) {
		t.Errorf("after Set: %v", got)
	}
}

func TestMillisRoundTrip(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	local := time.Date(2027, 3, 28, 2, 30, 0, 123_000_000, london) // the hour the clocks go forward
	got := FromMillis(Millis(local))
	if !got.Equal(local) || got.Location() != time.UTC {
		t.Errorf("FromMillis(Millis(%v)) = %v, want the same instant in UTC", local, got)
	}
}
