package notify

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"frontdoor"
)

func outboxDB(t *testing.T) *frontdoor.DB {
	t.Helper()
	db, err := frontdoor.Open(context.Background(), filepath.Join(t.TempDir(), "frontdoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOutboxEnqueueOncePerKeyAndErase(t *testing.T) {
	db := outboxDB(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	queue := func(key, to string, at time.Time) bool {
		var queued bool
		if err := db.WithTx(ctx, func(tx *sql.Tx) error {
			var err error
			queued, err = Enqueue(ctx, tx, at, Message{DedupeKey: key, Purpose: PurposeReply, To: to, Body: "hello " + to})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return queued
	}
	if !queue("a", "+447700900123", now) || queue("a", "+447700900999", now) {
		t.Fatal("a dedupe key queued twice, or not at all")
	}
	queue("b", "+447700900124", now)
	queue("c", "+447700900125", now.Add(48*time.Hour))
	if _, err := db.Write.Exec(`UPDATE messages SET status = 'sent' WHERE dedupe_key IN ('a', 'c')`); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := db.WithTx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = ErasePersonalData(ctx, tx, now.Add(24*time.Hour), now.Add(72*time.Hour))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("erased %d, want 1: only the old settled message (a queued one must still go)", n)
	}
	out, err := Outbox(ctx, db, "", 10)
	if err != nil || len(out) != 1 || out[0].To != "+447700900124" {
		t.Fatalf("Outbox = %+v, %v: want the queued message, untouched", out, err)
	}
	var to, body string
	db.Read.QueryRow(`SELECT recipient, body FROM messages WHERE dedupe_key = 'a'`).Scan(&to, &body)
	if to != "" || body != "" {
		t.Errorf("erased message still holds %q, %q", to, body)
	}
}
