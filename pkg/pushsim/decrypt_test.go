package pushsim

import (
	"bytes"
	"crypto/ecdh"
	"encoding/base64"
	"strings"
	"testing"
)

// RFC 8291 Appendix A.
const (
	rfcUAPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
	rfcUAPublic  = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
	rfcAuth      = "BTBZMqHH6r4Tts7J_aSIgg"
	rfcBody      = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
	rfcPlain     = "When I grow up, I want to be a watermelon"
)

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecryptRFC8291Vector(t *testing.T) {
	priv, err := ecdh.P256().NewPrivateKey(b64(t, rfcUAPrivate))
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.RawURLEncoding.EncodeToString(priv.PublicKey().Bytes()); got != rfcUAPublic {
		t.Fatalf("derived public key %s, want %s", got, rfcUAPublic)
	}
	pt, err := decryptPush(b64(t, rfcBody), priv, b64(t, rfcAuth))
	if err != nil {
		t.Fatal(err)
	}
	if string(pt) != rfcPlain {
		t.Fatalf("plaintext %q, want %q", pt, rfcPlain)
	}
}

func TestDecryptRejectsDamage(t *testing.T) {
	priv, err := ecdh.P256().NewPrivateKey(b64(t, rfcUAPrivate))
	if err != nil {
		t.Fatal(err)
	}
	auth := b64(t, rfcAuth)
	cases := map[string]func([]byte) []byte{
		"flipped ciphertext bit": func(b []byte) []byte { b[len(b)-1] ^= 1; return b },
		"flipped salt bit":       func(b []byte) []byte { b[0] ^= 1; return b },
		"truncated":              func(b []byte) []byte { return b[:len(b)-5] },
		"header only":            func(b []byte) []byte { return b[:86] },
		"short keyid":            func(b []byte) []byte { b[20] = 64; return b },
		"tiny record size":       func(b []byte) []byte { b[16], b[17], b[18], b[19] = 0, 0, 0, 17; return b },
		"empty":                  func([]byte) []byte { return nil },
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := decryptPush(damage(b64(t, rfcBody)), priv, auth); err == nil {
				t.Fatal("damaged body decrypted")
			}
		})
	}
	wrongAuth := bytes.Clone(auth)
	wrongAuth[0] ^= 1
	if _, err := decryptPush(b64(t, rfcBody), priv, wrongAuth); err == nil {
		t.Fatal("decrypted with the wrong auth secret")
	}
}

func TestDecryptMultipleRecords(t *testing.T) {
	srv := New(Config{PublicOrigin: "http://push.test"})
	sub := mint(t, srv, "ok")
	rec, _ := srv.subs.get(sub.ID)
	priv, err := ecdh.P256().NewPrivateKey(rec.priv[:])
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte(strings.Repeat("0123456789abcdef", 20)) // 320 bytes
	for _, rs := range []int{18, 40, 100, 337, 4096} {
		body := encryptForTest(t, sub, plain, rs)
		got, err := decryptPush(body, priv, rec.auth[:])
		if err != nil {
			t.Fatalf("rs=%d: %v", rs, err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("rs=%d: plaintext mismatch", rs)
		}
	}
	// Dropping the final record must be detected: the new last record ends in 0x01.
	body := encryptForTest(t, sub, plain, 100)
	if _, err := decryptPush(body[:len(body)-(len(body)-86)%100], priv, rec.auth[:]); err == nil {
		t.Fatal("truncation at a record boundary went unnoticed")
	}
}
