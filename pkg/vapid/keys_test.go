package vapid

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestGenerateRoundTrip(t *testing.T) {
	k, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(k.PrivateKeyBytes()); n != 32 {
		t.Fatalf("private key is %d bytes, want 32", n)
	}
	pub, err := base64.RawURLEncoding.DecodeString(k.PublicKey())
	if err != nil || len(pub) != 65 || pub[0] != 0x04 {
		t.Fatalf("public key %q is not a base64url uncompressed point (%v)", k.PublicKey(), err)
	}
	if strings.ContainsAny(k.PublicKey()+k.PrivateKey(), "=+/") {
		t.Fatal("keys must be unpadded base64url")
	}

	back, err := ParsePrivateKey(k.PrivateKey())
	if err != nil {
		t.Fatal(err)
	}
	if back.PublicKey() != k.PublicKey() || back.PrivateKey() != k.PrivateKey() {
		t.Fatal("ParsePrivateKey(PrivateKey()) does not give back the same pair")
	}
	fromBytes, err := ParsePrivateKeyBytes(k.PrivateKeyBytes())
	if err != nil || fromBytes.PublicKey() != k.PublicKey() {
		t.Fatalf("ParsePrivateKeyBytes round trip: %v", err)
	}
	if !bytes.Equal(back.PublicKeyBytes(), pub) {
		t.Fatal("PublicKeyBytes does not match PublicKey")
	}
}

func TestPrivateKeyBytesIsACopy(t *testing.T) {
	k, _ := Generate()
	orig := k.PrivateKeyBytes()
	clear(k.PrivateKeyBytes())
	if !bytes.Equal(k.PrivateKeyBytes(), orig) {
		t.Fatal("wiping PrivateKeyBytes' result changed the key")
	}
}

func TestParsePrivateKeyEncodings(t *testing.T) {
	k, _ := Generate()
	raw := k.PrivateKeyBytes()
	for name, enc := range map[string]string{
		"base64url raw":     base64.RawURLEncoding.EncodeToString(raw),
		"base64url padded":  base64.URLEncoding.EncodeToString(raw),
		"base64 raw":        base64.RawStdEncoding.EncodeToString(raw),
		"base64 padded":     base64.StdEncoding.EncodeToString(raw),
		"surrounding space": " " + base64.RawURLEncoding.EncodeToString(raw) + "\n",
	} {
		got, err := ParsePrivateKey(enc)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got.PublicKey() != k.PublicKey() {
			t.Errorf("%s: parsed a different key", name)
		}
	}
}

// A key whose scalar starts with a zero byte, printed by a tool that drops it.
func TestParsePrivateKeyShortScalar(t *testing.T) {
	raw := make([]byte, 32)
	raw[31] = 7
	want, err := ParsePrivateKeyBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParsePrivateKey(base64.RawURLEncoding.EncodeToString(raw[1:]))
	if err != nil {
		t.Fatal(err)
	}
	if got.PublicKey() != want.PublicKey() {
		t.Fatal("31-byte scalar was not left-padded")
	}
}

func TestParsePrivateKeyRejects(t *testing.T) {
	k, _ := Generate()
	order := elliptic.P256().Params().N.Bytes()
	for name, enc := range map[string]string{
		"empty":      "",
		"not base64": "not*base64!",
		"public key": k.PublicKey(),
		"too short":  base64.RawURLEncoding.EncodeToString(make([]byte, 16)),
		"zero":       base64.RawURLEncoding.EncodeToString(make([]byte, 32)),
		"order":      base64.RawURLEncoding.EncodeToString(order),
	} {
		_, err := ParsePrivateKey(enc)
		if !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: got %v, want ErrInvalidKey", name, err)
			continue
		}
		if enc != "" && strings.Contains(err.Error(), enc) {
			t.Errorf("%s: error %q echoes the key", name, err)
		}
	}
}

func TestPublicKeyMatchesECDSA(t *testing.T) {
	k, _ := Generate()
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), k.PublicKeyBytes())
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(&k.priv.PublicKey) {
		t.Fatal("PublicKey is not the private key's public point")
	}
}
