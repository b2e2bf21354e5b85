// Package engagement records what service workers report about a notification
// (received, clicked, dismissed). Each message carries a token Herald signs
// over the notification and the subscription it was sent to, so a report
// can only come from someone who decrypted that message, and one recipient
// counts once per notification and type, never for another recipient. It
// owns the notification_events and signing_keys tables.
package engagement

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"strings"

	"github.com/google/uuid"
	"sync"
	"time"

	"gorm.io/gorm/clause"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/masterkey"
)

// tokenPrefix marks the notification's token, which the stored payloads
// carry and the worker replaces in each message with the recipient's
// (recipientPrefix). It counts nothing.
const tokenPrefix = "v1."

// recipientPrefix marks a recipient's token: base64url of the subscription
// id (16 bytes) and a MAC over notification and subscription (16 bytes),
// the same length as the notification's token, so the payload size checked
// when the notification was made still holds.
const recipientPrefix = "v2."

// macBytes is the length of a recipient token's MAC: 128 bits, enough
// against forgery for a counter.
const macBytes = 16

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

// Token is the notification's token, the placeholder its stored payloads
// carry (Recipients replaces it in each message).
func (t *Tokens) Token(ctx context.Context, notificationID string) (string, error) {
	secret, err := t.load(ctx)
	if err != nil {
		return "", err
	}
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("herald event token v1\x00"))
	h.Write([]byte(notificationID))
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(h.Sum(nil)), nil
}

// Recipients returns the notification's token, which its stored payloads
// carry, and a function making the token of the message to one of its
// subscriptions: one HMAC (its keyed state reused, so a batch allocates
// little), the same length as the placeholder. recipient is for one
// goroutine at a time (a batch's loop).
func (t *Tokens) Recipients(ctx context.Context, notificationID string) (placeholder string, recipient func(subscriptionID string) string, err error) {
	if placeholder, err = t.Token(ctx, notificationID); err != nil {
		return "", nil, err
	}
	secret, err := t.load(ctx)
	if err != nil {
		return "", nil, err
	}
	h := hmac.New(sha256.New, secret)
	raw := make([]byte, 0, 16+sha256.Size)
	return placeholder, func(subscriptionID string) string {
		sid, err := uuid.Parse(subscriptionID)
		if err != nil {
			return placeholder // never: subscription ids are UUIDs
		}
		h.Reset()
		raw = append(append(raw[:0], sid[:]...), recipientMAC(h, notificationID, sid)...)
		return recipientPrefix + base64.RawURLEncoding.EncodeToString(raw[:16+macBytes])
	}, nil
}

// recipientFor is one recipient's token under secret, made on its own.
func recipientFor(secret []byte, notificationID, subscriptionID string) string {
	sid, err := uuid.Parse(subscriptionID)
	if err != nil {
		return ""
	}
	mac := recipientMAC(hmac.New(sha256.New, secret), notificationID, sid)
	return recipientPrefix + base64.RawURLEncoding.EncodeToString(append(sid[:], mac[:macBytes]...))
}

// recipientOf returns the subscription a recipient token was made for,
// with ok false when token was not signed for notificationID (the
// notification's own token, a made-up one, another notification's); the
// MAC is compared in constant time.
func (t *Tokens) recipientOf(ctx context.Context, notificationID, token string) (subscriptionID string, ok bool, err error) {
	secret, err := t.load(ctx)
	if err != nil {
		return "", false, err
	}
	subscriptionID, ok = verifyRecipient(secret, notificationID, token)
	return subscriptionID, ok, nil
}

// verifyRecipient is recipientOf under secret.
func verifyRecipient(secret []byte, notificationID, token string) (subscriptionID string, ok bool) {
	raw, found := strings.CutPrefix(token, recipientPrefix)
	// The one spelling Herald makes: the decoder skips CR and LF even when
	// strict (FuzzEvent found a token with a newline inside accepted).
	if !found || len(raw) != base64.RawURLEncoding.EncodedLen(16+macBytes) {
		return "", false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(raw)
	if err != nil || len(b) != 16+macBytes {
		return "", false
	}
	sid, _ := uuid.FromBytes(b[:16])
	if !hmac.Equal(b[16:], recipientMAC(hmac.New(sha256.New, secret), notificationID, sid)[:macBytes]) {
		return "", false
	}
	return sid.String(), true
}

// recipientMAC is the MAC over notification and subscription, from h, a
// fresh HMAC-SHA256 under the secret; its first macBytes are the token's.
func recipientMAC(h hash.Hash, notificationID string, subscriptionID uuid.UUID) []byte {
	h.Write([]byte("herald event token v2\x00"))
	h.Write(subscriptionID[:])
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
