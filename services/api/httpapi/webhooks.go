package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/webhook"
)

// The webhook routes: endpoints of the API key's app that receive signed
// events (package webhook), their deliveries, tests and re-sends.
func (a *api) webhookRoutes(server *gin.RouterGroup) {
	server.POST("/webhooks", a.handle(a.createWebhook))
	server.GET("/webhooks", a.handle(a.listWebhooks))
	server.GET("/webhooks/:id", a.handle(a.getWebhook))
	server.PATCH("/webhooks/:id", a.handle(a.patchWebhook))
	server.DELETE("/webhooks/:id", a.handle(a.deleteWebhook))
	server.POST("/webhooks/:id/test", a.handle(a.testWebhook))
	server.GET("/webhooks/:id/deliveries", a.handle(a.listWebhookDeliveries))
	server.POST("/webhooks/:id/deliveries/:delivery_id/retry", a.handle(a.resendWebhookDelivery))
}

// webhookDocs documents the webhook routes for /openapi.json.
func webhookDocs() []route {
	example := map[string]any{"url": "https://shop.example/hooks/herald", "events": []string{"notification.completed", "notification.clicked"}}
	return []route{
		{method: "POST", path: "/v1/webhooks", summary: "Register a webhook endpoint (its secret is shown once)", auth: authAPIKey, body: createWebhookRequest{}, status: 201, resp: webhookView{}, example: example},
		{method: "GET", path: "/v1/webhooks", summary: "List webhook endpoints", auth: authAPIKey, status: 200, resp: listView[webhookView]{}, query: pageQuery},
		{method: "GET", path: "/v1/webhooks/:id", summary: "Get a webhook endpoint", auth: authAPIKey, status: 200, resp: webhookView{}},
		{method: "PATCH", path: "/v1/webhooks/:id", summary: "Change an endpoint's url, events or enabled, or rotate its secret", auth: authAPIKey, body: patchWebhookRequest{}, status: 200, resp: webhookView{}, example: map[string]any{"rotate_secret": true}},
		{method: "DELETE", path: "/v1/webhooks/:id", summary: "Remove a webhook endpoint and its deliveries", auth: authAPIKey, status: 204},
		{method: "POST", path: "/v1/webhooks/:id/test", summary: "Send a webhook.test event now", auth: authAPIKey, status: 202, resp: webhookDeliveryView{}},
		{method: "GET", path: "/v1/webhooks/:id/deliveries", summary: "Recent webhook requests, newest first, with status and latency", auth: authAPIKey, status: 200, resp: listView[webhookDeliveryView]{}, query: pageQuery},
		{method: "POST", path: "/v1/webhooks/:id/deliveries/:delivery_id/retry", summary: "Send a finished webhook request again", auth: authAPIKey, status: 202, resp: webhookDeliveryView{}},
	}
}

type createWebhookRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events" doc:"event types to receive: notification.completed, notification.failed, notification.clicked, notification.dismissed, subscription.created, subscription.gone, subscription.unsubscribed, subscription.expired, subscription.unresponsive, subscription.imported"`
}

type patchWebhookRequest struct {
	URL          *string  `json:"url"`
	Events       []string `json:"events" doc:"event types to receive, as at creation; absent: unchanged"`
	Enabled      *bool    `json:"enabled"`
	RotateSecret bool     `json:"rotate_secret"`
}

