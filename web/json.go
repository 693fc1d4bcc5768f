// Package web holds what every part's HTTP handlers share: JSON in and out,
// errors as the API contract shapes them, middleware (logs, metrics,
// authentication, idempotency), the page renderer and the embedded
// GOV.UK Frontend assets.
package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"frontdoor"
)

// MaxBody is the largest request body accepted. No JSON request or form of
// ours comes near it; larger ones are refused before they are read.
const MaxBody = 64 << 10

// DecodeJSON reads r's JSON body into v. Whatever is wrong with the body
// comes back as a plain-English *frontdoor.Error (400), naming the field
// where it can.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return frontdoor.Errorf(frontdoor.Invalid, "unsupported_media_type", "Send the request body as JSON with Content-Type: application/json.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return frontdoor.Errorf(frontdoor.Invalid, "body_too_large", "The request body is too large: the limit is %d KB.", MaxBody>>10)
		}
		return frontdoor.Errorf(frontdoor.Invalid, "bad_body", "The request body could not be read.")
	}
	return decodeJSONBytes(body, v)
}

// DecodeOptionalJSON is DecodeJSON for requests whose body may be left out:
// an empty body leaves v as it is.
func DecodeOptionalJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		return frontdoor.Errorf(frontdoor.Invalid, "body_too_large", "The request body is too large: the limit is %d KB.", MaxBody>>10)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return decodeJSONBytes(body, v)
}

func decodeJSONBytes(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return frontdoor.Errorf(frontdoor.Invalid, "bad_json", "The request body is empty: send a JSON object.")
	}
	// null decodes into anything without an error and changes nothing: a PUT
	// of null would replace a site's hours with none.
	if string(bytes.TrimSpace(body)) == "null" {
		return frontdoor.Errorf(frontdoor.Invalid, "bad_json", "The request body must be a JSON object, not null.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return frontdoor.Errorf(frontdoor.Invalid, "bad_json", "The request body has more than one JSON value: send one object.")
	}
	return nil
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ) && typ.Field != "":
		return &frontdoor.Error{Kind: frontdoor.Invalid, Code: "bad_json",
			Message: fmt.Sprintf("%s must be %s.", typ.Field, jsonKind(typ.Type.Kind().String())),
			Fields:  map[string]string{typ.Field: "Must be " + jsonKind(typ.Type.Kind().String())}, Err: err}
	case errors.As(err, &typ):
		return frontdoor.Errorf(frontdoor.Invalid, "bad_json", "The request body must be a JSON object.")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return &frontdoor.Error{Kind: frontdoor.Invalid, Code: "bad_json", Message: "The request body is not valid JSON.", Err: err}
	default:
		var fe *frontdoor.Error
		if errors.As(err, &fe) { // from a type's own UnmarshalJSON
			return fe
		}
		return &frontdoor.Error{Kind: frontdoor.Invalid, Code: "bad_json", Message: "The request body is not valid JSON for this request.", Err: err}
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "text"
	case "bool":
		return "true or false"
	case "int", "int64", "int32", "float64":
		return "a whole number"
	case "slice":
		return "a list"
	case "struct", "map":
		return "an object"
	}
	return "of a different type"
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// WriteError answers err in the contract's shape. Internal errors are logged
// with their cause and shown only as a generic message.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := frontdoor.AsError(err)
	status := frontdoor.Status(e)
	if status >= 500 {
		slog.ErrorContext(r.Context(), "request failed", "method", r.Method, "route", RoutePattern(r), "err", err)
	}
	if e.Kind == frontdoor.RateLimited && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "60")
	}
	WriteJSON(w, status, errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Fields: e.Fields}})
}
