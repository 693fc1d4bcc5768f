package notify

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"frontdoor"
)

// stubProvider accepts every text and calls onSend first.
type stubProvider struct {
	sent   []string
	onSend func()
}

func (p *stubProvider) Send(ctx context.Context, to, body, callback string) (Accepted, error) {
	if p.onSend != nil {
		p.onSend()
	}
	p.sent = append(p.sent, to)
	return Accepted{SID: fmt.Sprintf("SM%d", len(p.sent)), Status: "queued"}, nil
}

func (p *stubProvider) Recent(ctx context.Context, to string) ([]Found, error) { return nil, nil }

// TestNotifySenderStopsCleanly: a sender stopped mid-batch records what it
// sent and puts back, untouched, what it had not tried.
func TestNotifySenderStopsCleanly(t *testing.T) {
	db := outboxDB(t)
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	clock := frontdoor.NewStoppedClock(now)
	ctx, stop := context.WithCancel(context.Background())
	p := &stubProvider{onSend: stop}
	s := NewSender(db, clock, p)
	if err := db.WithTx(ctx, func(tx *sql.Tx) error {
		for i := range 3 {
			if _, err := Enqueue(ctx, tx, now, Message{DedupeKey: fmt.Sprint(i), Purpose: PurposeReply, To: fmt.Sprintf("+44770090012%d", i), Body: "hi"}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce = %d, %v; want 1 sent before the stop", n, err)
	}
	var sent, queued, untouched int
	db.Read.QueryRow(`SELECT COUNT(*) FROM messages WHERE status = 'sent' AND provider_id = 'SM1'`).Scan(&sent)
	db.Read.QueryRow(`SELECT COUNT(*) FROM messages WHERE status = 'queued'`).Scan(&queued)
	db.Read.QueryRow(`SELECT COUNT(*) FROM messages WHERE status = 'queued' AND attempts = 0 AND check_from IS NULL`).Scan(&untouched)
	if sent != 1 || queued != 2 || untouched != 2 {
		t.Errorf("%d sent, %d queued (%d as never tried); want 1, 2, 2", sent, queued, untouched)
	}
	if n, err := NewSender(db, clock, &stubProvider{}).RunOnce(context.Background()); err != nil || n != 2 {
		t.Errorf("the next sender dealt with %d, %v; want the 2 left", n, err)
	}
}
