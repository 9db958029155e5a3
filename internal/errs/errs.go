// Package errs defines the application's error kinds and stable codes.
//
// Domain and service code return *Error values; only the HTTP edge (api, web)
// maps a Kind to a status code. Codes are stable strings that clients may rely
// on and that the i18n catalogues translate ("err.<code>").
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error for the edge. It is deliberately coarse.
type Kind int

const (
	// Internal is a bug or an infrastructure failure; never caused by input.
	Internal Kind = iota
	// Invalid means the input was wrong; the fields say where.
	Invalid
	// NotFound means the record does not exist or is not visible to the caller.
	NotFound
	// Conflict means the record changed since the caller read it, or a
	// uniqueness rule was hit.
	Conflict
	// Forbidden means the caller is known but may not do this.
	Forbidden
	// Unauthorized means the caller is not signed in or the credential is bad.
	Unauthorized
	// TooMany means the caller must slow down (sign-in throttling, rate limits).
	TooMany
	// Unprocessable means the input is well-formed but a business rule refuses it.
	Unprocessable
)

// FieldError names one field and what is wrong with it.
type FieldError struct {
	Field string         `json:"field"`
	Code  string         `json:"code"`
	Args  map[string]any `json:"args,omitempty"`
	// Row is the 1-based source row for imports; zero otherwise.
	Row int `json:"row,omitempty"`
}

// Error is the application error. Code is stable and machine readable.
type Error struct {
	Kind   Kind
	Code   string
	Args   map[string]any
	Fields []FieldError
	// Data carries extra machine-readable detail (e.g. duplicate candidates).
	Data any
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Code)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Code)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// New makes an error of a kind with a code and optional message arguments.
func New(kind Kind, code string, args ...any) *Error {
	e := &Error{Kind: kind, Code: code}
	if len(args) > 0 {
		e.Args = map[string]any{}
		for i := 0; i+1 < len(args); i += 2 {
			e.Args[fmt.Sprint(args[i])] = args[i+1]
		}
	}
	return e
}

// Field is a validation error about one field; args are name/value
// pairs for the message ("max", 10).
func Field(field, code string, args ...any) error {
	fe := FieldError{Field: field, Code: code}
	if len(args) > 1 {
		fe.Args = map[string]any{}
		for i := 0; i+1 < len(args); i += 2 {
			if k, ok := args[i].(string); ok {
				fe.Args[k] = args[i+1]
			}
		}
	}
	return Validation([]FieldError{fe})
}

// Validation returns an Invalid error listing field problems, or nil if there are none.
func Validation(fields []FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Code: "validation", Fields: fields}
}

// Wrap wraps err with a context message, keeping its kind and code.
func Wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// As extracts the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// KindOf reports the kind of err; Internal for errors that are not *Error.
func KindOf(err error) Kind {
	if e := As(err); e != nil {
		return e.Kind
	}
	return Internal
}

// CodeOf reports the code of err; "internal" for errors that are not *Error.
func CodeOf(err error) string {
	if e := As(err); e != nil {
		return e.Code
	}
	return "internal"
}

// Common constructors, kept here so codes are spelled once.

// NotFoundf reports a missing (or invisible) record of an entity.
func NotFoundf(entity string) *Error { return New(NotFound, "not_found", "entity", entity) }

// Stale reports an optimistic-locking conflict.
func Stale() *Error { return New(Conflict, "stale_version") }

// Denied reports a permission refusal.
func Denied() *Error { return New(Forbidden, "forbidden") }

// With attaches the underlying cause and returns e.
func (e *Error) With(err error) *Error { e.Err = err; return e }

// WithData attaches machine-readable detail and returns e.
func (e *Error) WithData(d any) *Error { e.Data = d; return e }