type webhookView struct {
	ID             string     `json:"id"`
	URL            string     `json:"url"`
	Events         []string   `json:"events"`
	Enabled        bool       `json:"enabled"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	FailingSince   *time.Time `json:"failing_since"`
	// PreviousSecretUntil is when the secret before the last rotation stops
	// signing; null outside a rotation.
	PreviousSecretUntil *time.Time `json:"previous_secret_until"`
	Secret              string     `json:"secret,omitempty"` // only when created or rotated
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func viewWebhook(e webhook.Endpoint) webhookView {
	v := webhookView{ID: e.ID, URL: e.URL, Events: e.Events(), Enabled: !e.Disabled, DisabledReason: e.DisabledReason,
		FailingSince: utcPtr(e.FailingSince), CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC()}
	if e.PreviousSecretUntil != nil && time.Now().Before(*e.PreviousSecretUntil) {
		v.PreviousSecretUntil = utcPtr(e.PreviousSecretUntil)
	}
	return v
}

type webhookDeliveryView struct {
	ID            string          `json:"id"` // the webhook-id header
	EventType     string          `json:"event_type"`
	Status        string          `json:"status"` // pending, delivered or failed
	Attempts      int             `json:"attempts"`
	LastStatus    int             `json:"last_status"`
	LastError     string          `json:"last_error"`
	LatencyMS     int             `json:"latency_ms"` // of the last attempt
	LastAttemptAt *time.Time      `json:"last_attempt_at"`
	NextAttemptAt *time.Time      `json:"next_attempt_at"` // pending only
	CreatedAt     time.Time       `json:"created_at"`
	FinishedAt    *time.Time      `json:"finished_at"`
	Payload       json.RawMessage `json:"payload"`
	// RecentAttempts are the latest attempts (up to
	// webhook.MaxRecentAttempts), oldest first, across re-sends.
	RecentAttempts []webhook.Attempt `json:"recent_attempts"`
}

func viewWebhookDelivery(m webhook.Message) webhookDeliveryView {
	v := webhookDeliveryView{ID: m.ID, EventType: m.EventType, Status: m.Status, Attempts: m.Attempts, LastStatus: m.LastStatus,
		LastError: m.LastError, LatencyMS: m.LastLatencyMS, LastAttemptAt: utcPtr(m.LastAttemptAt), CreatedAt: m.CreatedAt.UTC(),
		FinishedAt: utcPtr(m.FinishedAt), Payload: json.RawMessage(m.Payload), RecentAttempts: m.RecentAttempts()}
	if m.Status == webhook.Pending {
		v.NextAttemptAt = utcPtr(&m.NextAttemptAt)
	}
	return v
}

func (a *api) createWebhook(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	var req createWebhookRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	e, secret, err := a.Webhooks.Create(c.Request.Context(), owner.ID, req.URL, req.Events)
	if err != nil {
		return err
	}
	a.Log.Info("webhook endpoint created", "app_id", owner.ID, "webhook_id", e.ID, "url", e.URL)
	v := viewWebhook(*e)
	v.Secret = secret
	c.JSON(http.StatusCreated, v)
	return nil
}

func (a *api) listWebhooks(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	page, err := readPage(c)
	if err != nil {
		return err
	}
	rows, next, err := a.Webhooks.List(c.Request.Context(), owner.ID, page)
	if err != nil {
		return err
	}
	writeList(c, mapItems(rows, viewWebhook), next)
	return nil
}

func (a *api) getWebhook(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	e, err := a.Webhooks.Get(c.Request.Context(), owner.ID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewWebhook(*e))
	return nil
}

func (a *api) patchWebhook(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	var req patchWebhookRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	e, secret, err := a.Webhooks.Update(c.Request.Context(), owner.ID, c.Param("id"), webhook.Patch{
		URL: req.URL, Events: req.Events, Enabled: req.Enabled, RotateSecret: req.RotateSecret,
	})
	if err != nil {
		return err
	}
	v := viewWebhook(*e)
	v.Secret = secret
	c.JSON(http.StatusOK, v)
	return nil
}

func (a *api) deleteWebhook(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	if err := a.Webhooks.Delete(c.Request.Context(), owner.ID, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (a *api) testWebhook(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	m, err := a.Webhooks.SendTest(c.Request.Context(), owner.ID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, viewWebhookDelivery(*m))
	return nil
}

func (a *api) listWebhookDeliveries(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	page, err := readPage(c)
	if err != nil {
		return err
	}
	rows, next, err := a.Webhooks.Messages(c.Request.Context(), owner.ID, c.Param("id"), page)
	if err != nil {
		return err
	}
	writeList(c, mapItems(rows, viewWebhookDelivery), next)
	return nil
}

func (a *api) resendWebhookDelivery(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	m, err := a.Webhooks.Resend(c.Request.Context(), owner.ID, c.Param("id"), c.Param("delivery_id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, viewWebhookDelivery(*m))
	return nil
}

// The webhook routes' error codes, among every code /openapi.json names.
func init() {
	errorCodes = append(errorCodes, "invalid_webhook_url", "webhook_url_not_allowed", "invalid_webhook_events",
		"webhook_not_found", "webhook_delivery_not_found", "webhook_limit", "webhook_delivery_pending")
}
