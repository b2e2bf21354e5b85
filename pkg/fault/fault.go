// Package fault defines the typed errors domain code returns. Each carries a
// stable snake_case code and a kind; the HTTP layer maps the kind to a status
// in one place, so domain packages never know about HTTP.
package fault

import (
	"errors"
	"fmt"
)

// Kind says what sort of failure an Error is; transports map it to a status.
type Kind int

const (
	KindInvalid      Kind = iota + 1 // the input is well-formed but fails validation
	KindMalformed                    // the input cannot be parsed at all
	KindUnauthorized                 // no or wrong credentials
	KindForbidden                    // credentials fine, action refused
	KindNotFound                     // the thing does not exist (for this caller)
	KindConflict                     // the request clashes with current state
	KindTooLarge                     // the input exceeds a size limit
	KindUnavailable                  // a dependency is down; retry later
	KindRateLimited                  // the caller sends too much; slow down
)

// Error is a failure with a stable code a client can branch on.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Err     error // optional cause, never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is match two faults with the same code, so sentinel faults work.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code && t.Kind == e.Kind
}

// New returns a fault of the given kind.
func New(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

func Invalid(code, format string, args ...any) *Error {
	return New(KindInvalid, code, format, args...)
}

func Malformed(code, format string, args ...any) *Error {
	return New(KindMalformed, code, format, args...)
}

func NotFound(code, format string, args ...any) *Error {
	return New(KindNotFound, code, format, args...)
}

func Unauthorized(code, format string, args ...any) *Error {
	return New(KindUnauthorized, code, format, args...)
}

func Forbidden(code, format string, args ...any) *Error {
	return New(KindForbidden, code, format, args...)
}

func TooLarge(code, format string, args ...any) *Error {
	return New(KindTooLarge, code, format, args...)
}

func Conflict(code, format string, args ...any) *Error {
	return New(KindConflict, code, format, args...)
}

func Unavailable(code, format string, args ...any) *Error {
	return New(KindUnavailable, code, format, args...)
}

func RateLimited(code, format string, args ...any) *Error {
	return New(KindRateLimited, code, format, args...)
}

// As returns the fault inside err, if any.
func As(err error) (*Error, bool) {
	var f *Error
	if errors.As(err, &f) {
		return f, true
	}
	return nil, false
}
