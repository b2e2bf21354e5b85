package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/subscription"
)

// pushSubscriptionJSON is what a browser's PushSubscription.toJSON() gives.
type pushSubscriptionJSON struct {
	Endpoint       string       `json:"endpoint"`
	ExpirationTime *float64     `json:"expirationTime"`
	Keys           pushKeysJSON `json:"keys"`
}

type pushKeysJSON struct {
	P256dh string `json:"p256dh"`
	Auth   string `json:"auth"`
}

// subscribeRequest is the body of both subscribe routes.
type subscribeRequest struct {
	Subscription pushSubscriptionJSON `json:"subscription"`
	UserID       string               `json:"user_id"`
	UserHash     string               `json:"user_hash"`
	Topics       []string             `json:"topics"`
	Timezone     string               `json:"timezone"`
	// Attributes fill personalised notifications' templates; absent leaves
	// a known subscription's as they are, given replaces them
	// (subscription.ReplacementAttributes: a null value is no key).
	Attributes map[string]*string `json:"attributes" doc:"replace a known subscription's attributes (absent keeps them): {\"plan\": \"pro\"} stores plan; a key whose value is null is not stored"`
}

// serverSubscribe is called by an app's backend; its API key vouches for user_id.
func (a *api) serverSubscribe(c *gin.Context) error {
	var req subscribeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return a.subscribe(c, c.MustGet(ctxApp).(*app.App), req)
}

// input is the subscription's part of a subscription.Input.
func (p pushSubscriptionJSON) input() subscription.Input {
	return subscription.Input{Endpoint: p.Endpoint, ExpirationTime: p.ExpirationTime, P256dh: p.Keys.P256dh, Auth: p.Keys.Auth}
}

func (a *api) subscribe(c *gin.Context, owner *app.App, req subscribeRequest) error {
	in := req.Subscription.input()
	in.UserID, in.Topics, in.Timezone, in.UserAgent = req.UserID, req.Topics, req.Timezone, c.GetHeader("User-Agent")
	in.Attributes = subscription.ReplacementAttributes(req.Attributes)
	valid, err := subscription.Validate(in, a.Endpoints)
	if err != nil {
		return err
	}
	key, err := a.Apps.ActiveVAPIDKey(c.Request.Context(), owner.ID)
	if err != nil {
		return err
	}
	id, created, err := a.Subscriptions.Upsert(c.Request.Context(), owner.ID, key.ID, valid)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, gin.H{"id": id})
	return nil
}

type subscriptionView struct {
	ID                  string            `json:"id"`
	Status              string            `json:"status"`
	Endpoint            string            `json:"endpoint"`
	UserID              *string           `json:"user_id"`
	Topics              []string          `json:"topics"`
	Timezone            string            `json:"timezone"`
	Attributes          map[string]string `json:"attributes"`
	UserAgent           string            `json:"user_agent"`
	ConsecutiveFailures int               `json:"consecutive_failures"`
	ExpirationTime      *time.Time        `json:"expiration_time"`
	LastSuccessAt       *time.Time        `json:"last_success_at"`
	CreatedAt           time.Time         `json:"created_at"`
	UpdatedAt           time.Time         `json:"updated_at"`
}

func (a *api) getSubscription(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	s, err := a.Subscriptions.Get(c.Request.Context(), owner.ID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewSubscription(*s))
	return nil
}

func (a *api) deleteSubscription(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	if err := a.Subscriptions.Unsubscribe(c.Request.Context(), owner.ID, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
