package staff

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"frontdoor"
)

func newTestStore(t *testing.T) *Store {
	t.Helper()
	db, err := frontdoor.Open(context.Background(), filepath.Join(t.TempDir(), "frontdoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Write.Exec(`INSERT INTO sites(id, name, address, timezone, created_at) VALUES ('north', 'North', '1 North Road', 'Europe/London', 0)`); err != nil {
		t.Fatal(err)
	}
	return NewStore(db, frontdoor.SystemClock{})
}

func TestCreateUserValidates(t *testing.T) {
	s := newTestStore(t)
	tests := []struct {
		name, user, role, site, password string
		field                            string
	}{
		{"no name", "  ", "officer", "", "correct horse battery", "name"},
		{"name with markup", "<b>Ann</b>", "officer", "", "correct horse battery", "name"},
		{"unknown role", "Ann", "superuser", "", "correct horse battery", "role"},
		{"device is not a staff role", "Ann", "device", "north", "correct horse battery", "role"},
		{"short password", "Ann", "officer", "", "short", "password"},
		{"password beyond bcrypt's 72 bytes", "Ann", "officer", "", strings.Repeat("p", 73), "password"},
		{"unknown site", "Ann", "officer", "south", "correct horse battery", "site"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateUser(context.Background(), tc.user, tc.role, tc.site, tc.password)
			e := frontdoor.AsError(err)
			if err == nil || e.Kind != frontdoor.Invalid || e.Fields[tc.field] == "" {
				t.Fatalf("err = %v (fields %v), want a field error for %s", err, e.Fields, tc.field)
			}
		})
	}
	var n int
	s.DB.Read.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&n)
	if n != 0 {
		t.Errorf("refused users were written: %d rows", n)
	}
}

func TestUsersPasswordsAreBcryptHashes(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	const password = "correct horse battery"
	u, err := s.CreateUser(ctx, "Ann Officer", frontdoor.RoleOfficer, "north", password)
	if err != nil {
		t.Fatal(err)
	}
	var hash string
	if err := s.DB.Read.QueryRow(`SELECT password_hash FROM users WHERE id = ?`, u.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(hash, password) {
		t.Fatal("the password is stored as it is")
	}
	if _, err := bcrypt.Cost([]byte(hash)); err != nil {
		t.Fatalf("password_hash %q is not a bcrypt hash: %v", hash, err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		t.Error("the hash does not match the password")
	}

	// Names are unique whatever their case.
	_, err = s.CreateUser(ctx, "ann officer", frontdoor.RoleOfficer, "", password)
	if !frontdoor.IsKind(err, frontdoor.Conflict) || frontdoor.AsError(err).Fields["name"] == "" {
		t.Errorf("second user with the same name: %v", err)
	}
}

func TestSignInAndSessions(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	if _, err := s.CreateUser(ctx, "Ann Officer", frontdoor.RoleOfficer, "north", "correct horse battery"); err != nil {
		t.Fatal(err)
	}

	for _, bad := range []struct{ name, password string }{
		{"Ann Officer", "wrong horse battery"},
		{"Nobody", "correct horse battery"},
		{"Ann Officer", ""},
	} {
		if _, err := s.SignIn(ctx, bad.name, bad.password); !frontdoor.IsKind(err, frontdoor.Unauthorized) {
			t.Errorf("SignIn(%q, %q): %v, want Unauthorized", bad.name, bad.password, err)
		}
	}

	secret, err := s.SignIn(ctx, " ANN OFFICER ", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	var stored []byte
	if err := s.DB.Read.QueryRow(`SELECT hash FROM sessions`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte(secret)); !bytes.Equal(stored, sum[:]) {
		t.Error("the session is not stored as the SHA-256 of its cookie")
	}

	withCookie := func(v string) *http.Request {
		r := httptest.NewRequest("GET", "/staff", nil)
		r.AddCookie(&http.Cookie{Name: CookieName, Value: v})
		return r
	}
	p, err := s.Authenticate(withCookie(secret))
	if err != nil || p == nil || p.Name != "Ann Officer" || p.Role != frontdoor.RoleOfficer || p.Site != "north" || p.Kind != "user" {
		t.Fatalf("Authenticate with the session cookie: %+v, %v", p, err)
	}
	if p, _ := s.Authenticate(withCookie("not-a-session")); p != nil {
		t.Errorf("an unknown cookie authenticated as %+v", p)
	}

	now = now.Add(SessionLength + time.Second)
	if p, _ := s.Authenticate(withCookie(secret)); p != nil {
		t.Errorf("an expired session still authenticates as %+v", p)
	}

	now = now.Add(-SessionLength)
	if err := s.SignOut(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Authenticate(withCookie(secret)); p != nil {
		t.Errorf("a signed-out session still authenticates as %+v", p)
	}
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)

	for _, bad := range []struct{ role, name, site, field string }{
		{"device", "kiosk", "", "site"},
		{"device", "kiosk", "south", "site"},
		{"owner", "x", "", "role"},
		{"admin", "", "", "name"},
	} {
		_, _, err := s.CreateToken(ctx, bad.role, bad.name, bad.site)
		if frontdoor.AsError(err).Fields[bad.field] == "" {
			t.Errorf("CreateToken(%q, %q, %q): %v, want a message for %s", bad.role, bad.name, bad.site, err, bad.field)
		}
	}

	secret, tok, err := s.CreateToken(ctx, frontdoor.RoleDevice, "Kiosk 1", "north")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "fd_") || len(secret) < 40 {
		t.Errorf("token %q: want fd_ and at least 256 random bits", secret)
	}
	var stored []byte
	s.DB.Read.QueryRow(`SELECT hash FROM tokens WHERE id = ?`, tok.ID).Scan(&stored)
	if sum := sha256.Sum256([]byte(secret)); !bytes.Equal(stored, sum[:]) {
		t.Error("the token is not stored as its SHA-256")
	}

	bearer := func(h string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", h)
		return r
	}
	p, err := s.Authenticate(bearer("Bearer " + secret))
	if err != nil || p == nil || p.Role != frontdoor.RoleDevice || p.Site != "north" || p.Kind != "token" {
		t.Fatalf("Authenticate: %+v, %v", p, err)
	}
	// A lobby screen puts its token in the URL.
	if p, _ := s.Authenticate(httptest.NewRequest("GET", "/sites/north/display?token="+secret, nil)); p == nil || p.ID != tok.ID {
		t.Errorf("?token= did not authenticate: %+v", p)
	}
	for _, h := range []string{"Bearer fd_unknown", "Basic " + secret, "Bearer " + secret + "x", "bearer " + secret} {
		if p, _ := s.Authenticate(bearer(h)); p != nil {
			t.Errorf("Authorization %q authenticated as %+v", h, p)
		}
	}

	revoked, err := s.RevokeToken(ctx, tok.ID)
	if err != nil || revoked.RevokedAt == nil {
		t.Fatalf("RevokeToken: %+v, %v", revoked, err)
	}
	if p, _ := s.Authenticate(bearer("Bearer " + secret)); p != nil {
		t.Errorf("a revoked token authenticated as %+v", p)
	}
	again, err := s.RevokeToken(ctx, tok.ID)
	if err != nil || again.RevokedAt == nil || !again.RevokedAt.Equal(*revoked.RevokedAt) {
		t.Errorf("revoking twice: %+v, %v; want the first revocation kept", again, err)
	}
	if _, err := s.RevokeToken(ctx, tok.ID+100); !frontdoor.IsKind(err, frontdoor.NotFound) {
		t.Errorf("revoking an unknown token: %v, want NotFound", err)
	}
}
