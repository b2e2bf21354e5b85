package heraldclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Subscription statuses.
const (
	SubscriptionActive       = "active"
	SubscriptionGone         = "gone"
	SubscriptionUnsubscribed = "unsubscribed"
	SubscriptionExpired      = "expired"      // past the expirationTime its browser gave
	SubscriptionUnresponsive = "unresponsive" // its browser stopped reporting receipts
)

// PushSubscription is what a browser's PushSubscription.toJSON() gives
// (and what a web-push setup stores: endpoint and keys).
type PushSubscription struct {
	Endpoint       string   `json:"endpoint"`
	ExpirationTime *float64 `json:"expirationTime,omitempty"`
	Keys           PushKeys `json:"keys"`
}

// PushKeys are a subscription's encryption keys, base64url.
type PushKeys struct {
	P256dh string `json:"p256dh"`
	Auth   string `json:"auth"`
}

// SubscribeRequest is the body of POST /v1/subscriptions. Extra holds
// fields this client has no name for.
type SubscribeRequest struct {
	Subscription PushSubscription `json:"subscription"`
	UserID       string           `json:"user_id,omitempty"`
	UserHash     string           `json:"user_hash,omitempty"`
	Topics       []string         `json:"topics,omitempty"`
	Timezone     string           `json:"timezone,omitempty"` // IANA, like Europe/Paris
	// Attributes replace a known subscription's (nil or empty keeps them;
	// UpdateSubscription with ClearAttributes removes them).
	Attributes map[string]string `json:"attributes,omitempty"`
	Extra      map[string]any    `json:"-"`
}

func (r *SubscribeRequest) body() ([]byte, error) {
	type plain SubscribeRequest
	return withExtra((*plain)(r), r.Extra)
}

// Subscribed is what Subscribe answers: Created is false when the endpoint
// was already known (it was updated, not duplicated).
type Subscribed struct {
	Raw
	ID      string `json:"id"`
	Created bool   `json:"-"`
}

// Subscription is a stored subscription.
type Subscription struct {
	Raw
	ID       string   `json:"id"`
	Status   string   `json:"status"`
	Endpoint string   `json:"endpoint"`
	UserID   *string  `json:"user_id"`
	Topics   []string `json:"topics"`
	Timezone string   `json:"timezone"`
	// Attributes fill the notification templates of its messages.
	Attributes          map[string]string `json:"attributes"`
	UserAgent           string            `json:"user_agent"`
	ConsecutiveFailures int               `json:"consecutive_failures"`
	ExpirationTime      *time.Time        `json:"expiration_time"`
	LastSuccessAt       *time.Time        `json:"last_success_at"`
	CreatedAt           time.Time         `json:"created_at"`
	UpdatedAt           time.Time         `json:"updated_at"`
}

// Subscribe stores a subscription for the app (server to server: the API
// key vouches for user_id).
func (c *Client) Subscribe(ctx context.Context, req *SubscribeRequest) (*Subscribed, error) {
	body, err := req.body()
	if err != nil {
		return nil, fmt.Errorf("heraldclient: encode subscription: %w", err)
	}
	cl := call{method: http.MethodPost, path: "/v1/subscriptions", body: body, contentType: "application/json", cred: apiKey,
		replayable: true} // an upsert by endpoint: repeating it changes nothing
	var out Subscribed
	resp, err := c.send(ctx, cl)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := decodeBody(cl, resp, &out); err != nil {
		return nil, err
	}
	out.Created = resp.StatusCode == http.StatusCreated
	return &out, nil
}

// GetSubscription returns one of the app's subscriptions.
func (c *Client) GetSubscription(ctx context.Context, id string) (*Subscription, error) {
	var out Subscription
	_, err := c.doJSON(ctx, http.MethodGet, "/v1/subscriptions/"+pathEscape(id), apiKey, nil, &out)
	return ret(&out, err)
}

// Unsubscribe marks one of the app's subscriptions unsubscribed.
func (c *Client) Unsubscribe(ctx context.Context, id string) error {
	_, err := c.doJSON(ctx, http.MethodDelete, "/v1/subscriptions/"+pathEscape(id), apiKey, nil, nil)
	return err
}

// withExtra marshals v, then adds extra's fields beside its own.
func withExtra(v any, extra map[string]any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, x := range extra {
		m[k] = x
	}
	return json.Marshal(m)
}
