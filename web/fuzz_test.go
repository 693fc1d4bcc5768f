package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"frontdoor"
)

// fuzzBody has the shapes our request bodies use: text, numbers, flags,
// lists and nested objects.
type fuzzBody struct {
	Site    string            `json:"site"`
	People  int               `json:"people"`
	Minutes float64           `json:"minutes"`
	Walk    bool              `json:"walk_in"`
	List    []string          `json:"services"`
	Bands   []struct{ A int } `json:"weekly"`
	Nested  struct {
		Other string `json:"other"`
	} `json:"needs"`
	Map map[string]int `json:"map"`
}

// FuzzDecodeJSON: whatever the body, DecodeJSON either fills v or returns
// an *frontdoor.Error that WriteError answers with a 4xx, never a 500.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"site":"city-hall","people":2,"services":["HOU","CTX"],"needs":{"other":"ramp"}}`,
		`{"people":"two"}`, `{"people":1e400}`, `{"minutes":-0.5}`, `{"weekly":[{"A":1},{"A":"x"}]}`,
		`null`, ` `, `[]`, `{}{}`, `{"site":"\ud800"}`, `{"map":{"a":1,"b":null}}`, `{"services":null}`,
		`{"people":9223372036854775808}`, `{"site":` + strings.Repeat(`[`, 20000),
	} {
		f.Add(s, "application/json")
	}
	f.Add(`{"site":"x"}`, "text/plain")
	f.Add(`{"site":"x"}`, "")
	f.Fuzz(func(t *testing.T, body, contentType string) {
		r := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(body))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		w := httptest.NewRecorder()
		var v fuzzBody
		err := DecodeJSON(w, r, &v)
		if err == nil {
			return
		}
		if e := frontdoor.AsError(err); e.Kind != frontdoor.Invalid || e.Message == "" {
			t.Fatalf("DecodeJSON(%q): %#v, want an Invalid error with a message", body, e)
		}
		w = httptest.NewRecorder()
		WriteError(w, r, err)
		if w.Code < 400 || w.Code >= 500 {
			t.Fatalf("DecodeJSON(%q) error answered %d", body, w.Code)
		}
	})
}
