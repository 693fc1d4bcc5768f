package main

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"frontdoor"
)

func (s *testServer) clockNow() time.Time {
	s.t.Helper()
	var c struct {
		Now string `json:"now"`
	}
	s.must(200, "GET", "/api/v1/clock", "", nil).JSON(s.t, &c)
	now, err := time.Parse(time.RFC3339Nano, c.Now)
	if err != nil {
		s.t.Fatalf("GET /api/v1/clock: now %q: %v", c.Now, err)
	}
	return now
}

func TestClockRoutesNeedFakeClock(t *testing.T) {
	s := start(t, config{})
	for _, method := range []string{"GET", "PUT"} {
		r := s.do(method, "/api/v1/clock", s.Admin, map[string]any{"now": "2099-01-01T00:00:00Z"})
		if r.Status != 404 {
			t.Errorf("%s /api/v1/clock without --fake-clock: %d, want 404", method, r.Status)
		}
	}
}

func TestFakeClockMovesForwardOnly(t *testing.T) {
	s := start(t, config{FakeClock: true})
	realBefore := time.Now()
	if now, realAfter := s.clockNow(), time.Now(); now.Before(realBefore) || now.After(realAfter) {
		t.Errorf("a new fake clock reads %v, want the real time (between %v and %v)", now, realBefore, realAfter)
	}

	target := time.Now().Add(400 * 24 * time.Hour).Truncate(time.Second).UTC()
	body := map[string]any{"now": target.Format(time.RFC3339)}
	for who, tok := range map[string]string{"no one": "", "an officer": s.token(frontdoor.RoleOfficer, ""), "a manager": s.token(frontdoor.RoleManager, "")} {
		want := 401
		if tok != "" {
			want = 403
		}
		if r := s.do("PUT", "/api/v1/clock", tok, body); r.Status != want {
			t.Errorf("PUT /api/v1/clock as %s: %d, want %d", who, r.Status, want)
		}
	}
	if now := s.clockNow(); !now.Before(target) {
		t.Fatalf("a refused PUT moved the clock to %v", now)
	}

	r := s.must(200, "PUT", "/api/v1/clock", s.Admin, body)
	var answered struct{ Now string }
	r.JSON(t, &answered)
	if at, err := time.Parse(time.RFC3339Nano, answered.Now); err != nil || at.Before(target) {
		t.Errorf("PUT answered now=%q, want %v or just after", answered.Now, target)
	}
	if now := s.clockNow(); now.Before(target) {
		t.Errorf("after PUT the clock reads %v, want at least %v", now, target)
	}

	// Another zone's offset names the same instant.
	london := target.Add(time.Hour).In(time.FixedZone("BST", 3600)).Format(time.RFC3339)
	s.must(200, "PUT", "/api/v1/clock", s.Admin, map[string]any{"now": london})
	moved := target.Add(time.Hour)
	if now := s.clockNow(); now.Before(moved) {
		t.Errorf("after PUT %s the clock reads %v", london, now)
	}

	before := s.dump()
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"backwards", map[string]any{"now": target.Format(time.RFC3339)}, 409, "clock_backwards", ""},
		{"to the real time", map[string]any{"now": time.Now().UTC().Format(time.RFC3339)}, 409, "clock_backwards", ""},
		{"not a time", map[string]any{"now": "tomorrow at nine"}, 400, "validation_failed", "now"},
		{"a date only", map[string]any{"now": "2099-01-01"}, 400, "validation_failed", "now"},
		{"no zone", map[string]any{"now": "2099-01-01T09:00:00"}, 400, "validation_failed", "now"},
		{"empty", map[string]any{}, 400, "validation_failed", "now"},
		{"a number", map[string]any{"now": 4102444800}, 400, "bad_json", "now"},
		{"malformed", `{"now":`, 400, "bad_json", ""},
	} {
		r := s.do("PUT", "/api/v1/clock", s.Admin, tc.body)
		if r.Status != tc.status {
			t.Errorf("%s: %d, want %d: %s", tc.name, r.Status, tc.status, r.Body)
			continue
		}
		code, fields := r.ErrorCode(t)
		if code != tc.code || (tc.field != "" && fields[tc.field] == "") {
			t.Errorf("%s: code %q fields %v, want %q with a message for %q", tc.name, code, fields, tc.code, tc.field)
		}
	}
	if after := s.dump(); after != before {
		t.Errorf("refused clock moves changed the database")
	}
	if now := s.clockNow(); now.Before(moved) {
		t.Errorf("after refused moves the clock reads %v, want at least %v", now, moved)
	}
}

