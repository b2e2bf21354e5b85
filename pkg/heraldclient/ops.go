package heraldclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// DeadLetter is a delivery Herald gave up on.
type DeadLetter struct {
	Raw
	ID             string     `json:"id"`
	AppID          string     `json:"app_id,omitempty"` // admin routes only
	NotificationID string     `json:"notification_id"`
	SubscriptionID string     `json:"subscription_id"`
	Attempts       int        `json:"attempts"`
	LastStatus     int        `json:"last_status"` // the push service's last HTTP status; 0 if none came
	LastError      string     `json:"last_error"`
	CreatedAt      time.Time  `json:"created_at"`
	RetriedAt      *time.Time `json:"retried_at"` // sent again; nil while it waits
}

// ListDeadLetters lists the app's dead letters, oldest first.
func (c *Client) ListDeadLetters(ctx context.Context, opts ListOptions) (*Page[DeadLetter], error) {
	var out Page[DeadLetter]
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/v1/dead-letters", query: opts.query(), cred: apiKey, replayable: true}, &out)
	return ret(&out, err)
}

// RetryDeadLetter sends a dead letter again with a fresh retry budget; the
// notification counts it pending again.
func (c *Client) RetryDeadLetter(ctx context.Context, id string) (*DeadLetter, error) {
	var out DeadLetter
	_, err := c.doJSON(ctx, http.MethodPost, "/v1/dead-letters/"+pathEscape(id)+"/retry", apiKey, nil, &out)
	return ret(&out, err)
}

// QueueStats are one job queue's figures.
type QueueStats struct {
	Name      string `json:"name"`
	Pending   int    `json:"pending"`
	Active    int    `json:"active"`
	Scheduled int    `json:"scheduled"`
	Retry     int    `json:"retry"`
	Processed int    `json:"processed"`
	Failed    int    `json:"failed"`
	LatencyMS int64  `json:"latency_ms"`
	Archived  int    `json:"archived"`
}

// Rates are the fleet's delivery rates over the last window.
type Rates struct {
	WindowSeconds      int     `json:"window_seconds"`
	DeliveredPerSecond float64 `json:"delivered_per_second"`
	GonePerSecond      float64 `json:"gone_per_second"`
	RetryPerSecond     float64 `json:"retry_per_second"`
	FailedPerSecond    float64 `json:"failed_per_second"`
}

// Progress is a notification in progress and its counts.
type Progress struct {
	ID        string         `json:"id"`
	AppID     string         `json:"app_id,omitempty"`
	Status    string         `json:"status"`
	Counts    ProgressCounts `json:"counts"`
	CreatedAt time.Time      `json:"created_at"`
}

// Stats is GET /v1/stats: the queues, the fleet's rates and the app's
// notifications in progress.
type Stats struct {
	Raw
	Queues        []QueueStats `json:"queues"`
	Workers       int          `json:"workers"`
	DeliveryRates Rates        `json:"delivery_rates"`
	InProgress    []Progress   `json:"notifications_in_progress"`
	GeneratedAt   time.Time    `json:"generated_at"`
}

// Stats returns the queues and the app's notifications in progress.
func (c *Client) Stats(ctx context.Context) (*Stats, error) {
	var out Stats
	_, err := c.doJSON(ctx, http.MethodGet, "/v1/stats", apiKey, nil, &out)
	return ret(&out, err)
}

// StatusCounts counts notifications and subscriptions by status, and the
// dead letters not yet retried.
type StatusCounts struct {
	Notifications map[string]int64 `json:"notifications"`
	Subscriptions map[string]int64 `json:"subscriptions"`
	DeadLetters   int64            `json:"dead_letters"`
	At            time.Time        `json:"at"`
}

// RatePoint is one bucket of the delivery series.
type RatePoint struct {
	T         int64            `json:"t"` // bucket start, unix seconds
	Delivered int64            `json:"delivered"`
	Gone      int64            `json:"gone"`
	Retry     int64            `json:"retry"`
	Failed    int64            `json:"failed"`
	Reasons   map[string]int64 `json:"reasons,omitempty"` // by reason, like failed:400; absent when none
}

// AdminStats is what the dashboard draws, for every app.
type AdminStats struct {
	Stats
	Counts        StatusCounts `json:"counts"`
	Series        []RatePoint  `json:"series"`
	BucketSeconds int          `json:"bucket_seconds"`
}

