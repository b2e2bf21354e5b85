package heraldclient

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Notification statuses.
const (
	StatusScheduled = "scheduled"
	StatusQueued    = "queued"
	StatusSending   = "sending"
	StatusCompleted = "completed"
	StatusCancelled = "cancelled"
)

// Target is who a notification goes to: set exactly one field.
type Target struct {
	All             bool     `json:"all,omitempty"`
	UserIDs         []string `json:"user_ids,omitempty"`
	Topics          []string `json:"topics,omitempty"`
	SubscriptionIDs []string `json:"subscription_ids,omitempty"`
	Segment         string   `json:"segment,omitempty"` // like "news && (sports || !weather)"
}

// Content is what the browser shows.
type Content struct {
	Title              string          `json:"title"`
	Body               string          `json:"body,omitempty"`
	Icon               string          `json:"icon,omitempty"`
	Badge              string          `json:"badge,omitempty"`
	Image              string          `json:"image,omitempty"`
	URL                string          `json:"url,omitempty"`
	Tag                string          `json:"tag,omitempty"`
	Actions            []Action        `json:"actions,omitempty"`
	Data               json.RawMessage `json:"data,omitempty"`
	RequireInteraction bool            `json:"require_interaction,omitempty"`
	Renotify           bool            `json:"renotify,omitempty"`
	Silent             bool            `json:"silent,omitempty"`
	Vibrate            []int           `json:"vibrate,omitempty"`
}

// Action is a notification button.
type Action struct {
	Action string `json:"action"`
	Title  string `json:"title"`
	URL    string `json:"url,omitempty"`
	Icon   string `json:"icon,omitempty"`
}

// SendRequest is the body of POST /v1/notifications. Extra holds fields
// this client has no name for (they are sent as given, beside the others).
type SendRequest struct {
	Target            Target     `json:"target"`
	Notification      Content    `json:"notification"`
	TTL               *int       `json:"ttl,omitempty"` // seconds
	Urgency           string     `json:"urgency,omitempty"`
	Topic             string     `json:"topic,omitempty"`
	SendAt            *time.Time `json:"send_at,omitempty"`
	TimeSensitive     bool       `json:"time_sensitive,omitempty"`
	Category          string     `json:"category,omitempty"`
	ThrottlePerMinute *int       `json:"throttle_per_minute,omitempty"`
	CancelKey         string     `json:"cancel_key,omitempty"`
	// Personalization is per-user data for the content's Liquid templates
	// ({{ first_name }}), keyed by user id; it overrides the recipient's
	// subscription and user attributes.
	Personalization map[string]map[string]any `json:"personalization,omitempty"`
	// Variants (2 to 5) split the audience A/B: each recipient gets one,
	// chosen by its subscription id and weight; a variant's fields
	// override Notification's.
	Variants []Variant      `json:"variants,omitempty"`
	Extra    map[string]any `json:"-"`

	// IdempotencyKey, when set, is sent instead of a generated one: a
	// second send with the same key answers the first notification.
	IdempotencyKey string `json:"-"`
}

func (r *SendRequest) body() ([]byte, error) {
	type plain SendRequest
	return withExtra((*plain)(r), r.Extra)
}

// Sent is what a send answers.
type Sent struct {
	Raw
	ID       string `json:"id"`
	Status   string `json:"status"`
	Replayed bool   `json:"-"` // the Idempotency-Key was used before: this is the first send's notification
	// Warnings say what the sender should know: sent, but some browsers
	// will not show it (a payload Firefox for Android refuses).
	Warnings []Warning `json:"warnings"`
}

// Warning is one of Sent.Warnings.
type Warning struct {
	Code    string `json:"code"` // payload_over_safe_size
	Service string `json:"service"`
	Message string `json:"message"`
}

