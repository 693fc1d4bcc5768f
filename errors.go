package frontdoor

import (
	"errors"
	"fmt"
	"net/http"
)

// Kind says what sort of failure an Error is; it alone decides the HTTP status.
type Kind int

const (
	Internal      Kind = iota // a fault of ours: 500, details logged, not shown
	Invalid                   // bad input: 400
	Unauthorized              // no valid credentials: 401
	Forbidden                 // credentials that may not do this: 403
	NotFound                  // 404
	Conflict                  // the state does not allow it (full, already done, stale): 409
	Unprocessable             // well-formed but not acceptable (not a slot, wrong day): 422
	RateLimited               // 429
)

// Error is a failure a person can be told about: a machine-readable code, a
// plain-English message and, for forms and JSON bodies, a message per field.
type Error struct {
	Kind    Kind
	Code    string            // e.g. "slot_full", "validation_failed"
	Message string            // plain English for a person
	Fields  map[string]string // field name -> what is wrong with it
	Err     error             // the cause, for logs; never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf makes an Error of the given kind and code with a formatted message.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrors is the error for a request with one or more bad fields.
func FieldErrors(fields map[string]string) *Error {
	msg := "Check the details you entered"
	if len(fields) == 1 {
		for _, m := range fields {
			msg = m
		}
	}
	return &Error{Kind: Invalid, Code: "validation_failed", Message: msg, Fields: fields}
}

// AsError returns err's *Error, or an Internal one wrapping it.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: Internal, Code: "internal", Message: "Something went wrong on our side. Please try again.", Err: err}
}

// Status is the HTTP status for err.
func Status(err error) int {
	switch AsError(err).Kind {
	case Invalid:
		return http.StatusBadRequest
	case Unauthorized:
		return http.StatusUnauthorized
	case Forbidden:
		return http.StatusForbidden
	case NotFound:
		return http.StatusNotFound
	case Conflict:
		return http.StatusConflict
	case Unprocessable:
		return http.StatusUnprocessableEntity
	case RateLimited:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// IsKind reports whether err is an *Error of kind k.
func IsKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}
