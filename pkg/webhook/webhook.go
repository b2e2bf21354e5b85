// Package webhook tells product backends what happened, by signed HTTP
// requests to the endpoints they register: a notification's completion
// with its final counts, and clicks and dismissals in batches. Requests
// follow the Standard Webhooks specification (webhook-id,
// webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256>), so any
// Standard Webhooks library verifies them.
//
// It owns three tables: webhook_endpoints (URL, events, sealed secret),
// webhook_messages (the outbox: one row per request to make, retried with
// backoff until it succeeds or its retry window ends) and webhook_events
// (engagement waiting to be batched). Events enter the outbox in the
// transaction of what caused them (Store.WithTx), so none is lost or made
// up. The Dispatcher, run by every worker, relays the outbox to the job
// queue (Jobs: one task per message, under the message's id) and hands over
// again what Redis lost; the queue's handler calls Dispatcher.Deliver,
// which checks the row, sends, records the attempt and returns the backoff
// the queue retries after.
package webhook

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/heraldpush/herald/pkg/fault"
)

// Event types an endpoint subscribes to.
const (
	NotificationCompleted = "notification.completed" // one per completion, with final counts
	NotificationClicked   = "notification.clicked"   // batched: up to MaxBatch clicks a request
	NotificationDismissed = "notification.dismissed" // batched, like clicks
	NotificationFailed    = "notification.failed"    // at completion, when some recipients were dead-lettered: a summary
	SubscriptionCreated   = "subscription.created"
	SubscriptionGone      = "subscription.gone" // pruned: the push service answered 404/410
	SubscriptionUnsub     = "subscription.unsubscribed"
	// Expiries and silent revocations come many at once (a broadcast
	// meets every expired subscription of its audience), so they are
	// batched like clicks. Neither is a prune: the subscription is active
	// again when its browser subscribes again, an unresponsive one also at
	// its next receipt.
	SubscriptionExpired      = "subscription.expired"      // batched: past the expirationTime its browser gave
	SubscriptionUnresponsive = "subscription.unresponsive" // batched: its browser stopped reporting receipts
	// SubscriptionImported: one per committed batch of an import (up to
	// 2,000 rows), never one per row, written with the rows it counts.
	SubscriptionImported = "subscription.imported"
	// Test is what POST /v1/webhooks/{id}/test sends; no endpoint
	// subscribes to it.
	Test = "webhook.test"
)

// EventTypes lists the types an endpoint may subscribe to.
var EventTypes = []string{NotificationCompleted, NotificationFailed, NotificationClicked, NotificationDismissed,
	SubscriptionCreated, SubscriptionGone, SubscriptionUnsub, SubscriptionExpired, SubscriptionUnresponsive, SubscriptionImported}

// Errors of the management routes.
var (
	ErrNotFound        = fault.NotFound("webhook_not_found", "no webhook endpoint with this id")
	ErrMessageNotFound = fault.NotFound("webhook_delivery_not_found", "no delivery with this id for this webhook endpoint")
	ErrMessagePending  = fault.Conflict("webhook_delivery_pending", "this delivery is still being tried; re-send it once it has failed or succeeded")
)

// Endpoint is a URL of an app that receives signed events.
type Endpoint struct {
	ID                   string     `gorm:"column:id;primaryKey"`
	AppID                string     `gorm:"column:app_id"`
	URL                  string     `gorm:"column:url"`
	EventsJSON           string     `gorm:"column:events"`
	SecretSealed         []byte     `gorm:"column:secret_sealed"`
	PreviousSecretSealed []byte     `gorm:"column:previous_secret_sealed"`
	PreviousSecretUntil  *time.Time `gorm:"column:previous_secret_until"` // the old secret signs too until then
	Disabled             bool       `gorm:"column:disabled"`
	DisabledReason       string     `gorm:"column:disabled_reason"`
	FailingSince         *time.Time `gorm:"column:failing_since"` // first failure since the last success
	NextBatchAt          *time.Time `gorm:"column:next_batch_at"` // the next engagement batch waits until then
	CreatedAt            time.Time  `gorm:"column:created_at"`
	UpdatedAt            time.Time  `gorm:"column:updated_at"`
}

func (Endpoint) TableName() string { return "webhook_endpoints" }

// Events are the event types the endpoint receives.
func (e *Endpoint) Events() []string {
	var out []string
	_ = json.Unmarshal([]byte(e.EventsJSON), &out)
	return out
}

// Wants reports whether the endpoint receives events of type t now.
func (e *Endpoint) Wants(t string) bool { return !e.Disabled && slices.Contains(e.Events(), t) }

// Message statuses.
const (
	Pending   = "pending"   // not delivered yet; tried again about NextAttemptAt
	Delivered = "delivered" // the endpoint answered 2xx
	Failed    = "failed"    // the retry window ended, or the endpoint was disabled
)

// Message is one request to one endpoint: an event, or a batch of them.
type Message struct {
	ID            string     `gorm:"column:id;primaryKey"` // the webhook-id header
	AppID         string     `gorm:"column:app_id"`
	EndpointID    string     `gorm:"column:endpoint_id"`
	EventType     string     `gorm:"column:event_type"`
	Payload       string     `gorm:"column:payload"` // the signed body
	Status        string     `gorm:"column:status"`
	Attempts      int        `gorm:"column:attempts"`
	NextAttemptAt time.Time  `gorm:"column:next_attempt_at"`
	RetryUntil    time.Time  `gorm:"column:retry_until"` // no attempt starts after it: the message fails
	LastStatus    int        `gorm:"column:last_status"` // HTTP status of the last attempt; 0 if none came
	LastError     string     `gorm:"column:last_error"`
	LastLatencyMS int        `gorm:"column:last_latency_ms"`
	LastAttemptAt *time.Time `gorm:"column:last_attempt_at"`
	CreatedAt     time.Time  `gorm:"column:created_at"`
	FinishedAt    *time.Time `gorm:"column:finished_at"`
	// Resends counts re-sends: each hands the message over again, in a
	// round (a task id) of its own.
	Resends int `gorm:"column:resends"`
	// HandedOverAt is when the message's task was queued, or last seen
	// queued by the repair; nil until the relay hands it over.
	HandedOverAt *time.Time `gorm:"column:handed_over_at"`
	// LeasedUntil: a worker is sending it; its twin task keeps off until
	// then.
	LeasedUntil *time.Time `gorm:"column:leased_until"`
	// RecentAttemptsJSON is the latest MaxRecentAttempts attempts, a JSON
	// array of Attempt (see RecentAttempts).
	RecentAttemptsJSON string `gorm:"column:recent_attempts"`
}

func (Message) TableName() string { return "webhook_messages" }

// pendingEvent is an engagement event waiting for its endpoint's next batch.
type pendingEvent struct {
	ID         string    `gorm:"column:id;primaryKey"` // UUIDv7: oldest first
	EndpointID string    `gorm:"column:endpoint_id"`
	EventType  string    `gorm:"column:event_type"`
	Data       string    `gorm:"column:data"`
	CreatedAt  time.Time `gorm:"column:created_at"`
}

func (pendingEvent) TableName() string { return "webhook_events" }

// envelope is the body of every request, as Standard Webhooks suggests:
// the type, when it happened and the event's data.
type envelope struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}
