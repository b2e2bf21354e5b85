package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/listing"
	"github.com/heraldpush/herald/pkg/masterkey"
)

// ErrAppNotFound is returned for an unknown app id.
var ErrAppNotFound = fault.NotFound("app_not_found", "no app with this id")

// Store reads and writes apps and their keys.
type Store struct {
	db  *database.DB
	key masterkey.Key
	now func() time.Time
}

// NewStore returns a Store that seals secrets with key.
func NewStore(db *database.DB, key masterkey.Key) *Store {
	return &Store{db: db, key: key, now: func() time.Time { return time.Now().UTC() }}
}

// CreateInput is what an admin supplies for a new app. VAPIDPublicKey and
// VAPIDPrivateKey, both or neither, import a key pair (as web-push tools
// print them); without them the app gets a fresh one.
type CreateInput struct {
	Name            string
	AllowedOrigins  []string
	Settings        Settings
	VAPIDPublicKey  string
	VAPIDPrivateKey string
}

// Create makes an app with a VAPID key pair, API key and identity secret,
// in one transaction.
func (s *Store) Create(ctx context.Context, in CreateInput) (*Created, error) {
	name, err := validName(in.Name)
	if err != nil {
		return nil, err
	}
	origins, err := normalizeOrigins(in.AllowedOrigins)
	if err != nil {
		return nil, err
	}
	if err := in.Settings.Validate(); err != nil {
		return nil, err
	}
	settingsJSON, err := encodeSettings("", in.Settings)
	if err != nil {
		return nil, err
	}
	kp, err := keyPairFor(in.VAPIDPublicKey, in.VAPIDPrivateKey)
	if err != nil {
		return nil, err
	}
	originsJSON, _ := json.Marshal(origins)
	now := s.now()
	a := &App{
		ID: newID(), Name: name, AllowedOriginsJSON: string(originsJSON), SettingsJSON: settingsJSON,
		CreatedAt: now, UpdatedAt: now, Settings: in.Settings, allowedOrigins: origins,
	}
	identitySecret := identitySecretPrefix + randomToken(32)
	a.identitySecret = []byte(identitySecret)
	if a.IdentitySecretSealed, err = s.key.Seal(a.identitySecret, []byte("app-identity:"+a.ID)); err != nil {
		return nil, err
	}
	vk, err := s.sealVAPIDKey(a.ID, kp, now)
	if err != nil {
		return nil, err
	}
	ak, apiKey := newAPIKeyRow(a.ID, now)
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
	return &Created{App: a, APIKeyID: ak.ID, VAPIDPublicKey: vk.PublicKey, APIKey: apiKey, IdentitySecret: identitySecret}, nil
}

func validName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return "", fault.Invalid("invalid_name", "name is required, at most 200 characters")
	}
	return name, nil
}

// Get loads an app with its secrets opened.
func (s *Store) Get(ctx context.Context, id string) (*App, error) {
	a, err := database.TakeID[App](s.db.WithContext(ctx), id, ErrAppNotFound, "app")
	if err != nil {
		return nil, err
	}
	if err := s.open(a); err != nil {
		return nil, err
	}
	return a, nil
}

// open decodes what a loaded row keeps encoded or sealed.
func (s *Store) open(a *App) error {
	if err := json.Unmarshal([]byte(a.AllowedOriginsJSON), &a.allowedOrigins); err != nil {
		return fmt.Errorf("app %s allowed_origins: %w", a.ID, err)
	}
	settings, err := decodeSettings(a.SettingsJSON)
	if err != nil {
		return fmt.Errorf("app %s: %w", a.ID, err)
	}
	a.Settings = settings
	secret, err := s.key.Open(a.IdentitySecretSealed, []byte("app-identity:"+a.ID))
	if err != nil {
		return fmt.Errorf("app %s identity secret: %w", a.ID, err)
	}
	a.identitySecret = secret
	return nil
}

// List returns a page of apps in id (creation) order.
func (s *Store) List(ctx context.Context, p listing.Page) ([]App, string, error) {
	page, next, err := listing.Keyset(s.db.WithContext(ctx), p, listing.Order{Column: "id", ID: "an app id"}, "apps",
		func(a App) string { return a.ID })
	if err != nil {
		return nil, "", err
	}
	for i := range page {
		if err := s.open(&page[i]); err != nil {
			return nil, "", err
		}
	}
	return page, next, nil
}

// Update is a change to an app: nil fields stay as they are. Settings, when
// set, is the whole of the new settings (the HTTP layer merges a PATCH into
// the current ones).
type Update struct {
	Name           *string
	AllowedOrigins *[]string
	Settings       *Settings
}

// Update changes an app and returns it as it now is.
func (s *Store) Update(ctx context.Context, id string, u Update) (*App, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	changes := map[string]any{"updated_at": s.now()}
	if u.Name != nil {
		name, err := validName(*u.Name)
		if err != nil {
			return nil, err
		}
		changes["name"] = name
	}
	if u.AllowedOrigins != nil {
		origins, err := normalizeOrigins(*u.AllowedOrigins)
		if err != nil {
			return nil, err
		}
		originsJSON, _ := json.Marshal(origins)
		changes["allowed_origins"] = string(originsJSON)
	}
	if u.Settings != nil {
		if err := u.Settings.Validate(); err != nil {
			return nil, err
		}
		settingsJSON, err := encodeSettings(a.SettingsJSON, *u.Settings)
		if err != nil {
			return nil, err
		}
		changes["settings"] = settingsJSON
	}
	if err := s.db.WithContext(ctx).Model(&App{}).Where("id = ?", id).Updates(changes).Error; err != nil {
		return nil, fmt.Errorf("update app: %w", err)
	}
	return s.Get(ctx, id)
}

// Delete removes an app; the database removes what belongs to it (keys,
// subscriptions, notifications, deliveries, dead letters) with it.
func (s *Store) Delete(ctx context.Context, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return ErrAppNotFound
	}
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(&App{})
	if res.Error != nil {
		return fmt.Errorf("delete app: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrAppNotFound
	}
	return nil
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }
