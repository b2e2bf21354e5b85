package pushsim

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// maxPushBody is the largest encrypted body a push service must accept
// (RFC 8291 §4) and the largest this one does.
const maxPushBody = 4096

const (
	saltLen      = 16
	headerFixed  = saltLen + 4 + 1 // salt | rs | idlen
	tagLen       = 16
	p256PointLen = 65
)

var errDecrypt = errors.New("aes128gcm")

// decryptPush opens an RFC 8291 message (RFC 8188 aes128gcm with the Web
// Push key derivation) for the user agent holding uaPriv and auth. It
// decrypts in place: the returned plaintext aliases body.
func decryptPush(body []byte, uaPriv *ecdh.PrivateKey, auth []byte) ([]byte, error) {
	if len(body) < headerFixed {
		return nil, fmt.Errorf("%w: body shorter than the content-coding header", errDecrypt)
	}
	salt := body[:saltLen]
	rs := int(binary.BigEndian.Uint32(body[saltLen : saltLen+4]))
	idlen := int(body[saltLen+4])
	if rs < tagLen+2 {
		return nil, fmt.Errorf("%w: record size %d below 18", errDecrypt, rs)
	}
	if idlen != p256PointLen || len(body) < headerFixed+idlen {
		return nil, fmt.Errorf("%w: keyid must be the sender's 65-byte P-256 key, got %d bytes", errDecrypt, idlen)
	}
	asPubBytes := body[headerFixed : headerFixed+idlen]
	asPub, err := ecdh.P256().NewPublicKey(asPubBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: sender key: %w", errDecrypt, err)
	}
	secret, err := uaPriv.ECDH(asPub)
	if err != nil {
		return nil, fmt.Errorf("%w: ecdh: %w", errDecrypt, err)
	}
	gcm, nonce, err := contentCipher(secret, auth, uaPriv.PublicKey().Bytes(), asPubBytes, salt)
	if err != nil {
		return nil, err
	}
	return openRecords(gcm, nonce, body[headerFixed+idlen:], rs)
}

// contentCipher derives the AES-128-GCM key and base nonce (RFC 8291 §3.4,
// RFC 8188 §2.2-2.3).
func contentCipher(ecdhSecret, auth, uaPub, asPub, salt []byte) (cipher.AEAD, []byte, error) {
	prkKey, err := hkdf.Extract(sha256.New, ecdhSecret, auth)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: hkdf: %w", errDecrypt, err)
	}
	info := make([]byte, 0, 14+len(uaPub)+len(asPub))
	info = append(info, "WebPush: info\x00"...)
	info = append(info, uaPub...)
	info = append(info, asPub...)
	ikm, err := hkdf.Expand(sha256.New, prkKey, string(info), 32)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: hkdf: %w", errDecrypt, err)
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: hkdf: %w", errDecrypt, err)
	}
	cek, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: hkdf: %w", errDecrypt, err)
	}
	nonce, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: hkdf: %w", errDecrypt, err)
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: aes: %w", errDecrypt, err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: gcm: %w", errDecrypt, err)
	}
	return gcm, nonce, nil
}

// openRecords decrypts rs-sized records in place, strips each record's
// padding and delimiter (0x01 for inner records, 0x02 for the last) and
// compacts the plaintexts to the front of ct.
func openRecords(gcm cipher.AEAD, baseNonce, ct []byte, rs int) ([]byte, error) {
	if len(ct) == 0 {
		return nil, fmt.Errorf("%w: no records", errDecrypt)
	}
	nonce := make([]byte, len(baseNonce))
	written := 0
	for seq, off := uint64(0), 0; off < len(ct); seq++ {
		end := min(off+rs, len(ct))
		rec := ct[off:end]
		last := end == len(ct)
		if len(rec) < tagLen+1 {
			return nil, fmt.Errorf("%w: record %d too short", errDecrypt, seq)
		}
		// The record nonce is the base nonce XOR the big-endian sequence number.
		copy(nonce, baseNonce)
		tail := binary.BigEndian.Uint64(nonce[4:]) ^ seq
		binary.BigEndian.PutUint64(nonce[4:], tail)
		pt, err := gcm.Open(rec[:0], nonce, rec, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: record %d: %w", errDecrypt, seq, err)
		}
		i := len(pt) - 1
		for i >= 0 && pt[i] == 0 {
			i--
		}
		switch {
		case i < 0:
			return nil, fmt.Errorf("%w: record %d has no padding delimiter", errDecrypt, seq)
		case last && pt[i] != 0x02:
			return nil, fmt.Errorf("%w: last record must end with delimiter 0x02 (truncated?)", errDecrypt)
		case !last && pt[i] != 0x01:
			return nil, fmt.Errorf("%w: record %d must end with delimiter 0x01", errDecrypt, seq)
		}
		written += copy(ct[written:], pt[:i])
		off = end
	}
	return ct[:written], nil
}
