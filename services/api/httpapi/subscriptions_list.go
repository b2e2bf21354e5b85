package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/listing"
	"github.com/heraldpush/herald/pkg/subscription"
)

const exportPage = 1000

func viewSubscription(s subscription.Subscription) subscriptionView {
	attrs := s.Attributes()
	if attrs == nil {
		attrs = map[string]string{}
	}
	return subscriptionView{
		ID: s.ID, Status: string(s.Status), Endpoint: s.Endpoint, UserID: s.UserID, Topics: s.Topics,
		Timezone: s.Timezone, Attributes: attrs, UserAgent: s.UserAgent, ConsecutiveFailures: s.ConsecutiveFailures,
		ExpirationTime: s.ExpirationTime, LastSuccessAt: s.LastSuccessAt, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}
}

// subscriptionFilter reads ?user_id=, ?topic= and ?status=.
func subscriptionFilter(c *gin.Context) (subscription.Filter, error) {
	status, err := subscription.ParseStatus(c.Query("status"))
	return subscription.Filter{UserID: c.Query("user_id"), Topic: c.Query("topic"), Status: status}, err
}

// listSubscriptions answers GET /v1/subscriptions?user_id=&topic=&status=.
func (a *api) listSubscriptions(c *gin.Context) error {
	f, err := subscriptionFilter(c)
	if err != nil {
		return err
	}
	p, err := readPage(c)
	if err != nil {
		return err
	}
	rows, next, err := a.Subscriptions.List(c.Request.Context(), c.MustGet(ctxApp).(*app.App).ID, f, p)
	if err != nil {
		return err
	}
	writeList(c, mapItems(rows, viewSubscription), next)
	return nil
}

// exportLine is one line of GET /v1/subscriptions/export: what import
// takes, plus the id, status and creation time.
type exportLine struct {
	ID             string       `json:"id"`
	Endpoint       string       `json:"endpoint"`
	ExpirationTime *float64     `json:"expirationTime"`
	Keys           pushKeysJSON `json:"keys"`
	UserID         *string      `json:"user_id,omitempty"`
	Topics         []string     `json:"topics"`
	Timezone       string       `json:"timezone,omitempty"`
	// Attributes are always written ({} for none), so importing the
	// export back gives each subscription exactly the attributes it had.
	Attributes     map[string]string `json:"attributes"`
	VAPIDPublicKey string            `json:"vapid_public_key"`
	Status         string            `json:"status"`
	CreatedAt      time.Time         `json:"created_at"`
}

// exportSubscriptions streams the app's subscriptions (filtered as the
// listing is) as NDJSON, a page at a time. A failure after the first byte
// aborts the response, so a client never takes a cut file for a whole one.
func (a *api) exportSubscriptions(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	ctx := c.Request.Context()
	f, err := subscriptionFilter(c)
	if err != nil {
		return err
	}
	keys, err := a.vapidKeysByPublic(ctx, owner.ID)
	if err != nil {
		return err
	}
	p := listing.Page{Limit: exportPage}
	rows, next, err := a.Subscriptions.List(ctx, owner.ID, f, p)
	if err != nil {
		return err
	}
	c.Header("Content-Type", "application/x-ndjson")
	c.Header("Content-Disposition", `attachment; filename="subscriptions.ndjson"`)
	c.Status(http.StatusOK)
	rc := http.NewResponseController(c.Writer)
	enc := json.NewEncoder(c.Writer)
	for {
		_ = rc.SetWriteDeadline(time.Now().Add(importIdle))
		for _, s := range rows {
			line := exportLine{
				ID: s.ID, Endpoint: s.Endpoint, Keys: pushKeysJSON{P256dh: s.P256dh, Auth: s.Auth},
				UserID: s.UserID, Topics: s.Topics, Timezone: s.Timezone, Attributes: s.Attributes(), VAPIDPublicKey: keys.public[s.VAPIDKeyID],
				Status: string(s.Status), CreatedAt: s.CreatedAt.UTC(),
			}
			if line.Attributes == nil {
				line.Attributes = map[string]string{}
			}
			if s.ExpirationTime != nil {
				ms := float64(s.ExpirationTime.UnixMilli())
				line.ExpirationTime = &ms
			}
			if err := enc.Encode(line); err != nil {
				panic(http.ErrAbortHandler) // the client went away
			}
		}
		if next == "" {
			return nil
		}
		_ = rc.Flush()
		p.After = next
		if rows, next, err = a.Subscriptions.List(ctx, owner.ID, f, p); err != nil {
			a.Log.Error("export failed mid-stream; aborting the response", "app_id", owner.ID, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
}
