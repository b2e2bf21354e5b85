package pushsim

import (
	"crypto/ecdh"
	"encoding/base64"
	"testing"
)

// The simulator decrypts whatever a sender posts: damaged, truncated or
// made-up bodies are errors, never panics.
func FuzzDecryptPush(f *testing.F) {
	body, _ := base64.RawURLEncoding.DecodeString(rfcBody)
	f.Add(body)
	f.Add(body[:21])
	f.Add(body[:86])
	f.Add([]byte{})
	priv, err := ecdh.P256().NewPrivateKey(mustB64(rfcUAPrivate))
	if err != nil {
		f.Fatal(err)
	}
	auth := mustB64(rfcAuth)
	f.Fuzz(func(t *testing.T, body []byte) {
		if pt, err := decryptPush(body, priv, auth); err == nil && len(pt) > len(body) {
			t.Fatalf("plaintext of %d bytes from a body of %d", len(pt), len(body))
		}
	})
}

func mustB64(s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
