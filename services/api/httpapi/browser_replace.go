package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/subscription"
)

// replaceRequest is what herald-sw.js posts on pushsubscriptionchange.
type replaceRequest struct {
	OldEndpoint  string               `json:"old_endpoint"`
	Subscription pushSubscriptionJSON `json:"subscription"`
}

// replaceSubscription moves a subscription to the new endpoint the browser
// made: the new one inherits user, topics and timezone, the old one is
// marked unsubscribed. Knowing the old endpoint (a capability URL only the
// browser and Herald hold) is what authorizes carrying the user over.
func (a *api) replaceSubscription(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	var req replaceRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	if a.Browser.Events == nil {
		return errNoEvents
	}
	oldID, err := a.Browser.Events.SubscriptionID(ctx, owner.ID, req.OldEndpoint)
	if err != nil {
		return err
	}
	full, err := a.Subscriptions.Get(ctx, owner.ID, oldID)
	if err != nil {
		return err
	}
	in := subscription.Input{
		Endpoint: req.Subscription.Endpoint, ExpirationTime: req.Subscription.ExpirationTime,
		P256dh: req.Subscription.Keys.P256dh, Auth: req.Subscription.Keys.Auth,
		Topics: full.Topics, Timezone: full.Timezone, UserAgent: c.GetHeader("User-Agent"),
	}
	if full.UserID != nil {
		in.UserID = *full.UserID
	}
	valid, err := subscription.Validate(in, a.Endpoints)
	if err != nil {
		return err
	}
	key, err := a.Apps.ActiveVAPIDKey(ctx, owner.ID)
	if err != nil {
		return err
	}
	id, _, err := a.Subscriptions.Upsert(ctx, owner.ID, key.ID, valid)
	if err != nil {
		return err
	}
	if id != oldID {
		if err := a.Subscriptions.Unsubscribe(ctx, owner.ID, oldID); err != nil {
			return err
		}
	}
	c.JSON(http.StatusOK, gin.H{"id": id, "replaced": oldID})
	return nil
}
