package vapid

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldpush/herald/pkg/fault"
)

// Token lifetime rules, the same for every push service because Apple's are
// the strictest: Apple refuses an exp more than a day ahead (as RFC 8292
// does) and asks senders not to renew a token more often than hourly. A
// token is renewed when half its lifetime is left, so the shortest lifetime
// allowed is two renewal intervals.
const (
	// DefaultTTL is the token lifetime when NewSigner is given 0: renewed
	// every 6 hours.
	DefaultTTL = 12 * time.Hour
	// MaxTTL is the longest lifetime RFC 8292 and Apple let a token have.
	MaxTTL = 24 * time.Hour
	// MinRenewal is how long a token is used at least before a new one is
	// signed for the same push service.
	MinRenewal = time.Hour
	// MinTTL is the shortest lifetime: renewed at half of it, MinRenewal.
	MinTTL = 2 * MinRenewal

	// sweepEvery bounds the cache: after this many signings, tokens due for
	// re-signing are dropped, so audiences no longer pushed to do not pile up.
	sweepEvery = 1024
)

// ErrInvalidAudience is the fault for an audience that is not an origin.
var ErrInvalidAudience = fault.Invalid("invalid_vapid_audience", "VAPID audience must be an origin like https://push.example.com")

// jwsHeader is the fixed, pre-encoded JOSE header of every token.
const jwsHeader = `{"typ":"JWT","alg":"ES256"}`

// Signer produces VAPID Authorization header values for one key and
// subject, caching one per audience until less than half its lifetime is
// left. It is safe for concurrent use; a cache hit is one lock-free map read.
type Signer struct {
	key      *KeyPair
	subject  string
	ttl      time.Duration
	header   string   // base64url(jwsHeader)
	tokens   sync.Map // audience string -> *token
	signings atomic.Uint64
}

// token is one cached header value and the window in which it is reused.
type token struct {
	value     string
	notBefore time.Time // reuse only from here: earlier, exp would be over MaxTTL away
	refreshAt time.Time // half the lifetime left: sign anew
}

// NewSigner returns a Signer for key that puts subject, unchanged, in every
// token's "sub" claim. ttl is the token lifetime, from MinTTL to MaxTTL; 0
// means DefaultTTL.
func NewSigner(key *KeyPair, subject string, ttl time.Duration) (*Signer, error) {
	if key == nil {
		return nil, fmt.Errorf("vapid: NewSigner needs a key pair")
	}
	if err := CheckSubjectSyntax(subject); err != nil {
		return nil, fmt.Errorf("vapid: %w", err)
	}
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if err := CheckTTL(ttl); err != nil {
		return nil, fmt.Errorf("vapid: %w", err)
	}
	return &Signer{
		key:     key,
		subject: subject,
		ttl:     ttl,
		header:  base64.RawURLEncoding.EncodeToString([]byte(jwsHeader)),
	}, nil
}

// CheckTTL refuses a token lifetime outside MinTTL..MaxTTL, saying why.
func CheckTTL(ttl time.Duration) error {
	if ttl < MinTTL || ttl > MaxTTL {
		return fmt.Errorf("VAPID token lifetime %s must be from %s (renewed at half its lifetime, and Apple asks for renewals no more often than hourly) to %s (push services refuse an exp more than a day ahead)", ttl, MinTTL, MaxTTL)
	}
	return nil
}

// PublicKey is the signer's public key, as the k= parameter carries it.
func (s *Signer) PublicKey() string { return s.key.PublicKey() }

// Authorization returns the Authorization header value for a push to
// audience, the origin of the endpoint (see pushendpoint.Origin):
// "vapid t=<jwt>, k=<public key>". now is the current time, passed in so
// callers and tests control the clock.
func (s *Signer) Authorization(audience string, now time.Time) (string, error) {
	if v, ok := s.tokens.Load(audience); ok {
		t := v.(*token)
		if now.Before(t.refreshAt) && !now.Before(t.notBefore) {
			return t.value, nil
		}
	}
	if err := validateAudience(audience); err != nil {
		return "", err
	}
	t, err := s.sign(audience, now)
	if err != nil {
		return "", err
	}
	s.tokens.Store(audience, t)
	if s.signings.Add(1)%sweepEvery == 0 {
		s.sweep(now)
	}
	return t.value, nil
}

// sign makes a new token for audience, bypassing the cache.
func (s *Signer) sign(audience string, now time.Time) (*token, error) {
	exp := now.Add(s.ttl).Truncate(time.Second) // rounding down keeps exp-now <= ttl
	claims, err := json.Marshal(struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}{audience, exp.Unix(), s.subject})
	if err != nil {
		return nil, fmt.Errorf("vapid: encode claims: %w", err)
	}
	input := s.header + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(input))
	r, sv, err := ecdsa.Sign(rand.Reader, s.key.priv, digest[:])
	if err != nil {
		return nil, fmt.Errorf("vapid: sign token: %w", err)
	}
	// JWS ES256 wants r||s as fixed 32-byte big-endian halves, not ASN.1.
	var sig [64]byte
	r.FillBytes(sig[:32])
	sv.FillBytes(sig[32:])
	jwt := input + "." + base64.RawURLEncoding.EncodeToString(sig[:])
	return &token{
		value:     "vapid t=" + jwt + ", k=" + s.key.public,
		notBefore: exp.Add(-MaxTTL),
		refreshAt: exp.Add(-s.ttl / 2),
	}, nil
}

// sweep drops tokens that would be re-signed anyway on next use.
func (s *Signer) sweep(now time.Time) {
	s.tokens.Range(func(k, v any) bool {
		if !now.Before(v.(*token).refreshAt) {
			s.tokens.CompareAndDelete(k, v)
		}
		return true
	})
}

// validateAudience checks that aud is a bare http(s) origin, as RFC 8292
// requires; runs only when signing, so the cached path stays a map read.
func validateAudience(aud string) error {
	u, err := url.Parse(aud)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || aud[len(aud)-1] == '#' {
		return fault.Invalid(ErrInvalidAudience.Code, "VAPID audience %q is not an origin like https://push.example.com", aud)
	}
	return nil
}
