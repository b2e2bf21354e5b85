// Package subscription is the registry of browsers that can receive pushes:
// validation of what a browser's PushSubscription says, storage, the
// audiences notifications go to, and what deliveries do to subscriptions
// (pruning, last success). It owns the subscriptions and
// subscription_topics tables.
package subscription

import (
	"crypto/ecdh"
	"encoding/base64"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/textcheck"
)

// Limits on what a subscriber may attach. Topics and user ids are matched
// exactly when targeting, so they are kept short and printable.
const (
	MaxUserIDLength   = 256
	MaxTopics         = 64
	MaxTopicLength    = 100
	MaxTimezoneLength = 64
	MaxUserAgent      = 512
)

// Input is a subscribe request: a PushSubscription.toJSON() plus targeting data.
type Input struct {
	Endpoint       string
	ExpirationTime *float64 // ms since epoch, as the browser gives it
	P256dh         string
	Auth           string
	UserID         string
	Topics         []string
	Timezone       string
	UserAgent      string
	// Attributes fill personalised notifications; nil leaves a known
	// subscription's attributes as they are, an empty map clears them.
	Attributes map[string]string
}

// Valid is an Input that passed validation, normalized for storage.
type Valid struct {
	Endpoint       string
	ExpirationTime *time.Time
	P256dh         string // base64url, no padding: 65-byte uncompressed P-256 point
	Auth           string // base64url, no padding: 16 bytes
	UserID         *string
	Topics         []string
	Timezone       string
	UserAgent      string
	Attributes     *string // JSON; nil: unchanged
}

// EndpointChecker accepts push endpoints Herald may deliver to.
type EndpointChecker interface {
	Check(endpoint string) (*url.URL, error)
}

// Validate checks every field and returns the normalized subscription.
func Validate(in Input, endpoints EndpointChecker) (*Valid, error) {
	if in.Endpoint == "" {
		return nil, fault.Invalid("invalid_endpoint", "subscription.endpoint is required")
	}
	// One spelling per push URL, before it is checked, stored or looked
	// up: the unique index then holds one subscription per browser.
	endpoint := pushendpoint.Canonical(in.Endpoint)
	if _, err := endpoints.Check(endpoint); err != nil {
		return nil, err
	}
	p256dh, err := decodeKey(in.P256dh)
	if err != nil || len(p256dh) != 65 || p256dh[0] != 4 {
		return nil, fault.Invalid("invalid_p256dh",
			"subscription.keys.p256dh must be the base64url of a 65-byte uncompressed P-256 point")
	}
	if _, err := ecdh.P256().NewPublicKey(p256dh); err != nil {
		return nil, fault.Invalid("invalid_p256dh", "subscription.keys.p256dh is not a point on the P-256 curve")
	}
	auth, err := decodeKey(in.Auth)
	if err != nil || len(auth) != 16 {
		return nil, fault.Invalid("invalid_auth", "subscription.keys.auth must be the base64url of 16 bytes")
	}
	v := &Valid{
		Endpoint: endpoint,
		P256dh:   base64.RawURLEncoding.EncodeToString(p256dh),
		Auth:     base64.RawURLEncoding.EncodeToString(auth),
	}
	if in.ExpirationTime != nil {
		t, err := expirationTime(*in.ExpirationTime)
		if err != nil {
			return nil, err
		}
		v.ExpirationTime = t
	}
	if in.UserID != "" {
		if err := ValidateUserID(in.UserID); err != nil {
			return nil, err
		}
		id := in.UserID
		v.UserID = &id
	}
	if v.Topics, err = ValidateTopics(in.Topics); err != nil {
		return nil, err
	}
	if in.Timezone != "" {
		if err := ValidateTimezone(in.Timezone); err != nil {
			return nil, err
		}
		v.Timezone = in.Timezone
	}
	v.UserAgent = truncate(in.UserAgent, MaxUserAgent)
	if in.Attributes != nil {
		attrs, err := ValidateAttributes(in.Attributes)
		if err != nil {
			return nil, err
		}
		v.Attributes = &attrs
	}
	return v, nil
}

// Bounds of a plausible expirationTime: after Web Push existed, and at most
// ten years ahead (browsers that set one set days or weeks).
var (
	minExpiration = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	maxExpiryAge  = 10 * 365 * 24 * time.Hour
)

// expirationTime reads a PushSubscription's expirationTime (ms since the
// epoch; 0 is taken as none, as some browsers send it).
func expirationTime(ms float64) (*time.Time, error) {
	if ms == 0 {
		return nil, nil
	}
	if ms < float64(minExpiration.UnixMilli()) || ms > float64(time.Now().Add(maxExpiryAge).UnixMilli()) {
		return nil, fault.Invalid("invalid_expiration_time",
			"subscription.expirationTime must be null or milliseconds since 1970 between 2015 and ten years from now, as PushSubscription gives it")
	}
	t := time.UnixMilli(int64(ms)).UTC()
	return &t, nil
}

// ValidateUserID checks a user id (never empty: no user is nil).
func ValidateUserID(id string) error {
	if !printable(id, MaxUserIDLength) {
		return fault.Invalid("invalid_user_id", "user_id must be 1 to %d printable characters", MaxUserIDLength)
	}
	return nil
}

// ValidateTimezone checks an IANA time zone name ("" is none).
func ValidateTimezone(tz string) error {
	if tz == "" {
		return nil
	}
	if len(tz) > MaxTimezoneLength {
		return fault.Invalid("invalid_timezone", "timezone must be an IANA name like Europe/Paris")
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return fault.Invalid("invalid_timezone", "timezone %q is not an IANA name like Europe/Paris", tz)
	}
	return nil
}

// ValidateTopics checks and de-duplicates topic names, keeping their order.
func ValidateTopics(topics []string) ([]string, error) {
	if len(topics) > MaxTopics {
		return nil, fault.Invalid("invalid_topics", "at most %d topics", MaxTopics)
	}
	out := make([]string, 0, len(topics))
	seen := make(map[string]bool, len(topics))
	for _, t := range topics {
		if !printable(t, MaxTopicLength) {
			return nil, fault.Invalid("invalid_topics", "each topic must be 1 to %d printable characters", MaxTopicLength)
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// decodeKey accepts base64url or standard base64, padded or not: browsers
// give base64url, older libraries standard base64.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if strings.ContainsAny(s, "+/") {
		return base64.RawStdEncoding.DecodeString(s)
	}
	return base64.RawURLEncoding.DecodeString(s)
}

func printable(s string, max int) bool { return textcheck.Identifier(s, max) }

// truncate cuts s to at most max bytes of valid UTF-8 (a header may carry
// any bytes; PostgreSQL stores only UTF-8).
func truncate(s string, max int) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}
