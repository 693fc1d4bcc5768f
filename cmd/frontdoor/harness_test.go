package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"frontdoor"
)

// testServer is the real service on 127.0.0.1 with a fresh SQLite file.
type testServer struct {
	t     *testing.T
	app   *app
	URL   string
	Admin string // an admin bearer token
}

// start runs the service with cfg's DB defaulted to a temp file. Set
// cfg.testClock (frontdoor.NewFakeClockAt) for a day of the test's choosing.
func start(t *testing.T, cfg config) *testServer {
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
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	token, _, err := a.staff.CreateToken(context.Background(), frontdoor.RoleAdmin, "test admin", "")
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{t: t, app: a, URL: srv.URL, Admin: token}
}

// response is a finished request: status, headers and body.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it is not JSON.
func (r response) JSON(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response %d is not JSON: %v\n%s", r.Status, err, r.Body)
	}
}

// ErrorCode is error.code of an error answer.
func (r response) ErrorCode(t *testing.T) (code string, fields map[string]string) {
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
func (s *testServer) do(method, path, token string, body any, headers ...string) response {
	s.t.Helper()
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
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
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
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
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
