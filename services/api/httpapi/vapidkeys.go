package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
)

// vapidKeyRequest imports a key pair as `web-push generate-vapid-keys`
// prints it; POST /v1/apps/{id}/vapid-keys without a body generates one.
type vapidKeyRequest struct {
	PublicKey  string `json:"public_key"`
	PrivateKey string `json:"private_key"`
}

// vapidKeyView is one of an app's VAPID keys: never the private key.
type vapidKeyView struct {
	ID                  string     `json:"id"`
	PublicKey           string     `json:"public_key"`
	Active              bool       `json:"active"`
	ActiveSubscriptions int64      `json:"active_subscriptions"` // still signed with this key
	CreatedAt           time.Time  `json:"created_at"`
	RetiredAt           *time.Time `json:"retired_at"`
}

func viewVAPIDKey(k app.VAPIDKey, holders int64) vapidKeyView {
	v := vapidKeyView{ID: k.ID, PublicKey: k.PublicKey, Active: k.Active, ActiveSubscriptions: holders, CreatedAt: k.CreatedAt.UTC()}
	if k.RetiredAt != nil {
		t := k.RetiredAt.UTC()
		v.RetiredAt = &t
	}
	return v
}

// addVAPIDKey answers POST /v1/apps/{id}/vapid-keys: an imported pair, or
// with no body a generated one, becomes the active key (201).
func (a *api) addVAPIDKey(c *gin.Context) error {
	var req vapidKeyRequest
	if err := decodeJSONOrEmpty(c, &req); err != nil {
		return err
	}
	key, err := a.Apps.AddVAPIDKey(c.Request.Context(), c.Param("app_id"), req.PublicKey, req.PrivateKey)
	if err != nil {
		return err
	}
	a.Log.Info("VAPID key added; the previous one is retired", "app_id", key.AppID, "key_id", key.ID, "imported", req.PrivateKey != "")
	c.JSON(http.StatusCreated, viewVAPIDKey(*key, 0))
	return nil
}

func (a *api) listVAPIDKeys(c *gin.Context) error {
	ctx := c.Request.Context()
	keys, err := a.Apps.ListVAPIDKeys(ctx, c.Param("app_id"))
	if err != nil {
		return err
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	holders, err := a.Subscriptions.ActiveByVAPIDKey(ctx, ids)
	if err != nil {
		return err
	}
	writeList(c, mapItems(keys, func(k app.VAPIDKey) vapidKeyView { return viewVAPIDKey(k, holders[k.ID]) }), "")
	return nil
}

// deleteVAPIDKey removes a retired key no active subscription holds (and
// the inactive subscriptions made with it).
func (a *api) deleteVAPIDKey(c *gin.Context) error {
	ctx := c.Request.Context()
	found, err := a.Apps.Get(ctx, c.Param("app_id"))
	if err != nil {
		return err
	}
	err = a.Apps.DeleteVAPIDKey(ctx, found.ID, c.Param("key_id"), func(tx *database.DB) app.KeyHolders {
		return a.Subscriptions.WithTx(tx)
	})
	if err != nil {
		return err
	}
	a.Log.Info("VAPID key deleted", "app_id", found.ID, "key_id", c.Param("key_id"))
	c.Status(http.StatusNoContent)
	return nil
}