// The clock is kept in the database: a restarted server carries on from it.
func TestFakeClockSurvivesRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "frontdoor.db")
	first := start(t, config{DB: db, FakeClock: true})
	target := time.Now().Add(3 * 365 * 24 * time.Hour).Truncate(time.Second).UTC()
	realAtSet := time.Now()
	first.must(200, "PUT", "/api/v1/clock", first.Admin, map[string]any{"now": target.Format(time.RFC3339)})
	first.stop()

	second := start(t, config{DB: db, FakeClock: true})
	now := second.clockNow()
	if ranFor := time.Since(realAtSet); now.Before(target) || now.After(target.Add(ranFor)) {
		t.Errorf("after a restart the clock reads %v, want %v plus at most %v", now, target, ranFor)
	}
	// And it still refuses to go back to before the time it was set to.
	if r := second.do("PUT", "/api/v1/clock", second.Admin, map[string]any{"now": target.Add(-time.Minute).Format(time.RFC3339)}); r.Status != 409 {
		t.Errorf("PUT backwards after a restart: %d, want 409", r.Status)
	}

	// Without --fake-clock, the same database runs on the real time.
	second.stop()
	third := start(t, config{DB: db})
	if r := third.do("GET", "/api/v1/clock", "", nil); r.Status != 404 {
		t.Errorf("GET /api/v1/clock without --fake-clock: %d", r.Status)
	}
}

// What the service records, it records at the service's clock's time.
func TestEverythingReadsTheClock(t *testing.T) {
	day := time.Date(2031, 6, 2, 9, 30, 0, 0, time.UTC)
	clock := frontdoor.NewFakeClockAt(day)
	s := start(t, config{testClock: clock})

	// within checks that got lies between two readings of the service's clock
	// (times are stored to the millisecond).
	within := func(what string, got, from, to time.Time) {
		t.Helper()
		if got.Before(from.Truncate(time.Millisecond)) || got.After(to) {
			t.Errorf("%s = %v, want between %v and %v (the service's clock)", what, got, from, to)
		}
	}
	from := clock.Now()
	s.must(201, "POST", "/api/v1/sites", s.Admin, map[string]any{"id": "clocked", "name": "Clocked", "address": "1 Road", "timezone": "Europe/London"})
	var tok struct {
		ID        int64     `json:"id"`
		CreatedAt time.Time `json:"created_at"`
	}
	s.must(201, "POST", "/api/v1/tokens", s.Admin, map[string]any{"name": "CRM", "role": "manager"}).JSON(t, &tok)
	s.must(201, "POST", "/api/v1/users", s.Admin, map[string]any{"name": "Ann", "role": "officer", "password": "correct horse battery"})
	to := clock.Now()

	var siteCreated int64
	if err := s.app.db.Read.QueryRow(`SELECT created_at FROM sites WHERE id = 'clocked'`).Scan(&siteCreated); err != nil {
		t.Fatal(err)
	}
	within("the site's created_at", frontdoor.FromMillis(siteCreated), from, to)
	within("the token's created_at as answered", tok.CreatedAt, from, to)

	var list struct {
		Tokens []struct {
			ID        int64     `json:"id"`
			CreatedAt time.Time `json:"created_at"`
			RevokedAt time.Time `json:"revoked_at"`
		} `json:"tokens"`
	}
	s.must(200, "GET", "/api/v1/tokens", s.Admin, nil).JSON(t, &list)
	found := false
	for _, lt := range list.Tokens {
		if lt.ID == tok.ID {
			found = true
			within("the token's created_at in GET /api/v1/tokens", lt.CreatedAt, from, to)
		}
	}
	if !found {
		t.Fatalf("token %d not in GET /api/v1/tokens", tok.ID)
	}
	var users struct {
		Users []struct {
			Name      string    `json:"name"`
			CreatedAt time.Time `json:"created_at"`
		} `json:"users"`
	}
	s.must(200, "GET", "/api/v1/users", s.Admin, nil).JSON(t, &users)
	if len(users.Users) != 1 {
		t.Fatalf("users: %+v", users.Users)
	}
	within("the user's created_at", users.Users[0].CreatedAt, from, to)

	// Moved on a week, the clock's new time is what is recorded.
	if err := clock.Set(context.Background(), day.Add(7*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	from = clock.Now()
	s.must(200, "POST", "/api/v1/tokens/"+strconv.FormatInt(tok.ID, 10)+"/revoke", s.Admin, nil)
	to = clock.Now()
	s.must(200, "GET", "/api/v1/tokens", s.Admin, nil).JSON(t, &list)
	for _, lt := range list.Tokens {
		if lt.ID == tok.ID {
			within("the token's revoked_at", lt.RevokedAt, from, to)
		}
	}
}
