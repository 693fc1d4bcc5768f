package booking

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"frontdoor"
)

func TestGroupCommitUndoesOnlyTheFailedBooking(t *testing.T) {
	db, err := frontdoor.Open(t.Context(), filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	write := func(key string) func(tx *sql.Tx) error {
		return func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO settings(key, value) VALUES (?, 'x')`, key)
			return err
		}
	}
	failing := func(tx *sql.Tx) error {
		if err := write("undone")(tx); err != nil {
			return err
		}
		return errors.New("slot full")
	}
	panicking := func(tx *sql.Tx) error {
		write("panicked")(tx)
		panic("boom")
	}
	gone, cancel := context.WithCancel(t.Context())
	cancel()
	batch := []*groupJob{
		{ctx: t.Context(), fn: write("a")},
		{ctx: t.Context(), fn: failing},
		{ctx: gone, fn: write("for nobody")},
		{ctx: t.Context(), fn: panicking},
		{ctx: t.Context(), fn: write("b")},
	}
	for _, j := range batch {
		j.done = make(chan error, 1)
	}
	commitGroup(db, batch)
	var got []error
	for _, j := range batch {
		got = append(got, <-j.done)
	}
	if got[0] != nil || got[4] != nil || got[1] == nil || got[2] == nil || got[3] == nil {
		t.Errorf("answers %v: want only the 1st and 5th to succeed", got)
	}
	rows, _ := db.Read.Query(`SELECT key FROM settings ORDER BY key`)
	var keys []string
	for rows.Next() {
		var k string
		rows.Scan(&k)
		keys = append(keys, k)
	}
	rows.Close()
	if len(keys) != 2 || keys[0] != "a" || keys[1] != "b" {
		t.Errorf("committed %v, want [a b]", keys)
	}

	// Many callers at once: every one answered, every success committed.
	var g groupCommit
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range 200 {
		wg.Go(func() {
			errs[i] = g.do(t.Context(), db, write("k"+string(rune('A'+i%26))+string(rune('a'+i/26))))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	var n int
	db.Read.QueryRow(`SELECT COUNT(*) FROM settings`).Scan(&n)
	if n != 202 {
		t.Errorf("%d rows, want 202", n)
	}
}
