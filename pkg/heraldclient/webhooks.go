package heraldclient

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Webhook delivery statuses.
const (
	WebhookPending   = "pending"
	WebhookDelivered = "delivered"
	WebhookFailed    = "failed"
)

// Webhook is a webhook endpoint: a URL of the app receiving signed events
// (Standard Webhooks: verify them with any of its libraries and Secret).
type Webhook struct {
	Raw
	ID             string     `json:"id"`
	URL            string     `json:"url"`
	Events         []string   `json:"events"`
	Enabled        bool       `json:"enabled"`
	DisabledReason string     `json:"disabled_reason,omitempty"` // why Herald disabled it (failing for 3 days)
	FailingSince   *time.Time `json:"failing_since"`
	// PreviousSecretUntil is when the secret before the last rotation
	// stops signing; nil outside a rotation.
	PreviousSecretUntil *time.Time `json:"previous_secret_until"`
	Secret              string     `json:"secret,omitempty"` // only when created or rotated: keep it
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

// WebhookUpdate is the body of PATCH /v1/webhooks/{id}: nil fields stay.
type WebhookUpdate struct {
	URL     *string  `json:"url,omitempty"`
	Events  []string `json:"events,omitempty"`
	Enabled *bool    `json:"enabled,omitempty"`
	// RotateSecret makes a new secret (answered in Webhook.Secret); the
	// old one keeps signing too until PreviousSecretUntil.
	RotateSecret bool `json:"rotate_secret,omitempty"`
}

// WebhookDelivery is one request to an endpoint: an event, a batch of
// them or a test, with its attempts.
type WebhookDelivery struct {
	Raw
	ID            string          `json:"id"` // the webhook-id header
	EventType     string          `json:"event_type"`
	Status        string          `json:"status"`   // WebhookPending, WebhookDelivered or WebhookFailed
	Attempts      int             `json:"attempts"` // how many were made
	LastStatus    int             `json:"last_status"`
	LastError     string          `json:"last_error"`
	LatencyMS     int             `json:"latency_ms"` // of the last attempt
	LastAttemptAt *time.Time      `json:"last_attempt_at"`
	NextAttemptAt *time.Time      `json:"next_attempt_at"` // pending only
	CreatedAt     time.Time       `json:"created_at"`
	FinishedAt    *time.Time      `json:"finished_at"`
	Payload       json.RawMessage `json:"payload"` // the signed body
	// RecentAttempts are the latest attempts (up to 10), oldest first.
	RecentAttempts []WebhookAttempt `json:"recent_attempts"`
}

// WebhookAttempt is one attempt of a WebhookDelivery.
type WebhookAttempt struct {
	At        time.Time `json:"at"`
	Status    int       `json:"status"` // 0: no answer came (a timeout, a refused connection)
	LatencyMS int64     `json:"latency_ms"`
	Error     string    `json:"error"`
}

func webhookPath(id string) string { return "/v1/webhooks/" + pathEscape(id) }

// CreateWebhook registers an endpoint receiving events (the event type
// names, like "notification.completed"); the answer's Secret is shown
// only now.
func (c *Client) CreateWebhook(ctx context.Context, url string, events []string) (*Webhook, error) {
	var out Webhook
	_, err := c.doJSON(ctx, http.MethodPost, "/v1/webhooks", apiKey, map[string]any{"url": url, "events": events}, &out)
	return ret(&out, err)
}

// ListWebhooks returns a page of the app's endpoints, oldest first.
func (c *Client) ListWebhooks(ctx context.Context, opts ListOptions) (*Page[Webhook], error) {
	var out Page[Webhook]
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/v1/webhooks", query: opts.query(), cred: apiKey, replayable: true}, &out)
	return ret(&out, err)
}

// GetWebhook returns one endpoint.
func (c *Client) GetWebhook(ctx context.Context, id string) (*Webhook, error) {
	var out Webhook
	_, err := c.doJSON(ctx, http.MethodGet, webhookPath(id), apiKey, nil, &out)
	return ret(&out, err)
}

// UpdateWebhook changes what u names and returns the endpoint (with its
// new Secret after a rotation).
func (c *Client) UpdateWebhook(ctx context.Context, id string, u *WebhookUpdate) (*Webhook, error) {
	var out Webhook
	_, err := c.doJSON(ctx, http.MethodPatch, webhookPath(id), apiKey, u, &out)
	return ret(&out, err)
}

// DeleteWebhook removes an endpoint with its deliveries.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	_, err := c.doJSON(ctx, http.MethodDelete, webhookPath(id), apiKey, nil, nil)
	return err
}

// TestWebhook sends the endpoint a webhook.test event now and returns its
// delivery (pending: follow it with ListWebhookDeliveries).
func (c *Client) TestWebhook(ctx context.Context, id string) (*WebhookDelivery, error) {
	var out WebhookDelivery
	_, err := c.doJSON(ctx, http.MethodPost, webhookPath(id)+"/test", apiKey, nil, &out)
	return ret(&out, err)
}

// ListWebhookDeliveries returns a page of the endpoint's requests, newest
// first.
func (c *Client) ListWebhookDeliveries(ctx context.Context, id string, opts ListOptions) (*Page[WebhookDelivery], error) {
	var out Page[WebhookDelivery]
	_, err := c.do(ctx, call{method: http.MethodGet, path: webhookPath(id) + "/deliveries", query: opts.query(), cred: apiKey, replayable: true}, &out)
	return ret(&out, err)
}

// RetryWebhookDelivery sends a finished (delivered or failed) request
// again, with a fresh retry window; a pending one is the error code
// webhook_delivery_pending.
func (c *Client) RetryWebhookDelivery(ctx context.Context, id, deliveryID string) (*WebhookDelivery, error) {
	var out WebhookDelivery
	_, err := c.doJSON(ctx, http.MethodPost, webhookPath(id)+"/deliveries/"+pathEscape(deliveryID)+"/retry", apiKey, nil, &out)
	return ret(&out, err)
}
