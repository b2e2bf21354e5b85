package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/notification"
)

// appContents is what deleting an app takes with it.
type appContents struct {
	Subscriptions int64 `json:"subscriptions"`
	Notifications int64 `json:"notifications"`
	InProgress    int64 `json:"notifications_in_progress"` // scheduled, queued or sending
	DeadLetters   int64 `json:"dead_letters"`
	APIKeys       int   `json:"api_keys"`
	VAPIDKeys     int   `json:"vapid_keys"`
}

func (a *api) appContents(ctx context.Context, appID string) (appContents, error) {
	var out appContents
	var err error
	if out.Subscriptions, err = a.Subscriptions.CountForApp(ctx, appID); err != nil {
		return out, err
	}
	byStatus, err := a.Notifications.CountByStatus(ctx, appID)
	if err != nil {
		return out, err
	}
	for st, n := range byStatus {
		out.Notifications += n
		if st == notification.Scheduled || st == notification.Queued || st == notification.Sending {
			out.InProgress += n
		}
	}
	if out.DeadLetters, err = a.DeadLetters.CountForApp(ctx, appID); err != nil {
		return out, err
	}
	keys, err := a.Apps.ListAPIKeys(ctx, appID)
	if err != nil {
		return out, err
	}
	out.APIKeys = len(keys)
	vapidKeys, err := a.Apps.ListVAPIDKeys(ctx, appID)
	if err != nil {
		return out, err
	}
	out.VAPIDKeys = len(vapidKeys)
	return out, nil
}

// deleteApp answers DELETE /v1/apps/{id}: it refuses (409 app_busy, naming
// what it would delete) while notifications are scheduled, queued or
// sending, unless ?force=true; then it deletes the app and everything of
// it, and says what it deleted.
func (a *api) deleteApp(c *gin.Context) error {
	ctx := c.Request.Context()
	found, err := a.Apps.Get(ctx, c.Param("app_id"))
	if err != nil {
		return err
	}
	force := c.Query("force")
	if force != "" && force != "true" && force != "false" {
		return fault.Invalid("invalid_force", "force must be true or false")
	}
	contents, err := a.appContents(ctx, found.ID)
	if err != nil {
		return err
	}
	if contents.InProgress > 0 && force != "true" {
		return fault.Conflict("app_busy",
			"%d notifications of this app are scheduled, queued or sending; deleting it stops them and deletes %d subscriptions, %d notifications, %d dead letters, %d API keys and %d VAPID keys: repeat with ?force=true to delete anyway",
			contents.InProgress, contents.Subscriptions, contents.Notifications, contents.DeadLetters, contents.APIKeys, contents.VAPIDKeys)
	}
	if err := a.Apps.Delete(ctx, found.ID); err != nil {
		return err
	}
	a.Log.Warn("app deleted", "app_id", found.ID, "name", found.Name, "subscriptions", contents.Subscriptions,
		"notifications", contents.Notifications, "forced", force == "true")
	c.JSON(http.StatusOK, gin.H{"id": found.ID, "deleted": contents})
	return nil
}

// apiKeyView is an API key as listed: never the key itself.
type apiKeyView struct {
	ID         string     `json:"id"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"` // to the minute
}

func viewAPIKey(k app.APIKey) apiKeyView {
	v := apiKeyView{ID: k.ID, Prefix: k.Prefix, CreatedAt: k.CreatedAt.UTC()}
	if k.LastUsedAt != nil {
		t := k.LastUsedAt.UTC()
		v.LastUsedAt = &t
	}
	return v
}

func (a *api) createAPIKey(c *gin.Context) error {
	key, secret, err := a.Apps.CreateAPIKey(c.Request.Context(), c.Param("app_id"))
	if err != nil {
		return err
	}
	a.Log.Info("API key created", "app_id", key.AppID, "key_id", key.ID)
	c.JSON(http.StatusCreated, gin.H{"id": key.ID, "api_key": secret, "prefix": key.Prefix, "created_at": key.CreatedAt.UTC()})
	return nil
}

func (a *api) listAPIKeys(c *gin.Context) error {
	keys, err := a.Apps.ListAPIKeys(c.Request.Context(), c.Param("app_id"))
	if err != nil {
		return err
	}
	writeList(c, mapItems(keys, viewAPIKey), "")
	return nil
}

func (a *api) revokeAPIKey(c *gin.Context) error {
	ctx := c.Request.Context()
	found, err := a.Apps.Get(ctx, c.Param("app_id"))
	if err != nil {
		return err
	}
	if err := a.Apps.RevokeAPIKey(ctx, found.ID, c.Param("key_id")); err != nil {
		return err
	}
	a.Log.Info("API key revoked", "app_id", found.ID, "key_id", c.Param("key_id"))
	c.Status(http.StatusNoContent)
	return nil
}
