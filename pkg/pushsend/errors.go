package pushsend

import (
	"errors"
	"fmt"
)

// Sentinel errors carried in Result.Err; match them with errors.Is.
var (
	// ErrInvalidMessage marks a message Herald itself built wrongly (no key,
	// bad urgency or topic, unusable subscription keys): retrying cannot help.
	ErrInvalidMessage = errors.New("pushsend: invalid message")
	// ErrRejected marks a push service answer other than 2xx; Result.Status
	// and Result.Body say which.
	ErrRejected = errors.New("pushsend: push service refused the message")
)

// PayloadTooLargeError is returned for a payload that does not fit one
// 4096-byte record, the most a push service must accept (RFC 8291 §4).
type PayloadTooLargeError struct {
	Size int // plaintext bytes given
	Max  int // MaxPlaintext()
}

func (e *PayloadTooLargeError) Error() string {
	return fmt.Sprintf("pushsend: payload is %d bytes; at most %d fit one Web Push record", e.Size, e.Max)
}

// StatusError describes a non-2xx answer; it wraps ErrRejected.
type StatusError struct {
	Status int
	Body   string // at most maxBody bytes
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("pushsend: push service answered %d", e.Status)
	}
	return fmt.Sprintf("pushsend: push service answered %d: %q", e.Status, e.Body)
}

func (e *StatusError) Unwrap() error { return ErrRejected }
