package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

// The user_hash a backend computes is hex(HMAC-SHA256(identity_secret,
// user_id)), computed here from the formula, not from Herald's own function.
func TestUserHashFormula(t *testing.T) {
	t.Parallel()
	h := setup(t, sqliteDB(t))
	a := h.createApp()
	formula := func(secret, userID string) string {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(userID))
		return hex.EncodeToString(mac.Sum(nil))
	}
	public := "/v1/apps/" + a.ID + "/subscriptions"
	subscribe := func(userID, hash, endpoint string) response {
		return h.do("POST", public, map[string]any{"subscription": browserSubscription(t, "https://fcm.googleapis.com/fcm/send/"+endpoint),
			"user_id": userID, "user_hash": hash}, "Origin", pageOrigin)
	}
	for i, userID := range []string{"42", "user@example.com", "ünïcödé-ид", strings.Repeat("x", 256)} {
		good := formula(a.IdentitySecret, userID)
		if r := subscribe(userID, good, "id"+string(rune('a'+i))); r.status != http.StatusCreated {
			t.Errorf("user %q with the formula's hash: %d %s", userID, r.status, r.raw)
		}
		if r := subscribe(userID, strings.ToUpper(good), "up"+string(rune('a'+i))); r.status != http.StatusOK && r.status != http.StatusCreated {
			t.Errorf("user %q with the hash in upper case: %d %s", userID, r.status, r.raw)
		}
		for name, bad := range map[string]string{
			"another user's":   formula(a.IdentitySecret, userID+"x"),
			"another secret's": formula(a.IdentitySecret+"x", userID),
			"SHA-256 unkeyed":  hex.EncodeToString(func() []byte { s := sha256.Sum256([]byte(userID)); return s[:] }()),
			"truncated":        good[:32],
			"empty":            "",
		} {
			if r := subscribe(userID, bad, "bad"+string(rune('a'+i))); r.status != http.StatusForbidden || r.code() != "invalid_user_hash" {
				t.Errorf("user %q with %s hash: %d %s", userID, name, r.status, r.raw)
			}
		}
	}
}
