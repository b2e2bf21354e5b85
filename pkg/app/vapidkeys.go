package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/vapid"
)

var (
	// ErrVAPIDKeyNotFound is returned for an unknown (or another app's) key.
	ErrVAPIDKeyNotFound = fault.NotFound("vapid_key_not_found", "no VAPID key with this id in this app")
	// ErrVAPIDKeyActive refuses to delete the key new subscriptions are made with.
	ErrVAPIDKeyActive = fault.Conflict("vapid_key_active",
		"this is the app's active VAPID key; rotate first (POST /v1/apps/{id}/vapid-keys), then delete it once no subscription holds it")
	// ErrVAPIDKeyMismatch refuses an imported public key that is not the private key's.
	ErrVAPIDKeyMismatch = fault.Invalid("vapid_key_mismatch",
		"the VAPID public key is not the point of this private key: pass the pair as `web-push generate-vapid-keys` printed it")
)

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

// VAPIDKeyByPublicKey returns the app's key (active or retired) whose
// public key is publicKey, in either base64 alphabet.
func (s *Store) VAPIDKeyByPublicKey(ctx context.Context, appID, publicKey string) (*VAPIDKey, error) {
	raw, err := decodeBase64Key(publicKey)
	if err != nil {
		return nil, ErrVAPIDKeyNotFound
	}
	var vk VAPIDKey
	err = s.db.WithContext(ctx).Where("app_id = ? AND public_key = ?", appID, base64.RawURLEncoding.EncodeToString(raw)).Take(&vk).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrVAPIDKeyNotFound
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

// AddVAPIDKey makes a key the app's active one: the pair given (imported,
// as web-push tools print it), or a fresh one when both are empty. The
// previous active key is retired: subscriptions made with it keep being
// signed with it.
func (s *Store) AddVAPIDKey(ctx context.Context, appID, publicKey, privateKey string) (*VAPIDKey, error) {
	if _, err := s.Get(ctx, appID); err != nil {
		return nil, err
	}
	kp, err := keyPairFor(publicKey, privateKey)
	if err != nil {
		return nil, err
	}
	now := s.now()
	vk, err := s.sealVAPIDKey(appID, kp, now)
	if err != nil {
		return nil, err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var same int64
		if err := tx.Model(&VAPIDKey{}).Where("app_id = ? AND public_key = ?", appID, vk.PublicKey).Count(&same).Error; err != nil {
			return err
		}
		if same > 0 {
			return fault.Conflict("vapid_key_exists", "the app already has this VAPID key")
		}
		if err := tx.Model(&VAPIDKey{}).Where("app_id = ? AND active", appID).
			Updates(map[string]any{"active": false, "retired_at": now}).Error; err != nil {
			return err
		}
		return tx.Create(vk).Error
	})
	if err != nil {
		if _, ok := fault.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("add VAPID key: %w", err)
	}
	return vk, nil
}

// ListVAPIDKeys returns the app's keys, newest first.
func (s *Store) ListVAPIDKeys(ctx context.Context, appID string) ([]VAPIDKey, error) {
	if _, err := s.Get(ctx, appID); err != nil {
		return nil, err
	}
	keys := []VAPIDKey{}
	if err := s.db.WithContext(ctx).Where("app_id = ?", appID).Order("created_at DESC, id DESC").Find(&keys).Error; err != nil {
		return nil, fmt.Errorf("list VAPID keys: %w", err)
	}
	return keys, nil
}

// KeyHolders are the subscriptions made with VAPID keys
// (subscription.Store is one).
type KeyHolders interface {
	// ActiveByVAPIDKey counts active subscriptions per key id.
	ActiveByVAPIDKey(ctx context.Context, keyIDs []string) (map[string]int64, error)
	// DeleteInactiveByVAPIDKey removes the gone and unsubscribed
	// subscriptions made with the key, which nothing can reach again.
	DeleteInactiveByVAPIDKey(ctx context.Context, keyID string) (int64, error)
}

