package notification

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/heraldpush/herald/pkg/fault"
)

// Idempotency keys, as the IETF Idempotency-Key draft has them: the same key
// with the same request answers the first notification again; with another
// request it is refused, so a client bug reusing keys is seen, not hidden.
// A key is kept for IdempotencyKeyLifetime (as OneSignal keeps them), then
// forgotten: the key makes a new notification.
const (
	IdempotencyKeyLifetime = 30 * 24 * time.Hour
	MaxIdempotencyKey      = 255
)

// ErrIdempotencyKeyReused refuses a key reused with a different request.
var ErrIdempotencyKeyReused = fault.Invalid("idempotency_key_reused",
	"this Idempotency-Key was used with a different request; send a new key for a new notification, or the same request to get the first answer again")

// ValidIdempotencyKey reports whether key is 1 to MaxIdempotencyKey
// printable ASCII characters (a header value anything can carry).
func ValidIdempotencyKey(key string) bool {
	if key == "" || len(key) > MaxIdempotencyKey {
		return false
	}
	for i := range len(key) {
		if key[i] < 0x20 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// fingerprint digests what a request asks for (not the app's defaults it
// falls back on), so a retry of the same JSON matches whatever its
// whitespace or field order.
func fingerprint(req Request) (string, error) {
	req.App = AppDefaults{}
	data, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("request fingerprint: %w", err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// replay returns the notification made with key when it is still kept and
// was made by the same request, ErrIdempotencyKeyReused when it was made by
// another, and (nil, nil) when the key is free (never used, or forgotten
// now because it outlived IdempotencyKeyLifetime).
func (s *Service) replay(ctx context.Context, appID, key, print string) (*Notification, error) {
	existing, err := s.store.ByIdempotencyKey(ctx, appID, key)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if s.store.now().Sub(existing.CreatedAt) > IdempotencyKeyLifetime {
		return nil, s.store.ForgetIdempotencyKey(ctx, existing.ID)
	}
	if existing.RequestFingerprint != "" && existing.RequestFingerprint != print {
		return nil, ErrIdempotencyKeyReused
	}
	return existing, nil
}
