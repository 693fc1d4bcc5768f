package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdoor"
)

func TestIdempotencyConcurrentRetriesCreateOnce(t *testing.T) {
	s := start(t, config{})
	body := map[string]any{"id": "once", "name": "Once", "address": "1 Road", "timezone": "Europe/London"}

	const n = 20
	answers := make([]response, n)
	errs := make([]error, n)
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-ready
			answers[i], errs[i] = s.send("POST", "/api/v1/sites", s.Admin, body, "Idempotency-Key", "create-once")
		})
	}
	close(ready)
	wg.Wait()

	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if answers[i].Status != 201 {
			t.Errorf("request %d: %d, want 201: %s", i, answers[i].Status, answers[i].Body)
		}
		if !bytes.Equal(answers[i].Body, answers[0].Body) {
			t.Errorf("request %d answered\n%s\nbut request 0\n%s", i, answers[i].Body, answers[0].Body)
		}
	}
	if got := s.count(`SELECT COUNT(*) FROM sites WHERE id = 'once'`); got != 1 {
		t.Errorf("%d sites created, want 1", got)
	}
	if got := s.count(`SELECT COUNT(*) FROM idempotency_keys WHERE key = 'create-once' AND status = 201`); got != 1 {
		t.Errorf("%d idempotency_keys rows, want 1 holding the answer", got)
	}
	replays := 0
	for _, a := range answers {
		if a.Header.Get("Idempotent-Replayed") == "true" {
			replays++
		}
	}
	if replays != n-1 {
		t.Errorf("%d answers were replays, want %d", replays, n-1)
	}
}

func TestIdempotencyKeyReusedForAnotherBody(t *testing.T) {
	s := start(t, config{})
	s.setupCentre()
	svc := map[string]any{"code": "BEN", "name": "Benefits", "duration_minutes": 20, "ticket_prefix": "B"}
	first := s.do("POST", "/api/v1/sites/city-hall/services", s.Admin, svc, "Idempotency-Key", "k1")
	if first.Status != 201 {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}
	before := s.dump()
	svc["name"] = "Benefits and support"
	r := s.do("POST", "/api/v1/sites/city-hall/services", s.Admin, svc, "Idempotency-Key", "k1")
	if r.Status != 422 {
		t.Fatalf("same key, other body: %d, want 422: %s", r.Status, r.Body)
	}
	if code, _ := r.ErrorCode(t); code != "idempotency_key_reused" {
		t.Errorf("code %q, want idempotency_key_reused", code)
	}
	if after := s.dump(); after != before {
		t.Errorf("the refused request changed the database")
	}
	// The same key on another path is another request too.
	r = s.do("POST", "/api/v1/sites/city-hall/desks", s.Admin, map[string]any{"id": "desk-5", "name": "Desk 5", "services": []string{"HOU"}}, "Idempotency-Key", "k1")
	if r.Status != 201 {
		t.Errorf("same key on another path: %d, want 201 (a request of its own): %s", r.Status, r.Body)
	}

	// A key too long to be a key.
	long := string(bytes.Repeat([]byte("k"), 256))
	if r := s.do("POST", "/api/v1/sites/city-hall/services", s.Admin, svc, "Idempotency-Key", long); r.Status != 400 {
		t.Errorf("256-character key: %d, want 400", r.Status)
	}
}

// A request refused with a 4xx is answered the same when retried with its
// key, even once the cause has gone: it is replayed, not run again.
func TestIdempotencyReplaysRefusals(t *testing.T) {
	s := start(t, config{})
	svc := map[string]any{"code": "BEN", "name": "Benefits", "duration_minutes": 20, "ticket_prefix": "B"}
	first := s.do("POST", "/api/v1/sites/later/services", s.Admin, svc, "Idempotency-Key", "k404")
	if first.Status != 404 {
		t.Fatalf("service at a missing site: %d", first.Status)
	}
	s.must(201, "POST", "/api/v1/sites", s.Admin, map[string]any{"id": "later", "name": "Later", "address": "1 Road", "timezone": "Europe/London"})

	again := s.do("POST", "/api/v1/sites/later/services", s.Admin, svc, "Idempotency-Key", "k404")
	if again.Status != first.Status || !bytes.Equal(again.Body, first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d %s, want the first answer %d %s replayed", again.Status, again.Body, first.Status, first.Body)
	}
	if n := s.count(`SELECT COUNT(*) FROM services`); n != 0 {
		t.Errorf("the retry ran again: %d services", n)
	}

	bad := map[string]any{"id": "x", "name": "X", "address": "1 Road", "timezone": "Nowhere/Land"}
	a := s.do("POST", "/api/v1/sites", s.Admin, bad, "Idempotency-Key", "k400")
	b := s.do("POST", "/api/v1/sites", s.Admin, bad, "Idempotency-Key", "k400")
	if a.Status != 400 || b.Status != 400 || !bytes.Equal(a.Body, b.Body) {
		t.Errorf("400 replay: %d %s then %d %s", a.Status, a.Body, b.Status, b.Body)
	}

	// Without a key, a retry runs again: the second is a duplicate.
	site := map[string]any{"id": "nokey", "name": "No key", "address": "1 Road", "timezone": "Europe/London"}
	s.must(201, "POST", "/api/v1/sites", s.Admin, site)
	s.must(409, "POST", "/api/v1/sites", s.Admin, site)
}

