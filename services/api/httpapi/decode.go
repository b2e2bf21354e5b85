package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/textcheck"
)

// Caps on JSON request bodies. A server-to-server body fits the largest
// documented one: a notification targeting notification.MaxTargetIDs user
// ids of subscription.MaxUserIDLength ASCII characters is about 2.6 MB. A
// browser's bodies (a subscription, an event) are well under 8 KiB, so the
// public routes take 16 KiB.
const (
	maxBody       = 4 << 20
	maxPublicBody = 16 << 10
)

// decodeJSON reads one JSON value into dst, refusing oversize bodies before
// reading them whole, malformed JSON with a message that says where, and
// fields dst does not have (unknown_field, naming the near miss a typo or
// camelCase made): a field Herald ignored would be a setting silently lost.
func decodeJSON(c *gin.Context, dst any) error { return decodeBody(c, dst, false, maxBody) }

// decodeJSONOrEmpty is decodeJSON for routes whose body is optional: an
// empty body leaves dst as it is.
func decodeJSONOrEmpty(c *gin.Context, dst any) error { return decodeBody(c, dst, true, maxBody) }

// decodePublicJSON is decodeJSON for the routes browsers call, with their
// smaller cap.
func decodePublicJSON(c *gin.Context, dst any) error {
	return decodeBody(c, dst, false, maxPublicBody)
}

func decodeBody(c *gin.Context, dst any, emptyOK bool, limit int64) error {
	if c.Request.ContentLength > limit {
		return bodyTooLarge(limit)
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return bodyTooLarge(limit)
	}
	if err != nil {
		return fault.Malformed("invalid_json", "the request body could not be read: %v", err)
	}
	// encoding/json would turn invalid UTF-8 into U+FFFD: two different
	// invalid ids would be stored as one.
	if !utf8.Valid(body) {
		return errInvalidUTF8
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		switch {
		case errors.Is(err, io.EOF) && emptyOK:
			return nil
		case errors.Is(err, io.EOF):
			return fault.Malformed("invalid_json", "the request body is empty; send a JSON object")
		}
		return jsonError(err, dst)
	}
	if !onlyValue(dec, body) {
		return fault.Malformed("invalid_json", "the body must hold a single JSON object")
	}
	return nulError(dst)
}

// onlyValue reports whether dec, having decoded a value from data, found
// nothing but white space after it. dec.More is not enough: it says no
// more to a stray "]" or "}", so {...}} would pass as one object.
func onlyValue(dec *json.Decoder, data []byte) bool {
	return len(bytes.TrimSpace(data[dec.InputOffset():])) == 0
}

// nulError refuses a decoded dst holding a NUL in any of its strings:
// PostgreSQL stores no NUL in text, and no field has a use for one.
func nulError(dst any) error {
	if path := textcheck.FindNUL(dst); path != "" {
		return fault.Invalid("invalid_text", "%s holds a NUL character (\\u0000), which no text field takes", path)
	}
	return nil
}

// jsonError turns encoding/json's error decoding into dst into a fault
// saying what to fix.
func jsonError(err error, dst any) error {
	if name, ok := unknownFieldName(err); ok {
		return unknownField(name, dst)
	}
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var timeErr *time.ParseError
	switch {
	case errors.As(err, &timeErr), strings.HasPrefix(err.Error(), "Time.UnmarshalJSON"):
		// The only times requests carry are send_at's; encoding/json does
		// not say which field a time's error came from.
		return fault.Malformed("invalid_send_at",
			`send_at must be an RFC 3339 time with its offset, like "2026-12-24T09:00:00Z" or "2026-12-24T10:00:00+01:00" (%v); for each recipient's own wall clock use send_at_local`, err)
	case errors.As(err, &syntax):
		return fault.Malformed("invalid_json", "malformed JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typeErr):
		return fault.Malformed("invalid_json", "field %q must be %s", typeErr.Field, typeErr.Type)
	}
	return fault.Malformed("invalid_json", "malformed JSON: %v", err)
}

var errInvalidUTF8 = fault.Malformed("invalid_utf8", "the request body is not valid UTF-8; send JSON text in UTF-8")

func bodyTooLarge(limit int64) error {
	return fault.TooLarge("body_too_large", "the request body exceeds this route's %d bytes", limit)
}
