package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"frontdoor"
)

// testServer is the real service on 127.0.0.1 with a fresh SQLite file.
type testServer struct {
	t     testing.TB
	app   *app
	URL   string
	Admin string // an admin bearer token
	stop  func() // closes the server and the app; also run at cleanup
}

// start runs the service with cfg's DB defaulted to a temp file. Set
// cfg.testClock (frontdoor.NewFakeClockAt) for a day of the test's choosing.
func start(t testing.TB, cfg config) *testServer {
	t.Helper()
	if cfg.DB == "" {
		cfg.DB = filepath.Join(t.TempDir(), "frontdoor.db")
	}
	if cfg.ServiceName == "" {
		cfg.ServiceName = "Frontdoor"
	}
	a, err := newApp(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.handler)
	a.cfg.BaseURL = srv.URL
	a.booking.BaseURL = srv.URL
	s := &testServer{t: t, app: a, URL: srv.URL}
	s.stop = sync.OnceFunc(func() {
		a.stop() // ends event streams first: httptest's Close waits for them
		srv.Close()
		a.Close()
	})
	t.Cleanup(s.stop)
	token, _, err := a.staff.CreateToken(context.Background(), frontdoor.RoleAdmin, "test admin", "")
	if err != nil {
		t.Fatal(err)
	}
	s.Admin = token
	return s
}

// response is a finished request: status, headers and body.
type response struct {
	Status  int
	Header  http.Header
	Body    []byte
	Cookies []*http.Cookie
}

// JSON decodes the body into v, failing the test if it is not JSON.
func (r response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response %d is not JSON: %v\n%s", r.Status, err, r.Body)
	}
}

// ErrorCode is error.code of an error answer.
func (r response) ErrorCode(t testing.TB) (code string, fields map[string]string) {
	t.Helper()
	var e struct {
		Error struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	r.JSON(t, &e)
	if e.Error.Message == "" {
		t.Fatalf("error answer without a message: %s", r.Body)
	}
	return e.Error.Code, e.Error.Fields
}

// do sends a request; body may be nil, a string (sent as is) or a value sent as JSON.
// headers are name, value pairs that are set after the defaults.
func (s *testServer) do(method, path, token string, body any, headers ...string) response {
	s.t.Helper()
	r, err := s.send(method, path, token, body, headers...)
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

// send is do for goroutines other than the test's own: it reports failure
// as an error instead of stopping the test.
func (s *testServer) send(method, path, token string, body any, headers ...string) (response, error) {
	return s.sendContext(context.Background(), method, path, token, body, headers...)
}

// sendContext is send with a context that can end the request.
func (s *testServer) sendContext(ctx context.Context, method, path, token string, body any, headers ...string) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return roundTrip(http.DefaultClient, req)
}

func roundTrip(c *http.Client, req *http.Request) (response, error) {
	resp, err := c.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: read answer: %w", req.Method, req.URL.Path, err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b, Cookies: resp.Cookies()}, nil
}

// browser does not follow redirects, so tests see the 303 and its cookies.
var browser = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// page sends a request as a browser would: a form body when form is not nil,
// the given cookies, headers as name, value pairs; redirects are not followed.
func (s *testServer) page(method, path string, form url.Values, cookies []*http.Cookie, headers ...string) response {
	s.t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	r, err := roundTrip(browser, req)
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

// token makes a bearer token with role, limited to site when it is not "".
func (s *testServer) token(role, site string) string {
	s.t.Helper()
	secret, _, err := s.app.staff.CreateToken(context.Background(), role, "test "+role+" "+site, site)
	if err != nil {
		s.t.Fatal(err)
	}
	return secret
}

// revoke stops the token secret working.
func (s *testServer) revoke(secret string) {
	s.t.Helper()
	sum := sha256.Sum256([]byte(secret))
	var id int64
	if err := s.app.db.Read.QueryRow(`SELECT id FROM tokens WHERE hash = ?`, sum[:]).Scan(&id); err != nil {
		s.t.Fatalf("find token: %v", err)
	}
	if _, err := s.app.staff.RevokeToken(context.Background(), id); err != nil {
		s.t.Fatal(err)
	}
}

// count runs a SELECT COUNT(*) (or any query of one integer) on the read pool.
func (s *testServer) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.app.db.Read.QueryRow(query, args...).Scan(&n); err != nil {
		s.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// dump is every row of every table, as text: two dumps are equal when
// nothing was written in between.
func (s *testServer) dump() string {
	s.t.Helper()
	d, err := dumpDB(s.app.db.Read)
	if err != nil {
		s.t.Fatal(err)
	}
	return d
}

func dumpDB(db *sql.DB) (string, error) {
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return "", err
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return "", err
		}
		tables = append(tables, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	var b strings.Builder
	for _, table := range tables {
		fmt.Fprintf(&b, "== %s\n", table)
		rows, err := db.Query(`SELECT * FROM "` + table + `" ORDER BY rowid`)
		if err != nil {
			return "", err
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return "", err
			}
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = fmt.Sprintf("%x", bs)
				}
				fmt.Fprintf(&b, "%s=%v ", cols[i], v)
			}
			b.WriteString("\n")
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// must sends a request and fails the test unless it answers want.
func (s *testServer) must(want int, method, path, token string, body any) response {
	s.t.Helper()
	r := s.do(method, path, token, body)
	if r.Status != want {
		s.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.Status, want, r.Body)
	}
	return r
}

// setupCentre creates a site "city-hall" (Europe/London) with service HOU
// (20 min) and CTX (15 min), desk-1 serving both, Mon–Fri 09:00–17:00 and
// capacity 1 from 09:00 to 12:00 for HOU.
func (s *testServer) setupCentre() {
	s.t.Helper()
	s.must(201, "POST", "/api/v1/sites", s.Admin, map[string]any{"id": "city-hall", "name": "City Hall", "address": "1 High Street, Townsville TS1 1AA", "timezone": "Europe/London"})
	s.must(201, "POST", "/api/v1/sites/city-hall/services", s.Admin, map[string]any{"code": "HOU", "name": "Housing options", "duration_minutes": 20, "ticket_prefix": "H"})
	s.must(201, "POST", "/api/v1/sites/city-hall/services", s.Admin, map[string]any{"code": "CTX", "name": "Council Tax", "duration_minutes": 15, "ticket_prefix": "C"})
	s.must(201, "POST", "/api/v1/sites/city-hall/desks", s.Admin, map[string]any{"id": "desk-1", "name": "Desk 1", "services": []string{"HOU", "CTX"}})
	var weekly []map[string]string
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		weekly = append(weekly, map[string]string{"weekday": d, "open": "09:00", "close": "17:00"})
	}
	s.must(200, "PUT", "/api/v1/sites/city-hall/hours", s.Admin, map[string]any{"weekly": weekly, "closures": []string{"2026-12-25"}})
	var bands []map[string]any
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		bands = append(bands, map[string]any{"weekday": d, "from": "09:00", "to": "12:00", "parallel": 1})
	}
	s.must(200, "PUT", "/api/v1/sites/city-hall/services/HOU/capacity", s.Admin, map[string]any{"weekly": bands})
}
