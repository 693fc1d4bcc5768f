package staff

import (
	"strings"
	"sync"
	"time"
)

// Lockout refuses sign-in for a name, or from a client address, after too
// many failed attempts: MaxFailures for one name, MaxIPFailures from one
// address, within Window; the lock lasts LockFor.
//
// It is kept in memory, not in SQLite, on purpose: failed attempts come
// from whoever is attacking, and writing each to the one write connection
// would let them slow bookings down; a client address is personal data that
// a table would then have to expire under the retention rules. A restart
// forgets the locks, which an attacker cannot cause. Entries expire with
// their window and lock, so the maps stay small.
//
// It reads real time, never the service's test clock: a test clock moved a
// week ahead must not end every lock at once.
type Lockout struct {
	MaxFailures   int
	MaxIPFailures int
	Window        time.Duration
	LockFor       time.Duration

	mu        sync.Mutex
	now       func() time.Time
	failures  map[string][]time.Time // key -> failures within Window, oldest first
	locked    map[string]time.Time   // key -> end of its lock
	lastSweep time.Time
}

// NewLockout has the defaults: 5 failures for a name within 15 minutes lock
// it for 15 minutes. An address gets 20: a council office's staff share one
// address behind its NAT, and one person's typing must not lock the whole
// office out; 20 still stops guessing from one place.
func NewLockout() *Lockout {
	return &Lockout{MaxFailures: 5, MaxIPFailures: 20, Window: 15 * time.Minute, LockFor: 15 * time.Minute,
		now: time.Now, failures: map[string][]time.Time{}, locked: map[string]time.Time{}}
}

// SetClock replaces the real-time clock (tests move time with it).
func (l *Lockout) SetClock(now func() time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now = now
}

func nameKey(name string) string { return "name:" + strings.ToLower(strings.TrimSpace(name)) }
func ipKey(ip string) string     { return "ip:" + ip }

// Locked says how long sign-in for name from ip stays refused; 0 when it is not.
func (l *Lockout) Locked(name, ip string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, k := range []string{nameKey(name), ipKey(ip)} {
		if until, ok := l.locked[k]; ok {
			if d := until.Sub(now); d > 0 {
				wait = max(wait, d)
			} else {
				delete(l.locked, k)
			}
		}
	}
	return wait
}

// Failed records a failed attempt; it returns how long sign-in is now
// refused, when this failure started a lock.
func (l *Lockout) Failed(name, ip string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	var wait time.Duration
	for _, k := range []struct {
		key string
		max int
	}{{nameKey(name), l.MaxFailures}, {ipKey(ip), l.MaxIPFailures}} {
		fs := append(recent(l.failures[k.key], now.Add(-l.Window)), now)
		if len(fs) >= k.max {
			l.locked[k.key] = now.Add(l.LockFor)
			delete(l.failures, k.key) // a fresh count once the lock ends
			wait = l.LockFor
			continue
		}
		l.failures[k.key] = fs
	}
	return wait
}

// Succeeded clears a name's failures after a right password.
func (l *Lockout) Succeeded(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, nameKey(name))
}

// Unlock ends a name's lock and forgets its failures, when an admin has set
// the person a new password. Its address's count is left alone.
func (l *Lockout) Unlock(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, nameKey(name))
	delete(l.locked, nameKey(name))
}

func recent(fs []time.Time, since time.Time) []time.Time {
	i := 0
	for i < len(fs) && fs[i].Before(since) {
		i++
	}
	return fs[i:]
}

// sweep drops expired entries, at most once a minute.
func (l *Lockout) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	for k, fs := range l.failures {
		if len(recent(fs, now.Add(-l.Window))) == 0 {
			delete(l.failures, k)
		}
	}
	for k, until := range l.locked {
		if !until.After(now) {
			delete(l.locked, k)
		}
	}
}
