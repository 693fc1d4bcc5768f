package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"frontdoor"
)

// idemFixture is the middleware on a real database around a handler that
// counts its runs and answers what answer says.
type idemFixture struct {
	t      *testing.T
	ix     *Idempotency
	runs   atomic.Int32
	answer func(w http.ResponseWriter)
	h      http.Handler
}

func newIdemFixture(t *testing.T, key []byte) *idemFixture {
	t.Helper()
	db, err := frontdoor.Open(context.Background(), filepath.Join(t.TempDir(), "frontdoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &idemFixture{t: t, ix: NewIdempotency(db, frontdoor.SystemClock{})}
	f.ix.Key = key
	f.answer = func(w http.ResponseWriter) { WriteJSON(w, http.StatusCreated, map[string]string{"token": "fd_secret"}) }
	f.h = f.ix.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.runs.Add(1)
		f.answer(w)
	}))
	return f
}

func (f *idemFixture) post(key, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/api/v1/things", strings.NewReader(body))
	r.Header.Set("Idempotency-Key", key)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func (f *idemFixture) savedBody(key string) []byte {
	f.t.Helper()
	var b []byte
	if err := f.ix.DB.Read.QueryRow(`SELECT body FROM idempotency_keys WHERE key = ?`, key).Scan(&b); err != nil {
		f.t.Fatal(err)
	}
	return b
}

func TestIdempotencySealsSavedAnswers(t *testing.T) {
	f := newIdemFixture(t, bytes.Repeat([]byte{7}, 32))
	first := f.post("k", `{"a":1}`)
	again := f.post("k", `{"a":1}`)
	if f.runs.Load() != 1 || again.Code != 201 || again.Body.String() != first.Body.String() {
		t.Fatalf("runs %d; replay %d %s, want the first answer", f.runs.Load(), again.Code, again.Body)
	}
	if bytes.Contains(f.savedBody("k"), []byte("fd_secret")) {
		t.Error("the saved answer is readable in the database")
	}

	// A saved answer that has been changed, or sealed under another key, is
	// not replayed, nor is the request run again.
	tampered := f.savedBody("k")
	tampered[len(tampered)-1] ^= 1
	if _, err := f.ix.DB.Write.Exec(`UPDATE idempotency_keys SET body = ? WHERE key = 'k'`, tampered); err != nil {
		t.Fatal(err)
	}
	w := f.post("k", `{"a":1}`)
	if w.Code != 409 || !strings.Contains(w.Body.String(), "idempotency_answer_unreadable") || f.runs.Load() != 1 {
		t.Errorf("tampered answer: %d %s (runs %d)", w.Code, w.Body, f.runs.Load())
	}
}

func TestIdempotencyWithoutKeyStoresPlainAnswers(t *testing.T) {
	f := newIdemFixture(t, nil)
	f.post("k", `{"a":1}`)
	if !bytes.Contains(f.savedBody("k"), []byte("fd_secret")) {
		t.Error("without a key the answer should be stored as it is")
	}
	if w := f.post("k", `{"a":1}`); w.Code != 201 || f.runs.Load() != 1 {
		t.Errorf("replay: %d, runs %d", w.Code, f.runs.Load())
	}
}

// A 5xx or a panic is not an answer to keep: the key is released and a
// retry runs the request again.
func TestIdempotencyReleasesFailures(t *testing.T) {
	f := newIdemFixture(t, nil)
	f.answer = func(w http.ResponseWriter) {
		WriteError(w, httptest.NewRequest("POST", "/", nil), frontdoor.Errorf(frontdoor.Internal, "internal", "Broken."))
	}
	if w := f.post("k5", `{}`); w.Code != 500 {
		t.Fatalf("first: %d", w.Code)
	}
	f.answer = func(w http.ResponseWriter) { panic("fault") }
	func() {
		defer func() { recover() }()
		f.post("k5", `{}`)
	}()
	f.answer = func(w http.ResponseWriter) { w.WriteHeader(201) }
	if w := f.post("k5", `{}`); w.Code != 201 || f.runs.Load() != 3 {
		t.Errorf("after a 500 and a panic: %d, runs %d, want 201 on the third run", w.Code, f.runs.Load())
	}
}

// A claim still in progress makes a retry wait; one left behind by a crash
// (older than StaleAfter) is taken over.
func TestIdempotencyClaims(t *testing.T) {
	f := newIdemFixture(t, nil)
	f.ix.Wait = 0
	// Without Key a request's fingerprint is the SHA-256 of its method, path and body.
	sum := sha256.Sum256([]byte("POST /api/v1/things\n{}"))
	h := sum[:]
	now := time.Now()
	claim := func(key string, at time.Time) {
		if _, err := f.ix.DB.Write.Exec(`INSERT INTO idempotency_keys(scope, key, request_hash, created_at) VALUES ('public /api/v1/things', ?, ?, ?)`,
			key, h, frontdoor.Millis(at)); err != nil {
			t.Fatal(err)
		}
	}
	claim("busy", now)
	if w := f.post("busy", `{}`); w.Code != 409 || !strings.Contains(w.Body.String(), "idempotency_key_in_use") || f.runs.Load() != 0 {
		t.Errorf("key in use: %d %s (runs %d)", w.Code, w.Body, f.runs.Load())
	}
	claim("crashed", now.Add(-f.ix.StaleAfter-time.Second))
	if w := f.post("crashed", `{}`); w.Code != 201 || f.runs.Load() != 1 {
		t.Errorf("abandoned claim: %d (runs %d), want it taken over", w.Code, f.runs.Load())
	}
}
