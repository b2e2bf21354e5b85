package pushsim

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxExpiry is how far ahead RFC 8292 §2 lets a VAPID JWT expire.
const maxExpiry = 24 * time.Hour

// Claims are the VAPID JWT claims a push service checks.
type Claims struct {
	Aud string `json:"aud"`
	Exp int64  `json:"exp"` // unix seconds
	Sub string `json:"sub"`
}

// vapid is a signature-verified token; its claims are re-checked against the
// clock and origin on every use.
type vapid struct {
	claims Claims
	hasExp bool
	key    []byte // raw 65-byte point the token was verified with
	keyB64 string
}

// parseAuthorization extracts the JWT and the signing key from either
// "Authorization: vapid t=<jwt>, k=<key>" (RFC 8292) or the legacy
// "Authorization: WebPush <jwt>" + "Crypto-Key: p256ecdsa=<key>".
func parseAuthorization(h http.Header) (token, key string, rej *rejection) {
	auth := strings.TrimSpace(h.Get("Authorization"))
	if auth == "" {
		return "", "", reject(RejectMissingAuth, "missing Authorization header")
	}
	scheme, rest, _ := strings.Cut(auth, " ")
	switch strings.ToLower(scheme) {
	case "vapid":
		for param := range strings.SplitSeq(rest, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(param), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "t":
				token = strings.TrimSpace(value)
			case "k":
				key = strings.TrimSpace(value)
			}
		}
	case "webpush":
		token = strings.TrimSpace(rest)
		for param := range strings.FieldsFuncSeq(h.Get("Crypto-Key"), func(r rune) bool { return r == ';' || r == ',' }) {
			name, value, _ := strings.Cut(strings.TrimSpace(param), "=")
			if strings.EqualFold(strings.TrimSpace(name), "p256ecdsa") {
				key = strings.Trim(strings.TrimSpace(value), `"`)
			}
		}
	default:
		return "", "", reject(RejectMalformedAuth, "Authorization scheme must be vapid")
	}
	if token == "" || key == "" {
		return "", "", reject(RejectMalformedAuth, "Authorization needs t= and k=")
	}
	return token, key, nil
}

// verifyVAPID authenticates a push request. Signature checks are cached per
// (token, key) because a sender reuses one JWT for many messages; the
// time- and origin-dependent claims are checked every time.
func (s *Server) verifyVAPID(h http.Header, now time.Time) (*vapid, *rejection) {
	token, key, rej := parseAuthorization(h)
	if rej != nil {
		return nil, rej
	}
	v, ok := s.tokens.get(token, key)
	if !ok {
		if v, rej = verifyJWT(token, key); rej != nil {
			return nil, rej
		}
		s.tokens.put(token, key, v, now)
	}
	return v, checkClaims(v, s.PublicOrigin(), now)
}

func verifyJWT(token, key string) (*vapid, *rejection) {
	headerB64, rest, ok1 := strings.Cut(token, ".")
	claimsB64, sigB64, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(sigB64, ".") {
		return nil, reject(RejectMalformedJWT, "JWT must have three parts")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(headerB64, &header); err != nil {
		return nil, reject(RejectMalformedJWT, "JWT header: "+err.Error())
	}
	if header.Alg != "ES256" {
		return nil, reject(RejectBadAlg, "JWT alg must be ES256")
	}
	raw, err := decodeBase64URL(key)
	if err != nil {
		return nil, reject(RejectMalformedAuth, "k: "+err.Error())
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		return nil, reject(RejectMalformedAuth, "k is not an uncompressed P-256 point")
	}
	sig, err := decodeBase64URL(sigB64)
	if err != nil || len(sig) != 64 {
		return nil, reject(RejectBadSignature, "JWT signature must be 64 bytes r||s")
	}
	digest := sha256.Sum256([]byte(token[:len(headerB64)+1+len(claimsB64)]))
	r, sv := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(pub, digest[:], r, sv) {
		return nil, reject(RejectBadSignature, "JWT signature does not verify under k")
	}
	var claims struct {
		Aud string       `json:"aud"`
		Exp *json.Number `json:"exp"`
		Sub string       `json:"sub"`
	}
	if err := decodeSegment(claimsB64, &claims); err != nil {
		return nil, reject(RejectMalformedJWT, "JWT claims: "+err.Error())
	}
	v := &vapid{claims: Claims{Aud: claims.Aud, Sub: claims.Sub}, key: raw, keyB64: trimPadding(key)}
	if claims.Exp != nil {
		exp, err := claims.Exp.Float64()
		if err != nil {
			return nil, reject(RejectMalformedJWT, "JWT exp is not a number")
		}
		v.claims.Exp, v.hasExp = int64(exp), true
	}
	return v, nil
}

func decodeSegment(seg string, into any) error {
	raw, err := decodeBase64URL(seg)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(into)
}

func checkClaims(v *vapid, origin string, now time.Time) *rejection {
	c := v.claims
	switch {
	case c.Aud != origin:
		return reject(RejectWrongAudience, "JWT aud must be "+origin)
	case !v.hasExp:
		return reject(RejectMissingExp, "JWT exp missing")
	case c.Exp <= now.Unix():
		return reject(RejectExpired, "JWT expired")
	case time.Unix(c.Exp, 0).Sub(now) > maxExpiry:
		return reject(RejectExpTooFar, "JWT exp more than 24h ahead")
	case !validSubject(c.Sub):
		return reject(RejectBadSubject, "JWT sub must be a mailto: or https: URI")
	}
	return nil
}

func validSubject(sub string) bool {
	if rest, ok := strings.CutPrefix(sub, "mailto:"); ok {
		// "mailto:mailto:x" is the classic double-prefix sender bug.
		return rest != "" && !strings.HasPrefix(rest, "mailto:")
	}
	rest, ok := strings.CutPrefix(sub, "https:")
	return ok && rest != ""
}

// tokenCache remembers signature-verified tokens.
type tokenCache struct {
	mu sync.RWMutex
	m  map[string]*vapid
}

// maxCachedTokens bounds the cache; senders rotate JWTs, so stale ones are
// swept when it fills.
const maxCachedTokens = 4096

func newTokenCache() tokenCache { return tokenCache{m: make(map[string]*vapid)} }

func (c *tokenCache) get(token, key string) (*vapid, bool) {
	c.mu.RLock()
	v, ok := c.m[token+" "+key]
	c.mu.RUnlock()
	return v, ok
}

func (c *tokenCache) put(token, key string, v *vapid, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedTokens {
		for k, old := range c.m {
			if old.claims.Exp <= now.Unix() {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCachedTokens {
			clear(c.m)
		}
	}
	c.m[token+" "+key] = v
}

func (c *tokenCache) clear() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}
