package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"golang.org/x/crypto/bcrypt"

	"frontdoor"
)

// staffRoute is a route of the foundation that needs a staff role.
type staffRoute struct {
	method, pattern string
	path            string // pattern with city-hall, HOU, ... filled in
	body            any
	roles           []string // roles, besides admin, that may use it
	site            bool     // scoped to the site in its path
}

// foundationStaffRoutes are issue 3's routes that need credentials. The
// test below checks that each is on the router.
var foundationStaffRoutes = []staffRoute{
	{"POST", "/api/v1/sites", "/api/v1/sites",
		map[string]any{"id": "auth-site", "name": "Auth", "address": "1 Road", "timezone": "Europe/London"}, nil, false},
	{"POST", "/api/v1/sites/{site}/services", "/api/v1/sites/city-hall/services",
		map[string]any{"code": "BEN", "name": "Benefits", "duration_minutes": 20, "ticket_prefix": "B"}, nil, true},
	{"POST", "/api/v1/sites/{site}/desks", "/api/v1/sites/city-hall/desks",
		map[string]any{"id": "desk-7", "name": "Desk 7", "services": []string{"HOU"}}, nil, true},
	{"PUT", "/api/v1/sites/{site}/hours", "/api/v1/sites/city-hall/hours",
		map[string]any{"weekly": []map[string]string{{"weekday": "monday", "open": "09:00", "close": "17:00"}}}, nil, true},
	{"PUT", "/api/v1/sites/{site}/services/{code}/capacity", "/api/v1/sites/city-hall/services/HOU/capacity",
		map[string]any{"weekly": []map[string]any{{"weekday": "monday", "from": "09:00", "to": "12:00", "parallel": 1}}}, nil, true},
	{"GET", "/api/v1/sites/{site}/desks", "/api/v1/sites/city-hall/desks", nil,
		[]string{frontdoor.RoleManager, frontdoor.RoleReception, frontdoor.RoleOfficer, frontdoor.RoleDevice}, true},
	{"GET", "/api/v1/users", "/api/v1/users", nil, nil, false},
	{"POST", "/api/v1/users", "/api/v1/users",
		map[string]any{"name": "New Officer", "role": "officer", "password": "correct horse battery"}, nil, false},
	{"GET", "/api/v1/tokens", "/api/v1/tokens", nil, nil, false},
	{"POST", "/api/v1/tokens", "/api/v1/tokens", map[string]any{"name": "CRM", "role": "manager"}, nil, false},
	{"POST", "/api/v1/tokens/{id}/revoke", "/api/v1/tokens/999/revoke", nil, nil, false}, // no such token: 404 once past the check
	{"PUT", "/api/v1/clock", "/api/v1/clock", map[string]any{"now": "2099-01-01T09:00:00Z"}, nil, false},
}

// publicRoutes need no credentials.
var publicRoutes = map[string]string{
	"GET /":                                             "/",
	"GET /healthz":                                      "/healthz",
	"GET /metrics":                                      "/metrics",
	"GET /api/v1/openapi.json":                          "/api/v1/openapi.json",
	"GET /api/v1/sites":                                 "/api/v1/sites",
	"GET /api/v1/sites/{site}":                          "/api/v1/sites/city-hall",
	"GET /api/v1/sites/{site}/services":                 "/api/v1/sites/city-hall/services",
	"GET /api/v1/sites/{site}/services/{code}":          "/api/v1/sites/city-hall/services/HOU",
	"GET /api/v1/sites/{site}/hours":                    "/api/v1/sites/city-hall/hours",
	"GET /api/v1/sites/{site}/services/{code}/capacity": "/api/v1/sites/city-hall/services/HOU/capacity",
	"GET /api/v1/sites/{site}/services/{code}/slots":    "/api/v1/sites/city-hall/services/HOU/slots",
	"GET /api/v1/clock":                                 "/api/v1/clock",
	"GET /sign-in":                                      "/sign-in",
	"GET /assets/*":                                     "/assets/images/favicon.svg",
	"GET /staff":                                        "", // a page: sends a signed-out visitor to sign in
	"POST /sign-in":                                     "",
	"POST /sign-out":                                    "",
	"POST /api/v1/bookings":                             "", // residents book without an account
	"GET /qr/{code}.png":                                "", // carries a secret of its own
	"GET /manage/{reference}/{token}/calendar.ics":      "", // carries a secret of its own
	"GET /api/v1/sites/{site}/events":                   "", // public unless the site asks for a device token: display's tests
	"GET /api/v1/bookings/{reference}":                  "", // a booking's manage token: booking's tests
	"POST /api/v1/bookings/{reference}/cancel":          "", // a booking's manage token: booking's tests
	"POST /api/v1/bookings/{reference}/reschedule":      "", // a booking's manage token: booking's tests
}