// AdminStats returns every app's figures (admin).
func (c *Client) AdminStats(ctx context.Context) (*AdminStats, error) {
	var out AdminStats
	_, err := c.doJSON(ctx, http.MethodGet, "/v1/admin/stats", admin, nil, &out)
	return ret(&out, err)
}

// RecentDeadLetters returns the newest dead letters of every app not yet
// retried, at most limit (1 to 200; 0 for the server's default) (admin).
func (c *Client) RecentDeadLetters(ctx context.Context, limit int) ([]DeadLetter, error) {
	cl := call{method: http.MethodGet, path: "/v1/admin/dead-letters", cred: admin, replayable: true}
	if limit > 0 {
		cl.query = url.Values{"limit": {strconv.Itoa(limit)}}
	}
	var out struct {
		DeadLetters []DeadLetter `json:"dead_letters"`
	}
	_, err := c.do(ctx, cl, &out)
	return out.DeadLetters, err
}

// AdminRetryDeadLetter retries any app's dead letter (admin).
func (c *Client) AdminRetryDeadLetter(ctx context.Context, id string) (*DeadLetter, error) {
	var out DeadLetter
	_, err := c.doJSON(ctx, http.MethodPost, "/v1/admin/dead-letters/"+pathEscape(id)+"/retry", admin, nil, &out)
	return ret(&out, err)
}

// SegmentPreview is how many active subscriptions a segment reaches now.
type SegmentPreview struct {
	Raw
	Segment  string    `json:"segment"` // canonical form
	Topics   []string  `json:"topics"`
	Audience int64     `json:"audience"`
	AtLeast  bool      `json:"at_least"` // the count stopped at its bound
	Cached   bool      `json:"cached"`
	At       time.Time `json:"counted_at"`
}

// PreviewSegment counts the app's active subscriptions a segment reaches.
func (c *Client) PreviewSegment(ctx context.Context, segment string) (*SegmentPreview, error) {
	var out SegmentPreview
	_, err := c.doJSON(ctx, http.MethodPost, "/v1/segments/preview", apiKey, map[string]string{"segment": segment}, &out)
	return ret(&out, err)
}

// RetryNotificationDeadLetters sends every dead letter of one of the app's
// notifications again and returns how many it queued.
func (c *Client) RetryNotificationDeadLetters(ctx context.Context, notificationID string) (int, error) {
	var out struct {
		Retried int `json:"retried"`
	}
	_, err := c.doJSON(ctx, http.MethodPost, "/v1/notifications/"+pathEscape(notificationID)+"/dead-letters/retry", apiKey, nil, &out)
	return out.Retried, err
}

// AdminRetryNotificationDeadLetters is RetryNotificationDeadLetters for any
// app's notification (admin).
func (c *Client) AdminRetryNotificationDeadLetters(ctx context.Context, notificationID string) (int, error) {
	var out struct {
		Retried int `json:"retried"`
	}
	_, err := c.doJSON(ctx, http.MethodPost, "/v1/admin/notifications/"+pathEscape(notificationID)+"/dead-letters/retry", admin, nil, &out)
	return out.Retried, err
}

// HistoryItem is a notification as the admin history lists it.
type HistoryItem struct {
	ID          string         `json:"id"`
	AppID       string         `json:"app_id"`
	Status      string         `json:"status"`
	Title       string         `json:"title"`
	Counts      ProgressCounts `json:"counts"`
	CreatedAt   time.Time      `json:"created_at"`
	CompletedAt *time.Time     `json:"completed_at"`
	Variants    int            `json:"variants"` // how many A/B variants it has (0: none)
}

// RecentNotifications returns the newest notifications of every app with
// their counts, at most limit (1 to 200; 0 for the server's default) (admin).
func (c *Client) RecentNotifications(ctx context.Context, limit int) ([]HistoryItem, error) {
	cl := call{method: http.MethodGet, path: "/v1/admin/notifications", cred: admin, replayable: true}
	if limit > 0 {
		cl.query = url.Values{"limit": {strconv.Itoa(limit)}}
	}
	var out struct {
		Items []HistoryItem `json:"items"`
	}
	_, err := c.do(ctx, cl, &out)
	return out.Items, err
}
