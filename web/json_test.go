package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"frontdoor"
)

type sample struct {
	Name    string   `json:"name"`
	Minutes int      `json:"minutes"`
	Open    bool     `json:"open"`
	Codes   []string `json:"codes"`
	Inner   struct {
		Count int `json:"count"`
	} `json:"inner"`
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		code        string // "" = accepted
		field       string // the field named in error.fields, if any
	}{
		{"object", "application/json", `{"name":"Desk 1","minutes":20}`, "", ""},
		{"charset", "application/json; charset=utf-8", `{"name":"x"}`, "", ""},
		{"no content type", "", `{"name":"x"}`, "", ""},
		{"unknown fields are ignored", "application/json", `{"name":"x","colour":"blue"}`, "", ""},
		{"empty", "application/json", ``, "bad_json", ""},
		{"blank", "application/json", " \n\t", "bad_json", ""},
		{"null", "application/json", `null`, "bad_json", ""},
		{"malformed", "application/json", `{"name":`, "bad_json", ""},
		{"trailing comma", "application/json", `{"name":"x",}`, "bad_json", ""},
		{"two values", "application/json", `{"name":"x"}{"name":"y"}`, "bad_json", ""},
		{"array", "application/json", `[{"name":"x"}]`, "bad_json", ""},
		{"string", "application/json", `"x"`, "bad_json", ""},
		{"number as text", "application/json", `{"minutes":"20"}`, "bad_json", "minutes"},
		{"text as number", "application/json", `{"name":7}`, "bad_json", "name"},
		{"bool as text", "application/json", `{"open":"yes"}`, "bad_json", "open"},
		{"list as text", "application/json", `{"codes":"HOU"}`, "bad_json", "codes"},
		{"fraction", "application/json", `{"minutes":2.5}`, "bad_json", "minutes"},
		{"nested", "application/json", `{"inner":{"count":"3"}}`, "bad_json", "inner.count"},
		{"form", "application/x-www-form-urlencoded", `name=x`, "unsupported_media_type", ""},
		{"text", "text/plain", `{"name":"x"}`, "unsupported_media_type", ""},
		{"too large", "application/json", `{"name":"` + strings.Repeat("x", MaxBody) + `"}`, "body_too_large", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/v1/things", strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			var v sample
			err := DecodeJSON(httptest.NewRecorder(), r, &v)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e := frontdoor.AsError(err)
			if err == nil || e.Code != tc.code || e.Kind != frontdoor.Invalid || e.Message == "" {
				t.Fatalf("err = %v, want a 400 %s with a message", err, tc.code)
			}
			if tc.field != "" && e.Fields[tc.field] == "" {
				t.Errorf("fields = %v, want a message for %q", e.Fields, tc.field)
			}
			if tc.field == "" && len(e.Fields) > 0 {
				t.Errorf("fields = %v, want none", e.Fields)
			}
		})
	}
}

// A type's own UnmarshalJSON may refuse its input with a *frontdoor.Error;
// that error reaches the client as it is.
type picky struct{}

func (*picky) UnmarshalJSON([]byte) error {
	return &frontdoor.Error{Kind: frontdoor.Invalid, Code: "bad_json", Message: "Picky says no.", Fields: map[string]string{"picky": "No"}}
}

func TestDecodeJSONKeepsUnmarshalerErrors(t *testing.T) {
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"p":1}`))
	var v struct {
		P picky `json:"p"`
	}
	e := frontdoor.AsError(DecodeJSON(httptest.NewRecorder(), r, &v))
	if e.Message != "Picky says no." || e.Fields["picky"] != "No" {
		t.Errorf("got %+v", e)
	}
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		kind   frontdoor.Kind
		status int
	}{
		{frontdoor.Invalid, 400},
		{frontdoor.Unauthorized, 401},
		{frontdoor.Forbidden, 403},
		{frontdoor.NotFound, 404},
		{frontdoor.Conflict, 409},
		{frontdoor.Unprocessable, 422},
		{frontdoor.RateLimited, 429},
		{frontdoor.Internal, 500},
	}
	for _, tc := range tests {
		w := httptest.NewRecorder()
		err := &frontdoor.Error{Kind: tc.kind, Code: "some_code", Message: "What happened.", Fields: map[string]string{"f": "Fix f"}}
		WriteError(w, httptest.NewRequest("GET", "/", nil), err)
		if w.Code != tc.status {
			t.Errorf("kind %d: status %d, want %d", tc.kind, w.Code, tc.status)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("kind %d: Content-Type %q", tc.kind, ct)
		}
		var body struct {
			Error struct {
				Code, Message string
				Fields        map[string]string
			}
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("kind %d: %v: %s", tc.kind, err, w.Body)
		}
		if body.Error.Code != "some_code" || body.Error.Message != "What happened." || body.Error.Fields["f"] != "Fix f" {
			t.Errorf("kind %d: body %s", tc.kind, w.Body)
		}
		if tc.kind == frontdoor.RateLimited && w.Header().Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
}

// A fault of ours is a 500 whose answer does not show the cause.
func TestWriteErrorHidesInternalCause(t *testing.T) {
	w := httptest.NewRecorder()
	WriteError(w, httptest.NewRequest("GET", "/", nil), errors.New("sqlite: disk I/O error at /var/secret/path"))
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", w.Code)
	}
	if strings.Contains(w.Body.String(), "secret") || !strings.Contains(w.Body.String(), `"code":"internal"`) {
		t.Errorf("body %s", w.Body)
	}
}
