package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
)

// replaceRequest is what herald-sw.js posts on pushsubscriptionchange.
type replaceRequest struct {
	OldEndpoint  string               `json:"old_endpoint"`
	Subscription pushSubscriptionJSON `json:"subscription"`
}

// replaceSubscription moves a subscription to the new endpoint the browser
// made (subscription.Store.Replace).
func (a *api) replaceSubscription(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	var req replaceRequest
	if err := decodePublicJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	if a.Browser.Events == nil {
		return errNoEvents
	}
	key, err := a.Apps.ActiveVAPIDKey(ctx, owner.ID)
	if err != nil {
		return err
	}
	in := req.Subscription.input()
	in.UserAgent = c.GetHeader("User-Agent")
	id, oldID, err := a.Subscriptions.Replace(ctx, owner.ID, key.ID, req.OldEndpoint, in, a.Endpoints)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"id": id, "replaced": oldID})
	return nil
}
