package pushsend

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Herald's own RFC 8291 encryption: the same bytes as webpush-go with a
// fitted RecordSize (one record, no padding), without the VAPID JWT that
// webpush-go signs on every call and Herald throws away (about 35% of a
// worker's CPU; see BENCHMARKS.md). webpush-go stays the reference: tests
// check this against it and the simulator, and Config.WebpushGo switches back.

var errBadKey = errors.New("subscription key is not valid base64")

// encryptPayload returns the aes128gcm body (RFC 8188 header, then one
// record holding plaintext and the 0x02 delimiter) for a subscription.
func encryptPayload(plaintext []byte, p256dh, auth string) ([]byte, error) {
	uaPublic, err := decodeKey(p256dh)
	if err != nil {
		return nil, fmt.Errorf("p256dh: %w", err)
	}
	authSecret, err := decodeKey(auth)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	ua, err := ecdh.P256().NewPublicKey(uaPublic)
	if err != nil {
		return nil, fmt.Errorf("p256dh: %w", err)
	}
	as, err := ecdh.P256().GenerateKey(rand.Reader) // single use, RFC 8291 §3.1
	if err != nil {
		return nil, err
	}
	secret, err := as.ECDH(ua)
	if err != nil {
		return nil, fmt.Errorf("p256dh: %w", err)
	}
	asPublic := as.PublicKey().Bytes()

	// RFC 8291 §3.3-3.4: IKM from the ECDH secret and auth; then RFC 8188's
	// content encryption key and nonce from IKM and a random salt.
	info := make([]byte, 0, 14+2*65)
	info = append(append(append(info, "WebPush: info\x00"...), uaPublic...), asPublic...)
	ikm, err := hkdf.Key(sha256.New, secret, authSecret, string(info), 32)
	if err != nil {
		return nil, err
	}
	body := make([]byte, headerLen, headerLen+len(plaintext)+delimiterLen+tagLen)
	salt := body[:16]
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint32(body[16:20], recordSize(len(plaintext)))
	body[20] = byte(len(asPublic))
	copy(body[21:], asPublic)
	record := append(append(body[headerLen:headerLen], plaintext...), 0x02)
	return gcm.Seal(body[:headerLen], nonce, record, nil), nil // in place
}

// decodeKey reads a subscription key in base64url or standard base64,
// padded or not, as webpush-go and browsers allow.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return nil, errBadKey
}
