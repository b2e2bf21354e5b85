// Package vapid holds VAPID application server keys and signs the JWTs that
// identify Herald to push services (RFC 8292).
//
// Herald signs its own tokens instead of leaving it to webpush-go, which
// re-signs on every send, doubles a "mailto:" subject and ignores the
// requested expiry; Signer signs once per audience and reuses the result.
package vapid

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/heraldpush/herald/pkg/fault"
)

// ErrInvalidKey is the fault (matched by code with errors.Is) for private
// keys that cannot be used. Its messages never contain key material.
var ErrInvalidKey = fault.Invalid("invalid_vapid_key", "VAPID private key is not valid")

// KeyPair is an application server's ECDSA P-256 key pair.
type KeyPair struct {
	priv      *ecdsa.PrivateKey
	raw       []byte // 32-byte big-endian scalar
	publicRaw []byte // 65-byte uncompressed point
	public    string // publicRaw in base64url, computed once because every token carries it
}

// Generate creates a fresh key pair.
func Generate() (*KeyPair, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate VAPID key: %w", err)
	}
	raw, err := priv.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode VAPID key: %w", err)
	}
	return newKeyPair(priv, raw)
}

// ParsePrivateKey reads a private key as web-push tools print it: the raw
// 32-byte scalar in base64url or standard base64, padded or not.
func ParsePrivateKey(encoded string) (*KeyPair, error) {
	raw, err := decodeBase64(strings.TrimSpace(encoded))
	if err != nil {
		return nil, fault.Invalid(ErrInvalidKey.Code, "VAPID private key is not base64 or base64url")
	}
	return ParsePrivateKeyBytes(raw)
}

// ParsePrivateKeyBytes reads the raw scalar, as PrivateKeyBytes returns it.
func ParsePrivateKeyBytes(raw []byte) (*KeyPair, error) {
	if len(raw) == 31 {
		// Tools that print big.Int bytes drop a leading zero once in 256 keys.
		raw = append([]byte{0}, raw...)
	}
	if len(raw) != 32 {
		return nil, fault.Invalid(ErrInvalidKey.Code, "VAPID private key is %d bytes, want a 32-byte P-256 private key (did you pass the public key?)", len(raw))
	}
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), raw)
	if err != nil {
		return nil, fault.Invalid(ErrInvalidKey.Code, "VAPID private key is not a valid P-256 scalar")
	}
	return newKeyPair(priv, slices.Clone(raw))
}

func newKeyPair(priv *ecdsa.PrivateKey, raw []byte) (*KeyPair, error) {
	pub, err := priv.PublicKey.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode VAPID public key: %w", err)
	}
	return &KeyPair{priv: priv, raw: raw, publicRaw: pub, public: base64.RawURLEncoding.EncodeToString(pub)}, nil
}

// PublicKey is the uncompressed public point in unpadded base64url: the
// applicationServerKey a page passes to pushManager.subscribe and the k=
// parameter of the Authorization header.
func (k *KeyPair) PublicKey() string { return k.public }

// PublicKeyBytes is the 65-byte uncompressed public point.
func (k *KeyPair) PublicKeyBytes() []byte { return slices.Clone(k.publicRaw) }

// PrivateKey is the raw 32-byte scalar in unpadded base64url, the format
// ParsePrivateKey and web-push tools use.
func (k *KeyPair) PrivateKey() string { return base64.RawURLEncoding.EncodeToString(k.raw) }

// PrivateKeyBytes is the raw 32-byte scalar, for sealing at rest; it is a
// copy the caller may wipe.
func (k *KeyPair) PrivateKeyBytes() []byte { return slices.Clone(k.raw) }

// decodeBase64 accepts either alphabet, with or without padding.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	s = strings.NewReplacer("+", "-", "/", "_").Replace(s)
	return base64.RawURLEncoding.DecodeString(s)
}