// Counts are a notification's outcomes. Completed means Pending == 0 and
// Targeted == Delivered + Gone + Dead + Capped.
type Counts struct {
	Targeted  int64 `json:"targeted"`
	Delivered int64 `json:"delivered"` // the push service accepted it
	Gone      int64 `json:"gone"`      // 404/410: the subscription is gone
	Dead      int64 `json:"dead"`      // given up, dead-lettered
	Capped    int64 `json:"capped"`    // held back by a frequency cap
	Pending   int64 `json:"pending"`
	Received  int64 `json:"received"` // reported by service workers
	Clicked   int64 `json:"clicked"`
	Dismissed int64 `json:"dismissed"`
}

// ProgressCounts are the delivery counts of a notification in progress or
// in the history (engagement counts are on Notification's Counts).
type ProgressCounts struct {
	Targeted  int64 `json:"targeted"`
	Delivered int64 `json:"delivered"`
	Gone      int64 `json:"gone"`
	Dead      int64 `json:"dead"`
	Capped    int64 `json:"capped"`
	Pending   int64 `json:"pending"`
}

// Notification is a notification and its counts.
type Notification struct {
	Raw
	ID                string          `json:"id"`
	Status            string          `json:"status"`
	Counts            Counts          `json:"counts"`
	Target            map[string]any  `json:"target"`
	Notification      Content         `json:"notification"`
	TTL               int             `json:"ttl"`
	Urgency           string          `json:"urgency,omitempty"`
	Topic             string          `json:"topic,omitempty"`
	Queue             string          `json:"queue"`
	SendAt            *time.Time      `json:"send_at"`
	CreatedAt         time.Time       `json:"created_at"`
	CompletedAt       *time.Time      `json:"completed_at"`
	TimeSensitive     bool            `json:"time_sensitive,omitempty"`
	Category          string          `json:"category,omitempty"`
	ThrottlePerMinute *int            `json:"throttle_per_minute,omitempty"`
	CancelKey         string          `json:"cancel_key,omitempty"`
	Warnings          []string        `json:"warnings"`
	Format            string          `json:"format,omitempty"`    // standard, declarative or auto
	AppBadge          *int            `json:"app_badge,omitempty"` // the number the app's icon shows
	SendAtLocal       string          `json:"send_at_local,omitempty"`
	SkipIfPast        bool            `json:"skip_if_past,omitempty"`
	Zones             []Zone          `json:"zones,omitempty"` // a local-time notification's fan-outs
	SkippedTimezones  []string        `json:"skipped_timezones,omitempty"`
	Variants          []VariantResult `json:"variants,omitempty"` // an A/B notification's, with their counts
}

// Variant is one of SendRequest.Variants.
type Variant struct {
	Name         string         `json:"name"`
	Weight       int            `json:"weight"` // its share of the audience, against the others' weights
	Notification VariantContent `json:"notification"`
}

// VariantContent is a variant's content: it overrides the top-level
// notification field by field, and its switches can say false (turning off
// what the top level turns on) apart from not given (nil: the top level's).
// encoding/json takes these fields in place of the embedded ones.
type VariantContent struct {
	Content
	RequireInteraction *bool `json:"require_interaction,omitempty"`
	Renotify           *bool `json:"renotify,omitempty"`
	Silent             *bool `json:"silent,omitempty"`
}

// VariantResult is a variant of a sent notification with its counts.
type VariantResult struct {
	Variant
	Counts VariantCounts `json:"counts"`
}

// VariantCounts are one variant's outcomes and engagement.
type VariantCounts struct {
	Delivered        int64   `json:"delivered"`
	Gone             int64   `json:"gone"`
	Dead             int64   `json:"dead"`
	Capped           int64   `json:"capped"`
	Final            int64   `json:"final"` // the four together
	Received         int64   `json:"received"`
	Clicked          int64   `json:"clicked"`
	Dismissed        int64   `json:"dismissed"`
	ClickThroughRate float64 `json:"click_through_rate"` // clicked over delivered
}

