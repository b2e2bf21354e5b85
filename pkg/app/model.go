// Package app manages tenants: apps, their VAPID key pairs (sealed at rest),
// their API keys (only a hash stored) and their identity secrets. It owns
// the apps, vapid_keys and api_keys tables.
package app

import (
	"time"
)

// App is a tenant: one site or product that sends notifications.
type App struct {
	ID                   string    `gorm:"column:id;primaryKey"`
	Name                 string    `gorm:"column:name"`
	AllowedOriginsJSON   string    `gorm:"column:allowed_origins"`
	IdentitySecretSealed []byte    `gorm:"column:identity_secret_sealed"`
	SettingsJSON         string    `gorm:"column:settings"` // Settings as JSON, keys this release does not know kept
	CreatedAt            time.Time `gorm:"column:created_at"`
	UpdatedAt            time.Time `gorm:"column:updated_at"`

	// Settings are the app's options (settings.go), decoded from SettingsJSON.
	Settings Settings `gorm:"-"`

	allowedOrigins []string
	identitySecret []byte
}

func (App) TableName() string { return "apps" }

// AllowedOrigins lists the origins whose pages may subscribe (CORS).
func (a *App) AllowedOrigins() []string { return a.allowedOrigins }

// AllowsOrigin reports whether a browser page at origin may use public routes.
func (a *App) AllowsOrigin(origin string) bool {
	origin = normalizeOriginText(origin)
	for _, o := range a.allowedOrigins {
		if o == origin {
			return true
		}
	}
	return false
}

// VAPIDKey is one of an app's application server key pairs. Subscriptions
// record the key they were made with so keys can rotate without breaking them.
type VAPIDKey struct {
	ID               string     `gorm:"column:id;primaryKey"`
	AppID            string     `gorm:"column:app_id"`
	PublicKey        string     `gorm:"column:public_key"`
	PrivateKeySealed []byte     `gorm:"column:private_key_sealed"`
	Active           bool       `gorm:"column:active"`
	CreatedAt        time.Time  `gorm:"column:created_at"`
	RetiredAt        *time.Time `gorm:"column:retired_at"`
}

func (VAPIDKey) TableName() string { return "vapid_keys" }

// APIKey is a server-to-server credential; only the SHA-256 of the key is kept.
type APIKey struct {
	ID         string     `gorm:"column:id;primaryKey"`
	AppID      string     `gorm:"column:app_id"`
	SecretHash []byte     `gorm:"column:secret_hash"`
	Prefix     string     `gorm:"column:prefix"` // the key's first characters, not secret: to tell keys apart
	CreatedAt  time.Time  `gorm:"column:created_at"`
	LastUsedAt *time.Time `gorm:"column:last_used_at"` // to the minute (lastUsedEvery)
	RevokedAt  *time.Time `gorm:"column:revoked_at"`
}

func (APIKey) TableName() string { return "api_keys" }

// Created is what creating an app returns; the secrets are shown only once.
type Created struct {
	App            *App
	APIKeyID       string
	VAPIDPublicKey string
	APIKey         string
	IdentitySecret string
}