// Keys are kept 24 hours by the service's clock; after that the key is free.
func TestIdempotencyKeysExpireAfter24Hours(t *testing.T) {
	start0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := frontdoor.NewFakeClockAt(start0)
	s := start(t, config{testClock: clock})
	site := map[string]any{"id": "day-one", "name": "Day one", "address": "1 Road", "timezone": "Europe/London"}
	s.must(201, "POST", "/api/v1/sites", s.Admin, site)
	s.do("POST", "/api/v1/sites", s.Admin, site, "Idempotency-Key", "daily") // 409: the site exists, and that is the saved answer
	created := s.do("POST", "/api/v1/sites", s.Admin, map[string]any{"id": "keyed", "name": "Keyed", "address": "1 Road", "timezone": "Europe/London"}, "Idempotency-Key", "keyed")
	if created.Status != 201 {
		t.Fatalf("keyed create: %d", created.Status)
	}

	if n := s.count(`SELECT COUNT(*) FROM idempotency_keys WHERE key = 'daily' AND created_at >= ?`, frontdoor.Millis(start0)); n != 1 {
		t.Fatalf("the key's created_at is not from the service's clock")
	}
	other := map[string]any{"id": "day-two", "name": "Day two", "address": "1 Road", "timezone": "Europe/London"}

	move := func(to time.Time) {
		t.Helper()
		if err := clock.Set(context.Background(), to); err != nil {
			t.Fatal(err)
		}
	}
	move(start0.Add(23 * time.Hour))
	if r := s.do("POST", "/api/v1/sites", s.Admin, other, "Idempotency-Key", "daily"); r.Status != 422 {
		t.Errorf("a 23-hour-old key with another body: %d, want 422 (still kept)", r.Status)
	}

	move(start0.Add(24*time.Hour + time.Minute))
	r := s.do("POST", "/api/v1/sites", s.Admin, other, "Idempotency-Key", "daily")
	if r.Status != 201 {
		t.Errorf("a key older than 24 h with another body: %d, want 201 (a new request): %s", r.Status, r.Body)
	}
	// The same body too is run again, not replayed: its site exists now.
	r = s.do("POST", "/api/v1/sites", s.Admin, map[string]any{"id": "keyed", "name": "Keyed", "address": "1 Road", "timezone": "Europe/London"}, "Idempotency-Key", "keyed")
	if r.Status != 409 {
		t.Errorf("a key older than 24 h with its own body: %d, want 409 (run again, not the old 201): %s", r.Status, r.Body)
	}

	// Expire, as serve runs it, removes keys older than 24 h and keeps the others.
	move(start0.Add(49 * time.Hour))
	s.must(201, "POST", "/api/v1/sites", s.Admin, map[string]any{"id": "day-three", "name": "Day three", "address": "1 Road", "timezone": "Europe/London"})
	s.do("POST", "/api/v1/sites", s.Admin, site, "Idempotency-Key", "fresh")
	if err := s.app.idem.Expire(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := s.count(`SELECT COUNT(*) FROM idempotency_keys WHERE key = 'daily'`); n != 0 {
		t.Errorf("Expire kept a key older than 24 h")
	}
	if n := s.count(`SELECT COUNT(*) FROM idempotency_keys WHERE key = 'fresh'`); n != 1 {
		t.Errorf("Expire removed a new key")
	}
}

// A saved answer can carry a secret (a new token; a booking's manage link),
// and a request body a password. Kept for replay, neither may be readable
// from the database alone: the answer is sealed with the service's key and
// the request is fingerprinted with it, not with a plain hash that a
// password could be guessed against. A restart with the same key replays.
func TestIdempotencyKeepsNoSecretsInTheDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "frontdoor.db")
	s := start(t, config{DB: db})
	s.setupCentre()

	tokenBody := []byte(`{"name":"CRM","role":"manager"}`)
	first := s.do("POST", "/api/v1/tokens", s.Admin, tokenBody, "Idempotency-Key", "tok-1")
	var created struct {
		Token string `json:"token"`
	}
	first.JSON(t, &created)
	if first.Status != 201 || !strings.HasPrefix(created.Token, "fd_") {
		t.Fatalf("POST /api/v1/tokens: %d %s", first.Status, first.Body)
	}
	const password = "a memorable passphrase"
	userBody := []byte(`{"name":"Bea","role":"officer","password":"` + password + `"}`)
	s.must(201, "POST", "/api/v1/users", s.Admin, userBody) // sets the pattern: no key
	s.do("POST", "/api/v1/users", s.Admin, []byte(`{"name":"Cy","role":"officer","password":"`+password+`"}`), "Idempotency-Key", "user-1")
	s.stop()

	files := dbFiles(t, db)
	if bytes.Contains(files, []byte(created.Token)) {
		t.Error("the new token's text is in the database, in its saved answer")
	}
	plain := sha256.Sum256(append([]byte("POST /api/v1/users\n"), []byte(`{"name":"Cy","role":"officer","password":"`+password+`"}`)...))
	if bytes.Contains(files, plain[:]) {
		t.Error("a plain SHA-256 of a request holding a password is in the database")
	}

	again := start(t, config{DB: db})
	replay := again.do("POST", "/api/v1/tokens", s.Admin, tokenBody, "Idempotency-Key", "tok-1")
	if replay.Status != 201 || !bytes.Equal(replay.Body, first.Body) || replay.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("after a restart: %d %s, want the first answer replayed", replay.Status, replay.Body)
	}
	if r := again.do("POST", "/api/v1/tokens", s.Admin, []byte(`{"name":"CRM 2","role":"manager"}`), "Idempotency-Key", "tok-1"); r.Status != 422 {
		t.Errorf("after a restart, same key and another body: %d, want 422", r.Status)
	}
}

// dbFiles is the bytes of the database file and its WAL and shared memory.
func dbFiles(t *testing.T, path string) []byte {
	t.Helper()
	var files []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		files = append(files, b...)
	}
	return files
}