// routeKeys is every "METHOD pattern" on the router.
func routeKeys(t *testing.T, r chi.Routes) []string {
	t.Helper()
	var keys []string
	err := chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		keys = append(keys, method+" "+strings.ReplaceAll(route, "/*/", "/"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

// fillPattern puts harmless values in a route pattern's parameters.
func fillPattern(pattern string) string {
	r := strings.NewReplacer("{site}", "city-hall", "{code}", "HOU", "{id}", "1", "{desk}", "desk-1", "{reference}", "NOPE", "{token}", "x", "*", "x")
	return r.Replace(pattern)
}

func TestAuthEveryStaffRoute(t *testing.T) {
	s := start(t, config{FakeClock: true})
	s.setupCentre()
	s.must(201, "POST", "/api/v1/sites", s.Admin, map[string]any{"id": "town-hall", "name": "Town Hall", "address": "2 Market Place", "timezone": "Europe/London"})

	routes := routeKeys(t, s.app.router)
	for _, sr := range foundationStaffRoutes {
		if !slices.Contains(routes, sr.method+" "+sr.pattern) {
			t.Errorf("%s %s is not on the router", sr.method, sr.pattern)
		}
	}

	revoked := s.token(frontdoor.RoleAdmin, "")
	s.revoke(revoked)
	tokens := map[string]string{}
	for _, role := range []string{frontdoor.RoleManager, frontdoor.RoleReception, frontdoor.RoleOfficer} {
		tokens[role] = s.token(role, "")
	}
	deviceHere := s.token(frontdoor.RoleDevice, "city-hall")
	deviceThere := s.token(frontdoor.RoleDevice, "town-hall")
	officerThere := s.token(frontdoor.RoleOfficer, "town-hall")
	adminHere := s.token(frontdoor.RoleAdmin, "city-hall")
	adminThere := s.token(frontdoor.RoleAdmin, "town-hall")

	type refusal struct {
		who, token string
		status     int
		code       string
	}
	before := s.dump()
	for _, sr := range foundationStaffRoutes {
		refusals := []refusal{
			{"no token", "", 401, "unauthorized"},
			{"an unknown token", "fd_" + strings.Repeat("a", 52), 401, "unauthorized"},
			{"a token that is not ours", "eyJhbGciOiJIUzI1NiJ9.e30.x", 401, "unauthorized"},
			{"a revoked admin token", revoked, 401, "unauthorized"},
		}
		for role, tok := range tokens {
			if !slices.Contains(sr.roles, role) {
				refusals = append(refusals, refusal{"role " + role, tok, 403, "forbidden"})
			}
		}
		if !slices.Contains(sr.roles, frontdoor.RoleDevice) {
			refusals = append(refusals, refusal{"a device of this site", deviceHere, 403, "forbidden"})
		}
		// An admin of one site works on that site, not on another, nor on
		// what is not about one site (new sites, staff, tokens, the clock).
		refusals = append(refusals, refusal{"an admin of another site", adminThere, 403, "forbidden"})
		if !sr.site {
			refusals = append(refusals, refusal{"an admin of one site", adminHere, 403, "forbidden"})
		}
		if sr.site {
			refusals = append(refusals, refusal{"a device of another site", deviceThere, 403, "forbidden"})
			if slices.Contains(sr.roles, frontdoor.RoleOfficer) {
				refusals = append(refusals, refusal{"an officer of another site", officerThere, 403, "forbidden"})
			}
		}
		for _, rf := range refusals {
			r := s.do(sr.method, sr.path, rf.token, sr.body)
			if r.Status != rf.status {
				t.Errorf("%s %s with %s: %d, want %d: %s", sr.method, sr.path, rf.who, r.Status, rf.status, r.Body)
				continue
			}
			if code, _ := r.ErrorCode(t); code != rf.code {
				t.Errorf("%s %s with %s: error.code %q, want %q", sr.method, sr.path, rf.who, code, rf.code)
			}
		}
	}
	if after := s.dump(); after != before {
		t.Errorf("refused requests changed the database:\nbefore\n%s\nafter\n%s", before, after)
	}

	// Those allowed get past the check.
	for _, sr := range foundationStaffRoutes {
		allowed := map[string]string{"admin": s.Admin}
		if sr.site {
			allowed["admin of this site"] = adminHere
		}
		for _, role := range sr.roles {
			if role == frontdoor.RoleDevice {
				allowed["device of this site"] = deviceHere
			} else {
				allowed[role] = tokens[role]
			}
		}
		for who, tok := range allowed {
			r := s.do(sr.method, sr.path, tok, sr.body)
			if r.Status == 401 || r.Status == 403 || r.Status >= 500 {
				t.Errorf("%s %s as %s: %d: %s", sr.method, sr.path, who, r.Status, r.Body)
			}
		}
	}
}

// Every API route on the router is either public or refuses a request
// without credentials. A new public API route belongs in publicRoutes; any
// other must answer 401 to a request that carries none. (Pages are left to
// their parts: a staff page sends a signed-out visitor to sign in.)
func TestAuthEveryOtherRouteNeedsCredentials(t *testing.T) {
	s := start(t, config{FakeClock: true})
	s.setupCentre()
	staffKeys := map[string]bool{}
	for _, sr := range foundationStaffRoutes {
		staffKeys[sr.method+" "+sr.pattern] = true
	}
	checked := 0
	for _, key := range routeKeys(t, s.app.router) {
		method, pattern, _ := strings.Cut(key, " ")
		if path, public := publicRoutes[key]; public {
			if path != "" {
				if r := s.do(method, path, "", nil); r.Status == 401 || r.Status == 403 || r.Status >= 300 {
					t.Errorf("public %s: %d without credentials: %.200s", key, r.Status, r.Body)
				}
			}
			continue
		}
		if staffKeys[key] || !(strings.HasPrefix(pattern, "/api/") || strings.HasPrefix(pattern, "/webhooks/")) {
			continue // TestAuthEveryStaffRoute, or a page
		}
		var body any
		if method != "GET" {
			body = map[string]any{}
		}
		// A bound on each request, so that a route that streams cannot hang the test.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		r, err := s.sendContext(ctx, method, fillPattern(pattern), "", body)
		cancel()
		switch {
		case err != nil:
			t.Errorf("%s: %v", key, err)
		case r.Status != 401:
			t.Errorf("%s: %d without credentials, want 401 (or list it in publicRoutes): %.200s", key, r.Status, r.Body)
		}
		checked++
	}
	t.Logf("checked %d other API routes without credentials", checked)
}

func (s *testServer) signIn(name, password string, headers ...string) response {
	s.t.Helper()
	return s.page("POST", "/sign-in", url.Values{"name": {name}, "password": {password}}, nil, headers...)
}

func sessionCookie(r response) *http.Cookie {
	for _, c := range r.Cookies {
		if c.Name == "frontdoor_session" {
			return c
		}
	}
	return nil
}

func TestStaffSignInAndOut(t *testing.T) {
	s := start(t, config{})
	const password = "correct horse battery"
	if _, err := s.app.staff.CreateUser(context.Background(), "Priya Officer", frontdoor.RoleOfficer, "", password); err != nil {
		t.Fatal(err)
	}

	if r := s.page("GET", "/staff", nil, nil); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/sign-in") {
		t.Fatalf("GET /staff signed out: %d to %q, want 303 to /sign-in", r.Status, r.Header.Get("Location"))
	}
	if r := s.page("GET", "/sign-in", nil, nil); r.Status != 200 || !bytes.Contains(r.Body, []byte(`name="password"`)) {
		t.Fatalf("GET /sign-in: %d", r.Status)
	}

	for _, bad := range []struct{ name, password string }{
		{"Priya Officer", "wrong horse battery"},
		{"Nobody", password},
	} {
		r := s.signIn(bad.name, bad.password)
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("sign in as %q with a wrong password: %d, want 422", bad.name, r.Status)
		}
		if !bytes.Contains(r.Body, []byte("govuk-error-summary")) || !bytes.Contains(r.Body, []byte("The name or password is not right")) {
			t.Errorf("sign in as %q: no error summary:\n%s", bad.name, r.Body)
		}
		if c := sessionCookie(r); c != nil {
			t.Errorf("a failed sign-in set a session cookie")
		}
	}
	if r := s.signIn("", ""); r.Status != 422 || !bytes.Contains(r.Body, []byte("Enter your name")) || !bytes.Contains(r.Body, []byte("Enter your password")) {
		t.Errorf("empty sign-in: %d", r.Status)
	}
	if n := s.count(`SELECT COUNT(*) FROM sessions`); n != 0 {
		t.Errorf("failed sign-ins left %d sessions", n)
	}

	r := s.signIn("priya officer", password)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/staff" {
		t.Fatalf("sign in: %d to %q, want 303 to /staff", r.Status, r.Header.Get("Location"))
	}
	cookie := sessionCookie(r)
	if cookie == nil || cookie.Value == "" {
		t.Fatal("sign in set no session cookie")
	}
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" {
		t.Errorf("session cookie: HttpOnly=%v SameSite=%v Path=%q; want HttpOnly, Lax, /", cookie.HttpOnly, cookie.SameSite, cookie.Path)
	}

	home := s.page("GET", "/staff", nil, []*http.Cookie{cookie})
	if home.Status != 200 || !bytes.Contains(home.Body, []byte("Priya Officer")) {
		t.Fatalf("GET /staff signed in: %d, want 200 showing the name:\n%s", home.Status, home.Body)
	}
	// The session is a principal like any other: an officer may not do admin work.
	if r := s.page("GET", "/api/v1/users", nil, []*http.Cookie{cookie}); r.Status != 403 {
		t.Errorf("officer's session on GET /api/v1/users: %d, want 403", r.Status)
	}

	out := s.page("POST", "/sign-out", url.Values{}, []*http.Cookie{cookie})
	if out.Status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", out.Status)
	}
	if c := sessionCookie(out); c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Errorf("sign out did not clear the cookie: %+v", c)
	}
	if r := s.page("GET", "/staff", nil, []*http.Cookie{cookie}); r.Status != http.StatusSeeOther {
		t.Errorf("the old session cookie still works after sign-out: %d", r.Status)
	}
	if n := s.count(`SELECT COUNT(*) FROM sessions`); n != 0 {
		t.Errorf("sign-out left %d sessions", n)
	}
}

