package pushsim

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// MaxMintPerCall caps one MintN call (and one control API request).
const MaxMintPerCall = 100000

// Keys are PushSubscription.getKey() values, base64url without padding.
type Keys struct {
	P256dh string `json:"p256dh"`
	Auth   string `json:"auth"`
}

// Subscription is what a browser's PushSubscription.toJSON() returns, plus
// the simulator's id and behavior.
type Subscription struct {
	ID             string   `json:"id"`
	Endpoint       string   `json:"endpoint"`
	ExpirationTime *int64   `json:"expirationTime"` // always null, like browsers
	Keys           Keys     `json:"keys"`
	Behavior       Behavior `json:"behavior"`
	// ApplicationServerKey is the VAPID public key the subscription is
	// bound to (base64url), empty when any key is accepted.
	ApplicationServerKey string `json:"application_server_key,omitempty"`
}

// BrowserJSON is exactly what a browser's PushSubscription.toJSON()
// returns, without the simulator's own fields.
type BrowserJSON struct {
	Endpoint       string `json:"endpoint"`
	ExpirationTime *int64 `json:"expirationTime"`
	Keys           Keys   `json:"keys"`
}

// ToJSON is the subscription as the browser's PushSubscription.toJSON() gives it.
func (s Subscription) ToJSON() BrowserJSON {
	return BrowserJSON{Endpoint: s.Endpoint, ExpirationTime: s.ExpirationTime, Keys: s.Keys}
}

// Mint creates one subscription the way a browser would: a fresh P-256 key
// pair and auth secret whose private halves stay here. applicationServerKey,
// if not empty, is a base64url uncompressed P-256 point; pushes must then be
// signed by that key. BehaviorDefault means the server's default.
func (s *Server) Mint(behavior Behavior, applicationServerKey string) (Subscription, error) {
	subs, err := s.mint(1, behavior, applicationServerKey)
	if err != nil {
		return Subscription{}, err
	}
	return subs[0], nil
}

// MintN creates n subscriptions (at most MaxMintPerCall) with one behavior,
// using all CPUs for key generation.
func (s *Server) MintN(n int, behavior Behavior) ([]Subscription, error) {
	return s.mint(n, behavior, "")
}

func (s *Server) mint(n int, behavior Behavior, applicationServerKey string) ([]Subscription, error) {
	if n < 1 || n > MaxMintPerCall {
		return nil, fmt.Errorf("mint %d subscriptions: count must be 1..%d", n, MaxMintPerCall)
	}
	if behavior.Kind == BehaviorDefault {
		behavior = s.defaultBehavior
	}
	var ask []byte
	if applicationServerKey != "" {
		k, err := decodePublicKey(applicationServerKey)
		if err != nil {
			return nil, fmt.Errorf("application server key: %w", err)
		}
		ask = k
	}

	out := make([]Subscription, n)
	errs := make([]error, n)
	workers := min(n, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				out[i], errs[i] = s.mintOne(behavior, ask)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) mintOne(behavior Behavior, ask []byte) (Subscription, error) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return Subscription{}, fmt.Errorf("generate subscription key: %w", err)
	}
	rec := &record{
		id:           newID(),
		appServerKey: ask,
		behavior:     behavior,
		createdAt:    s.now().UnixNano(),
	}
	copy(rec.priv[:], priv.Bytes())
	_, _ = rand.Read(rec.auth[:]) // crypto/rand.Read never fails
	s.subs.put(rec)
	return s.subscriptionOf(rec, priv.PublicKey().Bytes()), nil
}

// subscriptionOf renders a record; pub may be nil to re-derive it.
func (s *Server) subscriptionOf(rec *record, pub []byte) Subscription {
	if pub == nil {
		if priv, err := ecdh.P256().NewPrivateKey(rec.priv[:]); err == nil {
			pub = priv.PublicKey().Bytes()
		}
	}
	sub := Subscription{
		ID:       rec.id,
		Endpoint: s.PublicOrigin() + "/push/" + rec.id,
		Keys: Keys{
			P256dh: base64.RawURLEncoding.EncodeToString(pub),
			Auth:   base64.RawURLEncoding.EncodeToString(rec.auth[:]),
		},
		Behavior: rec.behavior,
	}
	if rec.appServerKey != nil {
		sub.ApplicationServerKey = base64.RawURLEncoding.EncodeToString(rec.appServerKey)
	}
	return sub
}

// newID returns 128 random bits, base64url: unguessable, path-safe.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// decodePublicKey decodes a base64url (padded or not) uncompressed P-256
// point and checks it is on the curve.
func decodePublicKey(s string) ([]byte, error) {
	raw, err := decodeBase64URL(s)
	if err != nil {
		return nil, err
	}
	if _, err := ecdh.P256().NewPublicKey(raw); err != nil {
		return nil, fmt.Errorf("not an uncompressed P-256 point: %w", err)
	}
	return raw, nil
}

func decodeBase64URL(s string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(trimPadding(s))
	if err != nil {
		return nil, fmt.Errorf("base64url: %w", err)
	}
	return raw, nil
}

func trimPadding(s string) string {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return s
}
