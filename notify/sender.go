package notify

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"frontdoor"
)

// Provider is what sends texts: Twilio, or a stand-in in tests. With no
// provider (SMS not configured) the sender keeps messages in the outbox.
type Provider interface {
	// Send asks for body to be sent to to; callback, when not "", is where
	// delivery reports go. Errors should be *SendError.
	Send(ctx context.Context, to, body, callback string) (Accepted, error)
	// Recent lists the newest messages the provider holds to the number to.
	Recent(ctx context.Context, to string) ([]Found, error)
}

// Accepted is the provider's answer to a send.
type Accepted struct {
	SID    string
	Status string
}

// Found is a message the provider holds.
type Found struct {
	SID, To, Body, Status, Direction string
	Created                          time.Time // zero if unknown
}

// Claimed is a message the sender has claimed to send.
type Claimed struct {
	ID        int64
	DedupeKey string
	Purpose   string
	Site      string
	BookingID int64
	TicketID  int64
	To        string
	Body      string
	Attempts  int       // including this one
	CheckFrom time.Time // not zero: an earlier attempt may have reached the provider at or after this (real) time
}

// Sender sends the outbox's due messages. One goroutine runs it (Run); a
// test can call RunOnce instead. See the package comment for how it keeps
// to at most once.
type Sender struct {
	DB       *frontdoor.DB
	Clock    frontdoor.Clock
	Provider Provider // nil: SMS not configured, messages are kept as not_sent

	// StatusCallback gives the URL for delivery reports, or "" for none.
	StatusCallback func() string
	// Superseded, when set, is asked about each claimed message for a
	// booking: a reminder for a booking cancelled or moved since it was
	// queued is not sent.
	Superseded func(ctx context.Context, m Claimed) (bool, error)

	Batch       int           // messages claimed at once
	Timeout     time.Duration // for each call to the provider
	Backoff     time.Duration // wait before the first retry; doubles with each
	MaxBackoff  time.Duration
	MaxAttempts int           // then the message is failed
	Poll        time.Duration // how often Run looks for due messages
	Wall        func() time.Time

	id   string // this sender's claims; another's left in sending died with its process
	wake chan struct{}
	mu   sync.Mutex
}

// NewSender returns a sender with the default settings.
func NewSender(db *frontdoor.DB, clock frontdoor.Clock, p Provider) *Sender {
	b := make([]byte, 8)
	rand.Read(b)
	return &Sender{DB: db, Clock: clock, Provider: p, Batch: 50, Timeout: 15 * time.Second,
		Backoff: 30 * time.Second, MaxBackoff: 30 * time.Minute, MaxAttempts: 8, Poll: time.Second,
		Wall: time.Now, id: hex.EncodeToString(b), wake: make(chan struct{}, 1)}
}

// Wake makes Run look for due messages now rather than at its next poll.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run sends due messages until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTicker(s.Poll)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			slog.ErrorContext(ctx, "send texts", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// RunOnce sends every message due now, claiming them a batch at a time, and
// reports how many it dealt with (sent, failed, retried or kept).
func (s *Sender) RunOnce(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Most polls find nothing: a read says so without taking the write lock.
	var work bool
	err := s.DB.Read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM messages WHERE status = 'queued' AND send_after <= ? AND (? OR check_from IS NULL))
		OR EXISTS (SELECT 1 FROM messages WHERE status = 'sending' AND (claimed_by IS NULL OR claimed_by <> ?))`,
		frontdoor.Millis(s.Clock.Now()), s.Provider != nil, s.id).Scan(&work)
	if err != nil || !work {
		return 0, err
	}
	if err := s.recoverClaims(ctx); err != nil {
		return 0, err
	}
	total := 0
	for ctx.Err() == nil {
		batch, err := s.claim(ctx)
		if err != nil {
			return total, err
		}
		if len(batch) == 0 {
			break
		}
		for i, m := range batch {
			if ctx.Err() != nil { // stopping: what was not tried goes back as it was
				return total, s.unclaim(batch[i:])
			}
			if err := s.deliver(ctx, m); err != nil {
				return total, err
			}
			total++
		}
	}
	return total, nil
}

// unclaim puts back claimed messages that were never sent, as if never claimed.
func (s *Sender) unclaim(ms []Claimed) error {
	ctx := context.Background()
	return s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		for _, m := range ms {
			if _, err := tx.ExecContext(ctx, `UPDATE messages SET status = 'queued', attempts = attempts - 1 WHERE id = ? AND status = 'sending' AND claimed_by = ?`,
				m.ID, s.id); err != nil {
				return fmt.Errorf("put back message %d: %w", m.ID, err)
			}
		}
		return nil
	})
}

// recoverClaims turns claims left by a sender that is gone (the process
// stopped between claiming and recording) back into queued messages whose
// result must be checked at the provider before they are sent again.
func (s *Sender) recoverClaims(ctx context.Context) error {
	return s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE messages SET status = 'queued', check_from = COALESCE(check_from, claimed_at),
			status_note = 'the service stopped while sending it: checking with Twilio before sending again', updated_at = ?
			WHERE status = 'sending' AND (claimed_by IS NULL OR claimed_by <> ?)`, frontdoor.Millis(s.Clock.Now()), s.id)
		if err != nil {
			return fmt.Errorf("recover claimed messages: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			slog.WarnContext(ctx, "texts left mid-send by a stopped process will be checked with Twilio", "messages", n)
		}
		return nil
	})
}

