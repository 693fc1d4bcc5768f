package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"frontdoor"
)

// fixedAuth is an Authenticator that knows one principal per bearer token.
type fixedAuth map[string]*frontdoor.Principal

func (a fixedAuth) Authenticate(r *http.Request) (*frontdoor.Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "Bearer broken" {
		return nil, errors.New("token store unreachable")
	}
	return a[strings.TrimPrefix(h, "Bearer ")], nil
}

func TestRequire(t *testing.T) {
	auth := fixedAuth{
		"admin":       {Kind: "token", ID: 1, Role: frontdoor.RoleAdmin},
		"officer":     {Kind: "token", ID: 2, Role: frontdoor.RoleOfficer},
		"kiosk-north": {Kind: "token", ID: 3, Role: frontdoor.RoleDevice, Site: "north"},
	}
	r := chi.NewRouter()
	r.Use(Authenticate(auth))
	ok := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }
	r.With(Require(frontdoor.RoleAdmin)).Post("/admin", ok)
	r.With(Require(frontdoor.RoleOfficer, frontdoor.RoleDevice)).Get("/sites/{site}/queue", ok)

	tests := []struct {
		method, path, token string
		want                int
	}{
		{"POST", "/admin", "", 401},
		{"POST", "/admin", "unknown", 401},
		{"POST", "/admin", "officer", 403},
		{"POST", "/admin", "kiosk-north", 403},
		{"POST", "/admin", "admin", 204},
		{"POST", "/admin", "broken", 500},
		{"GET", "/sites/north/queue", "", 401},
		{"GET", "/sites/north/queue", "kiosk-north", 204},
		{"GET", "/sites/south/queue", "kiosk-north", 403},
		{"GET", "/sites/south/queue", "officer", 204},
		{"GET", "/sites/south/queue", "admin", 204},
	}
	for _, tc := range tests {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code != tc.want {
			t.Errorf("%s %s as %q: %d, want %d: %s", tc.method, tc.path, tc.token, w.Code, tc.want, w.Body)
		}
	}
}

func TestMetricsLabelRoutePatterns(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	r := chi.NewRouter()
	r.Use(m.Observe)
	r.Get("/manage/{reference}", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	r.Get("/panic", func(http.ResponseWriter, *http.Request) { panic("fault") })

	serve := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w
	}
	serve("/manage/HX7-K2Q")
	serve("/manage/SECRET-REF")
	serve("/no/such/SECRET-PATH")
	if w := serve("/panic"); w.Code != 500 || !strings.Contains(w.Body.String(), `"code":"internal"`) {
		t.Errorf("a panicking handler answered %d %s, want a 500 error", w.Code, w.Body)
	}

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if got := counter(families, "frontdoor_http_requests_total", "/manage/{reference}", "200"); got != 2 {
		t.Errorf("requests for /manage/{reference} = %v, want 2", got)
	}
	if got := counter(families, "frontdoor_http_requests_total", "/panic", "500"); got != 1 {
		t.Errorf("requests for /panic with 500 = %v, want 1", got)
	}
	for _, f := range families {
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if strings.Contains(l.GetValue(), "SECRET") || strings.Contains(l.GetValue(), "HX7") {
					t.Errorf("%s has a label with a path in it: %s=%q", f.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}

// counter is the value of the metric name with route and code labels.
func counter(families []*dto.MetricFamily, name, route, code string) float64 {
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["route"] == route && labels["code"] == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
