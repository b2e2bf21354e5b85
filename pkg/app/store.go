package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/vapid"
)

// ErrAppNotFound is returned for an unknown app id.
var ErrAppNotFound = fault.NotFound("app_not_found", "no app with this id")

// Store reads and writes apps and their keys.
type Store struct {
	db  *database.DB
	key masterkey.Key
}

// NewStore returns a Store that seals secrets with key.
func NewStore(db *database.DB, key masterkey.Key) *Store { return &Store{db: db, key: key} }

// CreateInput is what an admin supplies for a new app.
type CreateInput struct {
	Name           string
	AllowedOrigins []string
}

// Create makes an app with a fresh VAPID key pair, API key and identity
// secret, in one transaction.
func (s *Store) Create(ctx context.Context, in CreateInput) (*Created, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return nil, fault.Invalid("invalid_name", "name is required, at most 200 characters")
	}
	origins, err := normalizeOrigins(in.AllowedOrigins)
	if err != nil {
		return nil, err
	}
	originsJSON, _ := json.Marshal(origins)
	kp, err := vapid.Generate()
	if err != nil {
		return nil, fmt.Errorf("generate VAPID key: %w", err)
	}
	now := time.Now().UTC()
	a := &App{
		ID: newID(), Name: name, AllowedOriginsJSON: string(originsJSON),
		CreatedAt: now, UpdatedAt: now, allowedOrigins: origins,
	}
	identitySecret := identitySecretPrefix + randomToken(32)
	a.identitySecret = []byte(identitySecret)
	if a.IdentitySecretSealed, err = s.key.Seal(a.identitySecret, []byte("app-identity:"+a.ID)); err != nil {
		return nil, err
	}
	vk := &VAPIDKey{ID: newID(), AppID: a.ID, PublicKey: kp.PublicKey(), Active: true, CreatedAt: now}
	if vk.PrivateKeySealed, err = s.key.Seal(kp.PrivateKeyBytes(), []byte("vapid:"+vk.ID)); err != nil {
		return nil, err
	}
	ak := &APIKey{ID: newID(), AppID: a.ID, CreatedAt: now}
	apiKey := newAPIKey(ak.ID)
	ak.SecretHash = hashAPIKey(apiKey)

	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, row := range []any{a, vk, ak} {
			if err := tx.Create(row).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create app: %w", err)
	}
	return &Created{App: a, VAPIDPublicKey: vk.PublicKey, APIKey: apiKey, IdentitySecret: identitySecret}, nil
}

// Get loads an app with its secrets opened.
func (s *Store) Get(ctx context.Context, id string) (*App, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ErrAppNotFound
	}
	var a App
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&a).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrAppNotFound
		}
		return nil, fmt.Errorf("load app: %w", err)
	}
	if err := json.Unmarshal([]byte(a.AllowedOriginsJSON), &a.allowedOrigins); err != nil {
		return nil, fmt.Errorf("app %s allowed_origins: %w", a.ID, err)
	}
	secret, err := s.key.Open(a.IdentitySecretSealed, []byte("app-identity:"+a.ID))
	if err != nil {
		return nil, fmt.Errorf("app %s identity secret: %w", a.ID, err)
	}
	a.identitySecret = secret
	return &a, nil
}

// Authenticate returns the app an API key belongs to.
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
	return s.Get(ctx, ak.AppID)
}

// ActiveVAPIDKey returns the key new subscriptions are made with.
func (s *Store) ActiveVAPIDKey(ctx context.Context, appID string) (*VAPIDKey, error) {
	var vk VAPIDKey
	err := s.db.WithContext(ctx).Where("app_id = ? AND active", appID).
		Order("created_at DESC").Take(&vk).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrAppNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load VAPID key: %w", err)
	}
	return &vk, nil
}

// VAPIDKeyPair opens the private key of a VAPID key, for signing.
func (s *Store) VAPIDKeyPair(ctx context.Context, keyID string) (*vapid.KeyPair, error) {
	var vk VAPIDKey
	if err := s.db.WithContext(ctx).Where("id = ?", keyID).Take(&vk).Error; err != nil {
		return nil, fmt.Errorf("load VAPID key %s: %w", keyID, err)
	}
	raw, err := s.key.Open(vk.PrivateKeySealed, []byte("vapid:"+vk.ID))
	if err != nil {
		return nil, fmt.Errorf("VAPID key %s: %w", keyID, err)
	}
	return vapid.ParsePrivateKeyBytes(raw)
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }
