// Package engagement records what service workers report about a notification
// (received, clicked, dismissed). Each payload carries a token Herald signs
// over the notification id, so a report for a notification can only come
// from someone who decrypted that notification. It owns the
// notification_events and signing_keys tables.
package engagement

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm/clause"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/masterkey"
)

// tokenPrefix versions the token format.
const tokenPrefix = "v1."

// keyName is the signing_keys row holding the event token secret.
const keyName = "event-token"

type signingKey struct {
	Name         string    `gorm:"column:name;primaryKey"`
	SecretSealed []byte    `gorm:"column:secret_sealed"`
	CreatedAt    time.Time `gorm:"column:created_at"`
}

func (signingKey) TableName() string { return "signing_keys" }

// Tokens signs and verifies event tokens. The secret is random, created once
// per installation and kept in the database sealed under the master key, so
// every API replica agrees on it. It is loaded on first use.
type Tokens struct {
	db  *database.DB
	key masterkey.Key

	mu     sync.Mutex
	secret []byte
}

// NewTokens returns Tokens over db; secrets are sealed with key.
func NewTokens(db *database.DB, key masterkey.Key) *Tokens { return &Tokens{db: db, key: key} }

// Token is the event token for a notification.
func (t *Tokens) Token(ctx context.Context, notificationID string) (string, error) {
	secret, err := t.load(ctx)
	if err != nil {
		return "", err
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(mac(secret, notificationID)), nil
}

// Valid says whether token was signed for notificationID, in constant time.
func (t *Tokens) Valid(ctx context.Context, notificationID, token string) (bool, error) {
	secret, err := t.load(ctx)
	if err != nil {
		return false, err
	}
	raw, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok {
		return false, nil
	}
	got, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return false, nil
	}
	return hmac.Equal(got, mac(secret, notificationID)), nil
}

func mac(secret []byte, notificationID string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("herald event token v1\x00"))
	h.Write([]byte(notificationID))
	return h.Sum(nil)
}

// load returns the secret, creating it the first time; concurrent creators
// (several replicas) agree on whichever row was inserted first.
func (t *Tokens) load(ctx context.Context) ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.secret != nil {
		return t.secret, nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("event token secret: %w", err)
	}
	sealed, err := t.key.Seal(fresh, []byte(keyName))
	if err != nil {
		return nil, fmt.Errorf("seal event token secret: %w", err)
	}
	row := signingKey{Name: keyName, SecretSealed: sealed, CreatedAt: time.Now().UTC()}
	db := t.db.WithContext(ctx)
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return nil, fmt.Errorf("store event token secret: %w", err)
	}
	var stored signingKey
	if err := db.Where("name = ?", keyName).Take(&stored).Error; err != nil {
		return nil, fmt.Errorf("load event token secret: %w", err)
	}
	secret, err := t.key.Open(stored.SecretSealed, []byte(keyName))
	if err != nil {
		return nil, fmt.Errorf("open event token secret: %w", err)
	}
	t.secret = secret
	return secret, nil
}
