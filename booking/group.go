package booking

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"frontdoor"
)

// groupCommit runs bookings that arrive together in one write transaction,
// so they share one commit and one fsync instead of queueing for one each.
// Each booking runs inside its own SAVEPOINT: one that fails (its slot is
// full) undoes only its own writes. Every caller is answered only after the
// transaction holding its booking has committed, so a confirmed booking is
// as durable as before.
//
// There is no goroutine to start or stop: the first caller to find no batch
// running commits whatever is waiting, batch after batch, until none is.
type groupCommit struct {
	mu      sync.Mutex
	pending []*groupJob
	running bool
}

type groupJob struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan error
}

// maxGroup bounds a batch, so one transaction never holds the writer long.
const maxGroup = 64

func (g *groupCommit) do(ctx context.Context, db *frontdoor.DB, fn func(tx *sql.Tx) error) error {
	j := &groupJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, j)
	if g.running {
		g.mu.Unlock()
		return <-j.done
	}
	g.running = true
	for len(g.pending) > 0 {
		n := min(len(g.pending), maxGroup)
		batch := g.pending[:n:n]
		g.pending = g.pending[n:]
		g.mu.Unlock()
		commitGroup(db, batch)
		g.mu.Lock()
	}
	g.running = false
	g.pending = nil
	g.mu.Unlock()
	return <-j.done
}

// commitGroup runs a batch in one transaction and answers every job.
func commitGroup(db *frontdoor.DB, batch []*groupJob) {
	errs := make([]error, len(batch))
	answer := func(commitErr error) {
		for i, j := range batch {
			if errs[i] == nil {
				errs[i] = commitErr
			}
			j.done <- errs[i]
		}
	}
	ctx := context.Background() // the batch outlives any one caller's request
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		answer(fmt.Errorf("begin transaction: %w", err))
		return
	}
	ran := 0
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			errs[i] = err // the caller has gone: do not book for nobody
			continue
		}
		errs[i] = runSavepoint(tx, j.fn)
		if errs[i] == nil {
			ran++
		}
	}
	if ran == 0 {
		tx.Rollback()
		answer(nil)
		return
	}
	if err := tx.Commit(); err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("commit: %w", err)
			}
		}
	}
	answer(nil)
}

// runSavepoint runs fn inside a savepoint, undoing its writes if it fails or panics.
func runSavepoint(tx *sql.Tx, fn func(tx *sql.Tx) error) (err error) {
	if _, err := tx.Exec(`SAVEPOINT booking`); err != nil {
		return err
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("booking panicked: %v", v)
		}
		if err != nil {
			if _, rbErr := tx.Exec(`ROLLBACK TO booking`); rbErr != nil {
				err = fmt.Errorf("%w (and undoing it failed: %v)", err, rbErr)
			}
		}
		if _, relErr := tx.Exec(`RELEASE booking`); relErr != nil && err == nil {
			err = relErr
		}
	}()
	return fn(tx)
}
