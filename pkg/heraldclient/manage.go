package heraldclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// SubscriptionFilter narrows ListSubscriptions and ExportSubscriptions;
// empty fields match every subscription.
type SubscriptionFilter struct {
	UserID string
	Topic  string
	Status string // one of the Subscription* statuses
}

func (f SubscriptionFilter) query(q url.Values) url.Values {
	for k, v := range map[string]string{"user_id": f.UserID, "topic": f.Topic, "status": f.Status} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// ListSubscriptions lists the app's subscriptions in creation order.
func (c *Client) ListSubscriptions(ctx context.Context, f SubscriptionFilter, opts ListOptions) (*Page[Subscription], error) {
	var out Page[Subscription]
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/v1/subscriptions", query: f.query(opts.query()), cred: apiKey, replayable: true}, &out)
	return ret(&out, err)
}

// SubscriptionUpdate is a PATCH of one subscription: nil fields stay as
// they are; ClearUser detaches the subscription from its user.
// Attributes are merged into the stored ones: a key with a nil value is
// removed, keys not named stay; ClearAttributes removes them all (and
// then Attributes is ignored).
type SubscriptionUpdate struct {
	Topics          *[]string
	UserID          *string
	ClearUser       bool
	Timezone        *string
	Attributes      map[string]*string
	ClearAttributes bool
}

// UpdateSubscription changes a subscription's topics, user, time zone or
// attributes.
func (c *Client) UpdateSubscription(ctx context.Context, id string, u *SubscriptionUpdate) (*Subscription, error) {
	body := map[string]any{}
	if u.Topics != nil {
		body["topics"] = *u.Topics
	}
	if u.UserID != nil {
		body["user_id"] = *u.UserID
	}
	if u.ClearUser {
		body["user_id"] = nil
	}
	if u.Timezone != nil {
		body["timezone"] = *u.Timezone
	}
	if u.Attributes != nil {
		body["attributes"] = u.Attributes
	}
	if u.ClearAttributes {
		body["attributes"] = nil
	}
	var out Subscription
	_, err := c.doJSON(ctx, http.MethodPatch, "/v1/subscriptions/"+pathEscape(id), apiKey, body, &out)
	return ret(&out, err)
}

// UserTopics is what ChangeUserTopics answers: how many of the user's
// subscriptions it changed.
type UserTopics struct {
	Raw
	UserID        string `json:"user_id"`
	Subscriptions int64  `json:"subscriptions"`
}

// ChangeUserTopics adds and removes topics on all of a user's subscriptions.
func (c *Client) ChangeUserTopics(ctx context.Context, userID string, add, remove []string) (*UserTopics, error) {
	var out UserTopics
	_, err := c.doJSON(ctx, http.MethodPost, "/v1/users/"+pathEscape(userID)+"/topics", apiKey,
		map[string]any{"add": orEmpty(add), "remove": orEmpty(remove)}, &out)
	return ret(&out, err)
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Topic is a topic with its active subscribers (counted at most 30 s ago).
type Topic struct {
	Raw
	Topic               string `json:"topic"`
	ActiveSubscriptions int64  `json:"active_subscriptions"`
}

// ListTopics lists the app's topics by name.
func (c *Client) ListTopics(ctx context.Context, opts ListOptions) (*Page[Topic], error) {
	var out Page[Topic]
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/v1/topics", query: opts.query(), cred: apiKey, replayable: true}, &out)
	return ret(&out, err)
}

// NotificationFilter narrows ListNotifications; zero fields match all.
type NotificationFilter struct {
	Status string    // one of the Status* constants
	Since  time.Time // created at or after
}

// ListNotifications lists the app's notifications newest first, with counts.
func (c *Client) ListNotifications(ctx context.Context, f NotificationFilter, opts ListOptions) (*Page[Notification], error) {
	q := opts.query()
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339))
	}
	var out Page[Notification]
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/v1/notifications", query: q, cred: apiKey, replayable: true}, &out)
	return ret(&out, err)
}

// ImportRefusal is one line an import refused and stored nothing for.
type ImportRefusal struct {
	Line    int64  `json:"line"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ImportResult is what an import answers; Refused holds the first 1,000
// refusals, RefusedCount counts them all. ImportID names the import in its
// subscription.imported webhook events.
type ImportResult struct {
	Raw
	ImportID     string          `json:"import_id"`
	Created      int64           `json:"created"`
	Updated      int64           `json:"updated"`
	Refused      []ImportRefusal `json:"refused"`
	RefusedCount int64           `json:"refused_count"`
	Lines        int64           `json:"lines"`
}

// ImportSubscriptions streams NDJSON from r to POST /v1/subscriptions/import:
// one PushSubscription.toJSON() (or web-push {"endpoint", "keys"} row) a
// line, with optional user_id, topics and timezone. r is read once, so the
// call is not repeated on a 429 or 503. An import whose every line was
// refused is the *Error nothing_imported.
func (c *Client) ImportSubscriptions(ctx context.Context, r io.Reader) (*ImportResult, error) {
	cl := call{method: http.MethodPost, path: "/v1/subscriptions/import", stream: r, contentType: "application/x-ndjson", cred: apiKey}
	var out ImportResult
	_, err := c.do(ctx, cl, &out)
	return ret(&out, err)
}

// ExportSubscriptions writes the app's subscriptions matching f to w as
// NDJSON, which ImportSubscriptions takes as it is, and returns how many
// lines it wrote. A cut answer is an error, never a short file taken for whole.
func (c *Client) ExportSubscriptions(ctx context.Context, f SubscriptionFilter, w io.Writer) (int64, error) {
	cl := call{method: http.MethodGet, path: "/v1/subscriptions/export", query: f.query(url.Values{}), cred: apiKey, replayable: true}
	resp, err := c.send(ctx, cl)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	lc := &lineCounter{w: w}
	if _, err := io.Copy(lc, resp.Body); err != nil {
		return lc.lines, fmt.Errorf("heraldclient: export: %w", err)
	}
	return lc.lines, nil
}

type lineCounter struct {
	w     io.Writer
	lines int64
}

func (l *lineCounter) Write(p []byte) (int, error) {
	for _, b := range p {
		if b == '\n' {
			l.lines++
		}
	}
	return l.w.Write(p)
}