// claim marks up to Batch due messages as sending, in a committed
// transaction, before any is sent. Due messages to numbers that opted out,
// and every due message when SMS is not configured, are settled here.
func (s *Sender) claim(ctx context.Context) ([]Claimed, error) {
	now := frontdoor.Millis(s.Clock.Now())
	var out []Claimed
	err := s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET status = 'not_sent', status_note = 'not sent: the number opted out (it replied STOP)',
			updated_at = ? WHERE status = 'queued' AND send_after <= ? AND recipient IN (SELECT phone FROM sms_opt_outs)`, now, now); err != nil {
			return fmt.Errorf("settle opted-out messages: %w", err)
		}
		if s.Provider == nil {
			// A message whose earlier attempt may have gone stays queued
			// for when SMS is configured again, to be checked then.
			_, err := tx.ExecContext(ctx, `UPDATE messages SET status = 'not_sent', status_note = 'not sent: SMS not configured', updated_at = ?
				WHERE status = 'queued' AND send_after <= ? AND check_from IS NULL`, now, now)
			return err
		}
		rows, err := tx.QueryContext(ctx, `UPDATE messages SET status = 'sending', attempts = attempts + 1, claimed_at = ?, claimed_by = ?, updated_at = ?
			WHERE id IN (SELECT id FROM messages WHERE status = 'queued' AND send_after <= ? ORDER BY send_after, id LIMIT ?)
			RETURNING id, dedupe_key, purpose, COALESCE(site_id, ''), COALESCE(booking_id, 0), COALESCE(ticket_id, 0), recipient, body,
			attempts, check_from`, frontdoor.Millis(s.Wall()), s.id, now, now, s.Batch)
		if err != nil {
			return fmt.Errorf("claim messages: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m Claimed
			var check sql.NullInt64
			if err := rows.Scan(&m.ID, &m.DedupeKey, &m.Purpose, &m.Site, &m.BookingID, &m.TicketID, &m.To, &m.Body, &m.Attempts, &check); err != nil {
				return err
			}
			if check.Valid {
				m.CheckFrom = frontdoor.FromMillis(check.Int64)
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	// RETURNING gives no order.
	slices.SortFunc(out, func(a, b Claimed) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// deliver sends one claimed message and records the outcome. Only a
// failure to record is returned: the provider's failures are recorded.
func (s *Sender) deliver(ctx context.Context, m Claimed) error {
	if s.Superseded != nil && m.BookingID != 0 {
		if old, err := s.Superseded(ctx, m); err != nil {
			slog.WarnContext(ctx, "check whether a text is still current", "message", m.ID, "err", err)
		} else if old {
			return s.settle(ctx, m, StatusNotSent, "not sent: the booking changed before it went out", Accepted{})
		}
	}
	if !m.CheckFrom.IsZero() {
		sid, status, err := s.lookUp(ctx, m)
		if err != nil {
			return s.retry(ctx, m, false, "could not check with Twilio whether an earlier attempt went: "+reason(err))
		}
		if sid != "" {
			slog.InfoContext(ctx, "text found at Twilio after an uncertain attempt: not sent again", "message", m.ID, "purpose", m.Purpose)
			return s.settle(ctx, m, StatusSent, "", Accepted{SID: sid, Status: status})
		}
	}
	callback := ""
	if s.StatusCallback != nil {
		callback = s.StatusCallback()
	}
	cctx, cancel := context.WithTimeout(ctx, s.Timeout)
	acc, err := s.Provider.Send(cctx, m.To, m.Body, callback)
	cancel()
	if err == nil {
		return s.settle(ctx, m, StatusSent, "", acc)
	}
	var se *SendError
	if !errors.As(err, &se) {
		se = &SendError{Unsure: true, Reason: err.Error()}
	}
	if se.Permanent {
		slog.WarnContext(ctx, "text refused", "message", m.ID, "purpose", m.Purpose, "reason", se.Reason)
		if se.OptedOut {
			if err := s.DB.WithTx(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
				return optOut(ctx, tx, m.To, "twilio-21610", s.Clock.Now())
			}); err != nil {
				return err
			}
		}
		return s.settle(ctx, m, StatusFailed, "failed: "+se.Reason, Accepted{})
	}
	return s.retry(ctx, m, se.Unsure, se.Reason)
}

func reason(err error) string {
	var se *SendError
	if errors.As(err, &se) {
		return se.Reason
	}
	return err.Error()
}

// lookUp searches the provider for a message an earlier, uncertain attempt
// may have sent: to the same number, with the same body, created since the
// first uncertain attempt (less a margin for the two clocks), and not
// already recorded for another of our messages.
func (s *Sender) lookUp(ctx context.Context, m Claimed) (sid, status string, err error) {
	cctx, cancel := context.WithTimeout(ctx, s.Timeout)
	found, err := s.Provider.Recent(cctx, m.To)
	cancel()
	if err != nil {
		return "", "", err
	}
	since := m.CheckFrom.Add(-2 * time.Minute)
	for _, f := range found {
		if f.SID == "" || f.Body != m.Body || (f.To != "" && f.To != m.To) || (f.Direction != "" && !strings.HasPrefix(f.Direction, "outbound")) {
			continue
		}
		if !f.Created.IsZero() && f.Created.Before(since) {
			continue
		}
		var other int
		err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE provider_id = ? AND id <> ?`, f.SID, m.ID).Scan(&other)
		if err != nil {
			return "", "", err
		}
		if other == 0 {
			return f.SID, f.Status, nil
		}
	}
	return "", "", nil
}

