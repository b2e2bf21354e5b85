package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/heraldpush/herald/pkg/fault"
)

// ErrAPIKeyNotFound is returned for an unknown, revoked or another app's key id.
var ErrAPIKeyNotFound = fault.NotFound("api_key_not_found", "no API key with this id in this app")

// lastUsedEvery is how stale a key's last_used_at may get: Authenticate
// writes it at most once per key per interval, not on every request.
const lastUsedEvery = time.Minute

// apiKeyPrefixLength is how much of a key List shows: "hk_" and the first
// 8 hex digits of its random id, enough to tell keys apart, nothing secret.
const apiKeyPrefixLength = 11

// newAPIKeyRow makes an API key for appID: the row to store and the key to
// show once. Its id is random (UUIDv4) so that keys made together still
// differ in their first characters, which is what a listing shows.
func newAPIKeyRow(appID string, now time.Time) (*APIKey, string) {
	ak := &APIKey{ID: uuid.Must(uuid.NewRandom()).String(), AppID: appID, CreatedAt: now}
	key := newAPIKey(ak.ID)
	ak.SecretHash = hashAPIKey(key)
	ak.Prefix = key[:apiKeyPrefixLength]
	return ak, key
}

// Authenticate returns the app an API key belongs to, and notes that the
// key was used (at most once a minute per key).
func (s *Store) Authenticate(ctx context.Context, apiKey string) (*App, error) {
	keyID, ok := parseAPIKey(apiKey)
	if !ok {
		return nil, ErrInvalidAPIKey
	}
	var ak APIKey
	err := s.db.WithContext(ctx).Where("id = ? AND revoked_at IS NULL", keyID).Take(&ak).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrInvalidAPIKey
	}
	if err != nil {
		return nil, fmt.Errorf("load API key: %w", err)
	}
	if !apiKeyMatches(ak.SecretHash, apiKey) {
		return nil, ErrInvalidAPIKey
	}
	if now := s.now(); ak.LastUsedAt == nil || now.Sub(*ak.LastUsedAt) >= lastUsedEvery {
		// A lost write costs a stale last_used_at, never the request.
		_ = s.db.WithContext(ctx).Model(&APIKey{}).Where("id = ?", ak.ID).Update("last_used_at", now).Error
	}
	return s.Get(ctx, ak.AppID)
}

// CreateAPIKey adds a key to the app; the app's other keys stay valid, so
// a key is rotated by creating the new one, deploying it, then revoking
// the old one. The key itself is returned only here.
func (s *Store) CreateAPIKey(ctx context.Context, appID string) (*APIKey, string, error) {
	if _, err := s.Get(ctx, appID); err != nil {
		return nil, "", err
	}
	ak, key := newAPIKeyRow(appID, s.now())
	if err := s.db.WithContext(ctx).Create(ak).Error; err != nil {
		return nil, "", fmt.Errorf("create API key: %w", err)
	}
	return ak, key, nil
}

// ListAPIKeys returns the app's keys not revoked, oldest first (an app has
// a handful: no pagination).
func (s *Store) ListAPIKeys(ctx context.Context, appID string) ([]APIKey, error) {
	if _, err := s.Get(ctx, appID); err != nil {
		return nil, err
	}
	keys := []APIKey{}
	if err := s.db.WithContext(ctx).Where("app_id = ? AND revoked_at IS NULL", appID).
		Order("created_at, id").Find(&keys).Error; err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	return keys, nil
}

// RevokeAPIKey makes one of the app's keys invalid from now on.
func (s *Store) RevokeAPIKey(ctx context.Context, appID, keyID string) error {
	if _, err := uuid.Parse(keyID); err != nil {
		return ErrAPIKeyNotFound
	}
	res := s.db.WithContext(ctx).Model(&APIKey{}).Where("id = ? AND app_id = ? AND revoked_at IS NULL", keyID, appID).
		Update("revoked_at", s.now())
	if res.Error != nil {
		return fmt.Errorf("revoke API key: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrAPIKeyNotFound
	}
	return nil
}