// DeleteVAPIDKey removes a retired key that no active subscription holds,
// with the inactive subscriptions made with it, in one transaction; holders
// binds the subscriptions' store to it.
func (s *Store) DeleteVAPIDKey(ctx context.Context, appID, keyID string, holders func(tx *database.DB) KeyHolders) error {
	return s.db.InTx(ctx, func(tx *database.DB) error {
		vk, err := database.TakeID[VAPIDKey](tx.WithContext(ctx).Where("app_id = ?", appID), keyID, ErrVAPIDKeyNotFound, "VAPID key")
		if err != nil {
			return err
		}
		if vk.Active {
			return ErrVAPIDKeyActive
		}
		h := holders(tx)
		active, err := h.ActiveByVAPIDKey(ctx, []string{keyID})
		if err != nil {
			return err
		}
		if n := active[keyID]; n > 0 {
			return fault.Conflict("vapid_key_in_use",
				"%d active subscriptions were made with this key and are still signed with it; delete it once none are (GET /v1/apps/{id}/vapid-keys counts them)", n)
		}
		if _, err := h.DeleteInactiveByVAPIDKey(ctx, keyID); err != nil {
			return err
		}
		if err := tx.WithContext(ctx).Where("id = ?", keyID).Delete(&VAPIDKey{}).Error; err != nil {
			return fmt.Errorf("delete VAPID key: %w", err)
		}
		return nil
	})
}

// sealVAPIDKey makes the row of a key pair, its private key sealed.
func (s *Store) sealVAPIDKey(appID string, kp *vapid.KeyPair, now time.Time) (*VAPIDKey, error) {
	vk := &VAPIDKey{ID: newID(), AppID: appID, PublicKey: kp.PublicKey(), Active: true, CreatedAt: now}
	var err error
	if vk.PrivateKeySealed, err = s.key.Seal(kp.PrivateKeyBytes(), []byte("vapid:"+vk.ID)); err != nil {
		return nil, err
	}
	return vk, nil
}

// keyPairFor imports publicKey and privateKey (both, as web-push tools
// print them) or, when both are empty, generates a pair.
func keyPairFor(publicKey, privateKey string) (*vapid.KeyPair, error) {
	publicKey, privateKey = strings.TrimSpace(publicKey), strings.TrimSpace(privateKey)
	if publicKey == "" && privateKey == "" {
		kp, err := vapid.Generate()
		if err != nil {
			return nil, fmt.Errorf("generate VAPID key: %w", err)
		}
		return kp, nil
	}
	if publicKey == "" || privateKey == "" {
		return nil, fault.Invalid("invalid_vapid_key", "import a VAPID key as a pair: both the public and the private key")
	}
	kp, err := vapid.ParsePrivateKey(privateKey)
	if err != nil {
		return nil, err
	}
	pub, err := decodeBase64Key(publicKey)
	if err != nil {
		return nil, fault.Invalid("invalid_vapid_key", "the VAPID public key is not base64url (or base64)")
	}
	if !bytes.Equal(pub, kp.PublicKeyBytes()) {
		return nil, ErrVAPIDKeyMismatch
	}
	return kp, nil
}

// decodeBase64Key accepts either base64 alphabet, padded or not.
func decodeBase64Key(s string) ([]byte, error) {
	s = strings.NewReplacer("+", "-", "/", "_").Replace(strings.TrimRight(strings.TrimSpace(s), "="))
	return base64.RawURLEncoding.DecodeString(s)
}

// ActiveVAPIDKeys returns the active public key of each of the apps.
func (s *Store) ActiveVAPIDKeys(ctx context.Context, appIDs []string) (map[string]string, error) {
	out := make(map[string]string, len(appIDs))
	if len(appIDs) == 0 {
		return out, nil
	}
	var keys []VAPIDKey
	if err := s.db.WithContext(ctx).Where("app_id IN ? AND active", appIDs).Order("created_at").Find(&keys).Error; err != nil {
		return nil, fmt.Errorf("load VAPID keys: %w", err)
	}
	for _, k := range keys {
		out[k.AppID] = k.PublicKey
	}
	return out, nil
}