// settle records a claimed message's final state. It runs even when ctx has
// ended: what the provider said must not be lost on the way out.
func (s *Sender) settle(ctx context.Context, m Claimed, status, note string, acc Accepted) error {
	ctx = context.WithoutCancel(ctx)
	now := frontdoor.Millis(s.Clock.Now())
	var sentAt any
	if status == StatusSent {
		sentAt = now
	}
	return s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE messages SET status = ?, status_note = ?, provider_id = COALESCE(?, provider_id),
			provider_status = COALESCE(?, provider_status), sent_at = COALESCE(?, sent_at), check_from = CASE WHEN ? = 'sent' THEN NULL ELSE check_from END,
			updated_at = ? WHERE id = ? AND status = 'sending' AND claimed_by = ?`,
			status, note, nullString(acc.SID), nullString(acc.Status), sentAt, status, now, m.ID, s.id)
		if err != nil {
			return fmt.Errorf("record message %d as %s: %w", m.ID, status, err)
		}
		return nil
	})
}

// retry puts a message back in the queue after a failure that may pass,
// with exponential back-off, or fails it once it has had MaxAttempts.
// unsure marks that this attempt may have reached the provider.
func (s *Sender) retry(ctx context.Context, m Claimed, unsure bool, why string) error {
	if m.Attempts >= s.MaxAttempts {
		note := fmt.Sprintf("failed: gave up after %d attempts: %s", m.Attempts, why)
		if unsure || !m.CheckFrom.IsZero() {
			note += " (an earlier attempt may still have reached the phone)"
		}
		slog.WarnContext(ctx, "text given up", "message", m.ID, "purpose", m.Purpose, "attempts", m.Attempts, "reason", why)
		return s.settle(ctx, m, StatusFailed, note, Accepted{})
	}
	delay := s.Backoff
	for i := 1; i < m.Attempts && delay < s.MaxBackoff; i++ {
		delay *= 2
	}
	delay = min(delay, s.MaxBackoff)
	slog.InfoContext(ctx, "text will be retried", "message", m.ID, "purpose", m.Purpose, "attempt", m.Attempts, "in", delay, "reason", why)
	ctx = context.WithoutCancel(ctx)
	now := s.Clock.Now()
	return s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE messages SET status = 'queued', send_after = ?, status_note = ?,
			check_from = CASE WHEN ? THEN COALESCE(check_from, claimed_at) ELSE check_from END, updated_at = ?
			WHERE id = ? AND status = 'sending' AND claimed_by = ?`,
			frontdoor.Millis(now.Add(delay)), fmt.Sprintf("attempt %d failed: %s; will try again", m.Attempts, why), unsure,
			frontdoor.Millis(now), m.ID, s.id)
		if err != nil {
			return fmt.Errorf("requeue message %d: %w", m.ID, err)
		}
		return nil
	})
}
