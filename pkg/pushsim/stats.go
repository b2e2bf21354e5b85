package pushsim

import (
	"sync/atomic"
	"time"
)

// Reason says why the push endpoint refused a request before the
// subscription's behavior was applied.
type Reason uint8

// Rejection reasons; their String forms are the keys of Stats.Rejected.
const (
	RejectUnknownSubscription Reason = iota // 404: no such subscription id
	RejectPayloadTooLarge                   // 413: body over 4096 bytes
	RejectBadTTL                            // 400: TTL missing or not an integer >= 0
	RejectBadEncoding                       // 415: Content-Encoding is not aes128gcm
	RejectBadUrgency                        // 400: Urgency not very-low|low|normal|high
	RejectBadTopic                          // 400: Topic longer than 32 or not base64url
	RejectMissingAuth                       // 401: no Authorization header
	RejectMalformedAuth                     // 401: Authorization/Crypto-Key unparsable or k not a P-256 point
	RejectMalformedJWT                      // 401: JWT not three base64url JSON parts
	RejectBadAlg                            // 401: JWT alg is not ES256
	RejectBadSignature                      // 401: signature does not verify under k
	RejectWrongAudience                     // 401: aud is not the simulator's origin
	RejectMissingExp                        // 401: no exp claim
	RejectExpired                           // 401: exp in the past
	RejectExpTooFar                         // 401: exp more than 24h ahead
	RejectBadSubject                        // 401: sub missing, not mailto:/https:, or mailto:mailto:
	RejectKeyMismatch                       // 403: k is not the subscription's applicationServerKey
	RejectDecryptFailed                     // 400: aes128gcm body does not decrypt
	numReasons
)

var reasonNames = [numReasons]string{
	RejectUnknownSubscription: "unknown_subscription",
	RejectPayloadTooLarge:     "payload_too_large",
	RejectBadTTL:              "bad_ttl",
	RejectBadEncoding:         "bad_content_encoding",
	RejectBadUrgency:          "bad_urgency",
	RejectBadTopic:            "bad_topic",
	RejectMissingAuth:         "missing_authorization",
	RejectMalformedAuth:       "malformed_authorization",
	RejectMalformedJWT:        "malformed_jwt",
	RejectBadAlg:              "bad_alg",
	RejectBadSignature:        "bad_signature",
	RejectWrongAudience:       "wrong_aud",
	RejectMissingExp:          "missing_exp",
	RejectExpired:             "expired",
	RejectExpTooFar:           "exp_too_far",
	RejectBadSubject:          "bad_sub",
	RejectKeyMismatch:         "key_mismatch",
	RejectDecryptFailed:       "decrypt_failed",
}

func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "unknown"
}

// Stats are the simulator's totals since start or the last reset.
type Stats struct {
	Subscriptions int   `json:"subscriptions"` // minted and not reset
	Received      int64 `json:"received"`      // push requests, whatever the outcome
	Delivered     int64 `json:"delivered"`     // 201 answers
	Duplicates    int64 `json:"duplicates"`    // deliveries beyond the first to one subscription
	// Rejected counts requests refused before the behavior applied, by
	// Reason.String(); it includes decrypt_failed.
	Rejected      map[string]int64 `json:"rejected"`
	RejectedTotal int64            `json:"rejected_total"`
	DecryptFailed int64            `json:"decrypt_failed"`
	// GoneContacted counts requests to a subscription after it had answered
	// 404 or 410: a sender should have dropped it.
	GoneContacted int64 `json:"gone_contacted"`
	// EarlyRetries counts requests that arrived before the Retry-After of
	// the subscription's last 429 had passed.
	EarlyRetries  int64         `json:"early_retries"`
	ByStatus      map[int]int64 `json:"by_status"`
	FirstDelivery time.Time     `json:"first_delivery,omitzero"`
	LastDelivery  time.Time     `json:"last_delivery,omitzero"`
}

// maxStatus bounds the by-status table; every status we answer is below it.
const maxStatus = 600

type counters struct {
	received      atomic.Int64
	delivered     atomic.Int64
	duplicates    atomic.Int64
	goneContacted atomic.Int64
	earlyRetries  atomic.Int64
	rejected      [numReasons]atomic.Int64
	byStatus      [maxStatus]atomic.Int64
	firstDelivery atomic.Int64 // unix nanos, 0 = none yet
	lastDelivery  atomic.Int64
}

func (c *counters) status(code int) {
	if code >= 0 && code < maxStatus {
		c.byStatus[code].Add(1)
	}
}

func (c *counters) delivery(at time.Time) {
	ns := at.UnixNano()
	c.delivered.Add(1)
	for {
		first := c.firstDelivery.Load()
		if (first != 0 && first <= ns) || c.firstDelivery.CompareAndSwap(first, ns) {
			break
		}
	}
	for {
		last := c.lastDelivery.Load()
		if ns <= last || c.lastDelivery.CompareAndSwap(last, ns) {
			break
		}
	}
}

func (c *counters) reset() {
	c.received.Store(0)
	c.delivered.Store(0)
	c.duplicates.Store(0)
	c.goneContacted.Store(0)
	c.earlyRetries.Store(0)
	for i := range c.rejected {
		c.rejected[i].Store(0)
	}
	for i := range c.byStatus {
		c.byStatus[i].Store(0)
	}
	c.firstDelivery.Store(0)
	c.lastDelivery.Store(0)
}

func (c *counters) snapshot() Stats {
	st := Stats{
		Received:      c.received.Load(),
		Delivered:     c.delivered.Load(),
		Duplicates:    c.duplicates.Load(),
		GoneContacted: c.goneContacted.Load(),
		EarlyRetries:  c.earlyRetries.Load(),
		DecryptFailed: c.rejected[RejectDecryptFailed].Load(),
		Rejected:      make(map[string]int64),
		ByStatus:      make(map[int]int64),
	}
	for i := range c.rejected {
		if n := c.rejected[i].Load(); n > 0 {
			st.Rejected[Reason(i).String()] = n
			st.RejectedTotal += n
		}
	}
	for code := range c.byStatus {
		if n := c.byStatus[code].Load(); n > 0 {
			st.ByStatus[code] = n
		}
	}
	if ns := c.firstDelivery.Load(); ns != 0 {
		st.FirstDelivery = time.Unix(0, ns).UTC()
	}
	if ns := c.lastDelivery.Load(); ns != 0 {
		st.LastDelivery = time.Unix(0, ns).UTC()
	}
	return st
}