// Zone is one fan-out of a local-time notification: the time zones whose
// wall clock reaches send_at_local at At.
type Zone struct {
	At        time.Time `json:"at"`
	Timezones []string  `json:"timezones"`
	Status    string    `json:"status"` // waiting, sending or fanned_out
}

// Done reports whether the notification reached a final status.
func (n *Notification) Done() bool {
	return n.Status == StatusCompleted || n.Status == StatusCancelled
}

// NewIdempotencyKey returns a random key for the Idempotency-Key header.
func NewIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Send asks Herald to send a notification (202 once it is stored). Every
// call carries an Idempotency-Key (req.IdempotencyKey, or one generated for
// this call) that its retries repeat, so a retried send never sends twice.
func (c *Client) Send(ctx context.Context, req *SendRequest) (*Sent, error) {
	body, err := req.body()
	if err != nil {
		return nil, fmt.Errorf("heraldclient: encode send: %w", err)
	}
	return c.SendJSON(ctx, body, req.IdempotencyKey)
}

// SendJSON sends a POST /v1/notifications body as it is (a file's, say),
// with idempotencyKey or, when it is "", a generated one.
func (c *Client) SendJSON(ctx context.Context, body []byte, idempotencyKey string) (*Sent, error) {
	if idempotencyKey == "" {
		idempotencyKey = NewIdempotencyKey()
	}
	cl := call{method: http.MethodPost, path: "/v1/notifications", body: body, contentType: "application/json",
		cred: apiKey, replayable: true, header: http.Header{"Idempotency-Key": {idempotencyKey}}}
	var out Sent
	h, err := c.do(ctx, cl, &out)
	if err != nil {
		return nil, err
	}
	out.Replayed = h.Get("Idempotent-Replayed") == "true"
	return &out, nil
}

// GetNotification returns a notification and its counts.
func (c *Client) GetNotification(ctx context.Context, id string) (*Notification, error) {
	var out Notification
	_, err := c.doJSON(ctx, http.MethodGet, "/v1/notifications/"+pathEscape(id), apiKey, nil, &out)
	return ret(&out, err)
}

// CancelNotification cancels what of a notification has not been sent yet.
func (c *Client) CancelNotification(ctx context.Context, id string) (*Notification, error) {
	var out Notification
	_, err := c.doJSON(ctx, http.MethodDelete, "/v1/notifications/"+pathEscape(id), apiKey, nil, &out)
	return ret(&out, err)
}

// CancelByKey cancels every notification of the app sent with cancel_key
// key and not yet sent to everyone; it returns how many it cancelled.
func (c *Client) CancelByKey(ctx context.Context, key string) (int, error) {
	var out struct {
		Cancelled int `json:"cancelled"`
	}
	cl := call{method: http.MethodDelete, path: "/v1/notifications", query: url.Values{"cancel_key": {key}}, cred: apiKey, replayable: true}
	_, err := c.do(ctx, cl, &out)
	return out.Cancelled, err
}

// WaitCompleted polls a notification every interval until it is completed
// or cancelled and returns it; progress, when not nil, sees every poll.
// Errors that a retry may cure (no answer, 429, 503) are retried by the
// client; any other ends the wait. When ctx ends first, it returns the last
// state seen with ctx's error.
func (c *Client) WaitCompleted(ctx context.Context, id string, interval time.Duration, progress func(*Notification)) (*Notification, error) {
	if interval <= 0 {
		interval = time.Second
	}
	var last *Notification
	for {
		n, err := c.GetNotification(ctx, id)
		if err != nil {
			if ctx.Err() != nil && last != nil {
				return last, ctx.Err() // the last state seen, with why the wait ended
			}
			return nil, err
		}
		last = n
		if progress != nil {
			progress(n)
		}
		if n.Done() {
			return n, nil
		}
		if err := sleep(ctx, interval); err != nil {
			return n, err
		}
	}
}
