// Package masterkey seals secrets at rest (VAPID private keys, identity
// secrets) with AES-256-GCM under HERALD_MASTER_KEY.
package masterkey

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Size is the key length in bytes (AES-256).
const Size = 32

// version prefixes every sealed blob so the format can change later.
const version byte = 1

// ErrOpen means a sealed blob could not be opened: wrong key, wrong
// associated data or tampering.
var ErrOpen = errors.New("masterkey: cannot open sealed value (wrong master key or corrupted data)")

// Key seals and opens values. The zero Key is not usable.
type Key struct{ aead cipher.AEAD }

// Generate returns a new random key and its text form.
func Generate() (Key, string, error) {
	raw := make([]byte, Size)
	if _, err := rand.Read(raw); err != nil {
		return Key{}, "", fmt.Errorf("masterkey: random: %w", err)
	}
	text := base64.StdEncoding.EncodeToString(raw)
	k, err := fromBytes(raw)
	return k, text, err
}

// Parse reads a key given as 64 hex digits or as base64 (standard or URL
// alphabet, padded or not) of 32 bytes.
func Parse(s string) (Key, error) {
	s = strings.TrimSpace(s)
	if raw, err := hex.DecodeString(s); err == nil && len(raw) == Size {
		return fromBytes(raw)
	}
	trimmed := strings.TrimRight(s, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(trimmed); err == nil && len(raw) == Size {
			return fromBytes(raw)
		}
	}
	return Key{}, errors.New("must be 32 bytes as 64 hex digits or base64 (generate one with: openssl rand -base64 32)")
}

// LoadOrCreateFile reads the key in path, creating it (mode 0600) when absent.
// Only the embedded dev mode uses it; production passes HERALD_MASTER_KEY.
func LoadOrCreateFile(path string) (Key, bool, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		k, err := Parse(string(data))
		if err != nil {
			return Key{}, false, fmt.Errorf("master key file %s: %w", path, err)
		}
		return k, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return Key{}, false, fmt.Errorf("master key file: %w", err)
	}
	k, text, err := Generate()
	if err != nil {
		return Key{}, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return Key{}, false, fmt.Errorf("master key dir: %w", err)
	}
	if err := os.WriteFile(path, []byte(text+"\n"), 0o600); err != nil {
		return Key{}, false, fmt.Errorf("write master key: %w", err)
	}
	return k, true, nil
}

func fromBytes(raw []byte) (Key, error) {
	block, err := aes.NewCipher(raw)
	if err != nil {
		return Key{}, fmt.Errorf("masterkey: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return Key{}, fmt.Errorf("masterkey: %w", err)
	}
	return Key{aead: aead}, nil
}

// Seal encrypts plaintext. associated binds the blob to its owner (say a row
// id) so a sealed value copied to another row does not open.
func (k Key) Seal(plaintext, associated []byte) ([]byte, error) {
	if k.aead == nil {
		return nil, errors.New("masterkey: zero key")
	}
	out := make([]byte, 1+k.aead.NonceSize(), 1+k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("masterkey: nonce: %w", err)
	}
	return k.aead.Seal(out, out[1:], plaintext, associated), nil
}

// Open decrypts a value made by Seal with the same associated data.
func (k Key) Open(sealed, associated []byte) ([]byte, error) {
	if k.aead == nil {
		return nil, errors.New("masterkey: zero key")
	}
	n := k.aead.NonceSize()
	if len(sealed) < 1+n+k.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	plain, err := k.aead.Open(nil, sealed[1:1+n], sealed[1+n:], associated)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
