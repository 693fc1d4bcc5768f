package web

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"frontdoor"
)

// Idempotency makes a POST that carries an Idempotency-Key safe to retry:
// the same key and body get the first answer again (status and body), the
// same key with another body gets 422 idempotency_key_reused. Keys live 24 h.
//
// The first request claims the key with a row marked "in progress" before it
// runs; concurrent retries wait for its answer instead of running again.
// A claim left behind by a crash is taken over after StaleAfter.
type Idempotency struct {
	DB         *frontdoor.DB
	Clock      frontdoor.Clock
	TTL        time.Duration
	StaleAfter time.Duration
	Wait       time.Duration // how long a retry waits for the first request
	// Key, when set, seals saved answers (AES-GCM) and fingerprints requests
	// (HMAC-SHA-256) with keys derived from it, so that the database alone
	// shows neither the secrets an answer can carry (a new token, a booking's
	// manage link) nor a plain hash of a request that holds a password.
	// serve sets it to the service's secret key, kept outside the database.
	Key []byte
}

// NewIdempotency returns the middleware with the contract's 24 h expiry.
func NewIdempotency(db *frontdoor.DB, clock frontdoor.Clock) *Idempotency {
	return &Idempotency{DB: db, Clock: clock, TTL: 24 * time.Hour, StaleAfter: 2 * time.Minute, Wait: 30 * time.Second}
}

// Middleware wraps a handler that creates something.
func (ix *Idempotency) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if key == "" || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 255 {
			WriteError(w, r, frontdoor.Errorf(frontdoor.Invalid, "bad_idempotency_key", "The Idempotency-Key header is too long: use at most 255 characters."))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			WriteError(w, r, frontdoor.Errorf(frontdoor.Invalid, "body_too_large", "The request body is too large: the limit is %d KB.", MaxBody>>10))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h := sha256.New()
		if ix.Key != nil {
			h = hmac.New(sha256.New, ix.subkey("request"))
		}
		h.Write([]byte(r.Method + " " + r.URL.Path + "\n"))
		h.Write(body)
		hash := h.Sum(nil)
		scope := frontdoor.PrincipalFrom(r.Context()).Label() + " " + r.URL.Path

		saved, err := ix.claim(r.Context(), scope, key, hash)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		if saved != nil {
			w.Header().Set("Content-Type", saved.contentType)
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(saved.status)
			w.Write(saved.body)
			return
		}

		rec := &captureWriter{header: http.Header{}}
		done := false
		defer func() {
			if !done { // the handler panicked: release the key so a retry can run
				ix.release(context.WithoutCancel(r.Context()), scope, key)
			}
		}()
		next.ServeHTTP(rec, r)
		done = true
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		if rec.status >= 500 {
			ix.release(context.WithoutCancel(r.Context()), scope, key)
		} else if err := ix.store(context.WithoutCancel(r.Context()), scope, key, rec); err != nil {
			slog.ErrorContext(r.Context(), "idempotency: store answer", "err", err)
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		w.Write(rec.body.Bytes())
	})
}

type savedAnswer struct {
	status      int
	contentType string
	body        []byte
}

// claim returns the saved answer for (scope, key), waiting while another
// request holds the key, or nil when this request now holds it.
func (ix *Idempotency) claim(ctx context.Context, scope, key string, hash []byte) (*savedAnswer, error) {
	deadline := time.Now().Add(ix.Wait)
	for {
		var saved *savedAnswer
		var mismatch, busy bool
		err := ix.DB.WithTx(ctx, func(tx *sql.Tx) error {
			now := ix.Clock.Now()
			var (
				gotHash     []byte
				status      int
				contentType string
				body        []byte
				created     int64
			)
			err := tx.QueryRowContext(ctx, `SELECT request_hash, status, content_type, body, created_at
				FROM idempotency_keys WHERE scope = ? AND key = ?`, scope, key).
				Scan(&gotHash, &status, &contentType, &body, &created)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			case frontdoor.FromMillis(created).Add(ix.TTL).Before(now),
				status == 0 && frontdoor.FromMillis(created).Add(ix.StaleAfter).Before(now):
				// expired, or abandoned by a crash: start afresh
				if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE scope = ? AND key = ?`, scope, key); err != nil {
					return err
				}
			case !bytes.Equal(gotHash, hash):
				mismatch = true
				return nil
			case status == 0:
				busy = true
				return nil
			default:
				if body, err = ix.open(scope, key, body); err != nil {
					return frontdoor.Errorf(frontdoor.Conflict, "idempotency_answer_unreadable",
						"The first answer to this request can no longer be read. Send it again with a new Idempotency-Key.")
				}
				saved = &savedAnswer{status: status, contentType: contentType, body: body}
				return nil
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys(scope, key, request_hash, created_at) VALUES (?, ?, ?, ?)`,
				scope, key, hash, frontdoor.Millis(now))
			return err
		})
		switch {
		case err != nil:
			return nil, err
		case mismatch:
			return nil, frontdoor.Errorf(frontdoor.Unprocessable, "idempotency_key_reused",
				"This Idempotency-Key was already used for a different request. Use a new key for a new request.")
		case !busy:
			return saved, nil
		}
		if time.Now().After(deadline) {
			return nil, frontdoor.Errorf(frontdoor.Conflict, "idempotency_key_in_use",
				"A request with this Idempotency-Key is still being handled. Try again in a moment.")
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (ix *Idempotency) store(ctx context.Context, scope, key string, rec *captureWriter) error {
	body, err := ix.seal(scope, key, rec.body.Bytes())
	if err != nil {
		return err
	}
	return ix.DB.WithTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET status = ?, content_type = ?, body = ?
			WHERE scope = ? AND key = ?`, rec.status, rec.header.Get("Content-Type"), body, scope, key)
		return err
	})
}

// subkey derives the key for one use from Key.
func (ix *Idempotency) subkey(use string) []byte {
	m := hmac.New(sha256.New, ix.Key)
	m.Write([]byte("frontdoor idempotency " + use))
	return m.Sum(nil)
}

func (ix *Idempotency) aead() (cipher.AEAD, error) {
	block, err := aes.NewCipher(ix.subkey("answer"))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts a saved answer, bound to its scope and key; as it is without Key.
func (ix *Idempotency) seal(scope, key string, body []byte) ([]byte, error) {
	if ix.Key == nil {
		return body, nil
	}
	gcm, err := ix.aead()
	if err != nil {
		return nil, fmt.Errorf("idempotency: seal answer: %w", err)
	}
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	return gcm.Seal(nonce, nonce, body, []byte(scope+"\x00"+key)), nil
}

// open is seal's inverse.
func (ix *Idempotency) open(scope, key string, sealed []byte) ([]byte, error) {
	if ix.Key == nil {
		return sealed, nil
	}
	gcm, err := ix.aead()
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("idempotency: saved answer too short")
	}
	return gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], []byte(scope+"\x00"+key))
}

func (ix *Idempotency) release(ctx context.Context, scope, key string) {
	err := ix.DB.WithTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status = 0`, scope, key)
		return err
	})
	if err != nil {
		slog.ErrorContext(ctx, "idempotency: release key", "err", err)
	}
}

// Expire deletes keys older than the TTL; serve runs it now and then.
func (ix *Idempotency) Expire(ctx context.Context) error {
	cutoff := frontdoor.Millis(ix.Clock.Now().Add(-ix.TTL))
	return ix.DB.WithTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, cutoff)
		return err
	})
}

type captureWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *captureWriter) Header() http.Header { return c.header }
func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}
func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(b)
}
