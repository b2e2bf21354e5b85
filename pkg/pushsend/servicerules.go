package pushsend

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/heraldpush/herald/pkg/pushendpoint"
)

// What each push service requires beyond RFC 8030, in one place. The
// VAPID token rules (lifetime, renewal, subject) are the same for every
// service and live in pkg/vapid.

// Rules are one push service's limits.
type Rules struct {
	// MaxTTL is the longest TTL, in seconds, the service keeps a message;
	// Send caps longer ones to it.
	MaxTTL int
	// SafeBody is the largest encrypted body, in bytes, that every browser
	// behind the service takes; 0 means the 4096 of RFC 8291. Bodies above it
	// are still sent (most of the service's browsers take 4096), and the
	// notification API warns about them.
	SafeBody int
	// WNSHeaders marks Windows Push Notification Services, which answers 400
	// unless its cache policy agrees with the TTL.
	WNSHeaders bool
}

// Limits of push services, from their documentation and behaviour.
const (
	// MaxTTLAnyService is the longest TTL any push service keeps: autopush's
	// 30 days. A notification may ask for it; services that keep less get
	// their own maximum.
	MaxTTLAnyService = 30 * 24 * 3600
	// fcmMaxTTL is FCM's documented maximum, 4 weeks.
	fcmMaxTTL = 28 * 24 * 3600
	// FirefoxAndroidMaxBody is the largest encrypted body autopush relays to
	// Firefox for Android, whose pushes it forwards through FCM as base64
	// inside a 4096-byte message: about 3,070 bytes, so 2,967 bytes of JSON.
	FirefoxAndroidMaxBody = 3070
	// MaxTopicLength is RFC 8030's Topic limit, which autopush enforces.
	MaxTopicLength = 32
)

var serviceRules = map[pushendpoint.Service]Rules{
	pushendpoint.FCM:     {MaxTTL: fcmMaxTTL},
	pushendpoint.Mozilla: {MaxTTL: MaxTTLAnyService, SafeBody: FirefoxAndroidMaxBody},
	pushendpoint.Apple:   {MaxTTL: MaxTTLAnyService},
	pushendpoint.WNS:     {MaxTTL: fcmMaxTTL, WNSHeaders: true},
	pushendpoint.Other:   {MaxTTL: fcmMaxTTL},
}

// RulesFor returns service's rules; unknown services get Other's.
func RulesFor(service pushendpoint.Service) Rules {
	if r, ok := serviceRules[service]; ok {
		return r
	}
	return serviceRules[pushendpoint.Other]
}

// BodySize is the encrypted body a payload of n bytes becomes: one record,
// no padding.
func BodySize(n int) int { return n + headerLen + tagLen + delimiterLen }

// ValidTopic reports whether t is a usable Topic header: at most 32
// URL-safe base64 characters (RFC 8030 §5.4).
func ValidTopic(t string) bool {
	if len(t) > MaxTopicLength {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// apply caps m's TTL to what the service keeps.
func (r Rules) apply(m *Message) {
	if m.TTL > r.MaxTTL {
		m.TTL = r.MaxTTL
	}
}

// explain adds to a refusal what the service's rules say about it: a 413
// from Mozilla for a body over SafeBody is Firefox for Android's limit, which
// the dead letter should name.
func (r Rules) explain(res *Result, m *Message) {
	if res.Status != http.StatusRequestEntityTooLarge || r.SafeBody == 0 || BodySize(len(m.Payload)) <= r.SafeBody {
		return
	}
	res.Err = fmt.Errorf("%w: the encrypted body was %d bytes and some browsers behind this push service (Firefox for Android) take at most %d; keep the notification under %d bytes of JSON",
		res.Err, BodySize(len(m.Payload)), r.SafeBody, r.SafeBody-BodySize(0))
}

// setHeaders adds the service's own headers for m; both send paths call it.
func (r Rules) setHeaders(h http.Header, m *Message) {
	if !r.WNSHeaders {
		return
	}
	// WNS keeps a message for an offline browser only under "cache"; a TTL of
	// 0 means deliver now or never, which is "no-cache".
	if m.TTL > 0 {
		h["X-Wns-Cache-Policy"] = []string{"cache"}
		h["X-Wns-Ttl"] = []string{strconv.Itoa(m.TTL)}
	} else {
		h["X-Wns-Cache-Policy"] = []string{"no-cache"}
	}
}
