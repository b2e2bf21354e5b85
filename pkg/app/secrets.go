package app

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/heraldpush/herald/pkg/fault"
)

const (
	apiKeyPrefix         = "hk_"
	identitySecretPrefix = "hs_"
)

var (
	// ErrInvalidAPIKey is returned for a missing, malformed, unknown or revoked key.
	ErrInvalidAPIKey = fault.Unauthorized("invalid_api_key", "the API key is missing, wrong or revoked")
	// ErrInvalidUserHash means a browser claimed a user_id it could not prove.
	ErrInvalidUserHash = fault.Forbidden("invalid_user_hash",
		"user_id needs user_hash = hex(HMAC-SHA256(app identity secret, user_id)), computed by your backend")
)

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// newAPIKey returns the key shown to the user: its id (to find the row) and a
// secret part. The row stores only sha256 of the whole key.
func newAPIKey(keyID string) string {
	return apiKeyPrefix + strings.ReplaceAll(keyID, "-", "") + "_" + randomToken(32)
}

// parseAPIKey extracts the key id from a presented key.
func parseAPIKey(key string) (keyID string, ok bool) {
	rest, found := strings.CutPrefix(key, apiKeyPrefix)
	if !found {
		return "", false
	}
	hexID, _, found := strings.Cut(rest, "_")
	if !found || len(hexID) != 32 {
		return "", false
	}
	if _, err := hex.DecodeString(hexID); err != nil {
		return "", false
	}
	return hexID[0:8] + "-" + hexID[8:12] + "-" + hexID[12:16] + "-" + hexID[16:20] + "-" + hexID[20:32], true
}

func hashAPIKey(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

func apiKeyMatches(stored []byte, presented string) bool {
	return subtle.ConstantTimeCompare(stored, hashAPIKey(presented)) == 1
}

// UserHash is what an app's backend computes to let a browser claim userID.
func UserHash(identitySecret, userID string) string {
	mac := hmac.New(sha256.New, []byte(identitySecret))
	mac.Write([]byte(userID))
	return hex.EncodeToString(mac.Sum(nil))
}

// VerifyUserHash checks a browser's claim to userID in constant time.
func (a *App) VerifyUserHash(userID, userHash string) error {
	want := UserHash(string(a.identitySecret), userID)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(userHash))) {
		return ErrInvalidUserHash
	}
	return nil
}

// LooksLikeAPIKey tells a token shaped like an API key (whether valid or
// not) from other bearer tokens, to say which credential a route wants.
func LooksLikeAPIKey(token string) bool {
	_, ok := parseAPIKey(token)
	return ok
}