// Served over HTTPS, the session cookie is marked Secure.
func TestSessionCookieSecureOverHTTPS(t *testing.T) {
	s := start(t, config{BaseURL: "https://frontdoor.example.gov.uk"})
	if _, err := s.app.staff.CreateUser(context.Background(), "Ann", frontdoor.RoleOfficer, "", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if c := sessionCookie(s.signIn("Ann", "correct horse battery")); c == nil || !c.Secure {
		t.Errorf("session cookie %+v, want Secure", c)
	}
}

// Only a safe path on this site is followed after sign-in.
func TestSignInNextStaysOnSite(t *testing.T) {
	s := start(t, config{})
	if _, err := s.app.staff.CreateUser(context.Background(), "Ann", frontdoor.RoleAdmin, "", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	for next, want := range map[string]string{
		"/api/v1/users":        "/api/v1/users",
		"https://evil.example": "/staff",
		"//evil.example/x":     "/staff",
		`/\evil.example`:       "/staff",
	} {
		r := s.page("POST", "/sign-in", url.Values{"name": {"Ann"}, "password": {"correct horse battery"}, "next": {next}}, nil)
		if got := r.Header.Get("Location"); r.Status != 303 || got != want {
			t.Errorf("next=%q: %d to %q, want 303 to %q", next, r.Status, got, want)
		}
	}
}

func TestCrossSiteRequestsAreRefused(t *testing.T) {
	s := start(t, config{})
	s.setupCentre()
	const password = "correct horse battery"
	if _, err := s.app.staff.CreateUser(context.Background(), "Ann Admin", frontdoor.RoleAdmin, "", password); err != nil {
		t.Fatal(err)
	}
	site := map[string]any{"id": "evil-site", "name": "Evil", "address": "1 Road", "timezone": "Europe/London"}
	crossSite := [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
	}
	before := s.dump()
	for _, h := range crossSite {
		if r := s.signIn("Ann Admin", password, h...); r.Status != 403 || sessionCookie(r) != nil {
			t.Errorf("sign-in with %s: %s: %d, want 403 and no cookie", h[0], h[1], r.Status)
		}
		r := s.do("POST", "/api/v1/sites", s.Admin, site, h...)
		if r.Status != 403 {
			t.Errorf("API POST with %s: %s: %d, want 403", h[0], h[1], r.Status)
		} else if code, _ := r.ErrorCode(t); code != "cross_origin" {
			t.Errorf("API POST with %s: %s: code %q", h[0], h[1], code)
		}
		if r := s.do("PUT", "/api/v1/sites/city-hall/hours", s.Admin, map[string]any{"weekly": []any{}}, h...); r.Status != 403 {
			t.Errorf("API PUT with %s: %s: %d, want 403", h[0], h[1], r.Status)
		}
	}
	if after := s.dump(); after != before {
		t.Errorf("cross-site requests changed the database")
	}

	// The same requests from this site's own pages go through.
	if r := s.signIn("Ann Admin", password, "Sec-Fetch-Site", "same-origin"); r.Status != 303 || sessionCookie(r) == nil {
		t.Errorf("same-origin sign-in: %d", r.Status)
	}
	s.must(201, "POST", "/api/v1/sites", s.Admin, site)
	// A cross-site GET is harmless and allowed.
	if r := s.do("GET", "/api/v1/sites", "", nil, "Sec-Fetch-Site", "cross-site"); r.Status != 200 {
		t.Errorf("cross-site GET: %d", r.Status)
	}
}

// Passwords are kept as bcrypt hashes and tokens and sessions as SHA-256
// hashes: none of the secrets is anywhere in the database's files.
func TestSecretsAreStoredHashed(t *testing.T) {
	s := start(t, config{})
	s.setupCentre()
	const password = "correct horse battery staple"
	s.must(201, "POST", "/api/v1/users", s.Admin, map[string]any{"name": "Ann Admin", "role": "admin", "password": password})
	var created struct {
		Token string `json:"token"`
	}
	s.must(201, "POST", "/api/v1/tokens", s.Admin, map[string]any{"name": "Kiosk", "role": "device", "site": "city-hall"}).JSON(t, &created)
	if !strings.HasPrefix(created.Token, "fd_") {
		t.Fatalf("POST /api/v1/tokens answered no token")
	}
	s.must(200, "GET", "/api/v1/sites/city-hall/desks", created.Token, nil)
	cookie := sessionCookie(s.signIn("Ann Admin", password))
	if cookie == nil {
		t.Fatal("no session")
	}

	var hash string
	if err := s.app.db.Read.QueryRow(`SELECT password_hash FROM users WHERE name = 'Ann Admin'`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if _, err := bcrypt.Cost([]byte(hash)); err != nil || bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		t.Errorf("password_hash %q is not the password's bcrypt hash", hash)
	}
	for _, secret := range []string{created.Token, s.Admin} {
		sum := sha256.Sum256([]byte(secret))
		if n := s.count(`SELECT COUNT(*) FROM tokens WHERE hash = ?`, sum[:]); n != 1 {
			t.Errorf("no token row holds the SHA-256 of %.6s…", secret)
		}
	}
	// API answers never show a hash.
	for _, path := range []string{"/api/v1/users", "/api/v1/tokens"} {
		if r := s.must(200, "GET", path, s.Admin, nil); bytes.Contains(r.Body, []byte("$2a$")) || bytes.Contains(r.Body, []byte("hash")) {
			t.Errorf("GET %s shows a hash: %s", path, r.Body)
		}
	}

	s.stop() // closes the database so that everything is in its files
	files := dbFiles(t, s.app.db.Path)
	if !bytes.Contains(files, []byte("Ann Admin")) {
		t.Fatal("the database files do not hold what was written: wrong files?")
	}
	for what, secret := range map[string]string{"password": password, "API token": created.Token, "admin token": s.Admin, "session cookie": cookie.Value} {
		if bytes.Contains(files, []byte(secret)) {
			t.Errorf("the %s is in the database file as it is", what)
		}
	}
}
