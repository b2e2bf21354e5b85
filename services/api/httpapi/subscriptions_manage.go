package httpapi

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/subscription"
)

// patchSubscriptionRequest is the body of PATCH /v1/subscriptions/{id}:
// what it names changes. user_id null detaches the subscription from its
// user; timezone "" clears it; topics replaces the list; attributes is
// merged into the stored ones (attributesPatch).
type patchSubscriptionRequest struct {
	Topics     *[]string       `json:"topics"`
	UserID     json.RawMessage `json:"user_id"`
	Timezone   *string         `json:"timezone"`
	Attributes json.RawMessage `json:"attributes" doc:"a JSON merge patch of the attributes: {\"plan\": \"pro\"} sets plan, {\"plan\": null} removes it, other keys stay; null removes them all"`
}

func (a *api) patchSubscription(c *gin.Context) error {
	var req patchSubscriptionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var err error
	ch := subscription.Change{Topics: req.Topics, Timezone: req.Timezone}
	if len(req.UserID) > 0 {
		if string(req.UserID) == "null" {
			ch.ClearUser = true
		} else if err := json.Unmarshal(req.UserID, &ch.UserID); err != nil {
			return fault.Malformed("invalid_json", "field \"user_id\" must be a string or null")
		}
	}
	if ch.Attributes, err = attributesPatch(req.Attributes); err != nil {
		return err
	}
	s, err := a.Subscriptions.Change(c.Request.Context(), c.MustGet(ctxApp).(*app.App).ID, c.Param("id"), ch)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewSubscription(*s))
	return nil
}

// attributesPatch reads a merge patch of attributes (RFC 7396): an object
// whose string values set keys and whose nulls remove them, or null,
// which removes every key. Absent changes nothing.
func attributesPatch(raw json.RawMessage) (subscription.AttributesPatch, error) {
	if len(raw) == 0 {
		return subscription.AttributesPatch{}, nil
	}
	if string(raw) == "null" {
		return subscription.AttributesPatch{Clear: true}, nil
	}
	var p subscription.AttributesPatch
	if err := json.Unmarshal(raw, &p.Changes); err != nil || p.Changes == nil {
		return p, fault.Malformed("invalid_json", "field \"attributes\" must be an object of strings (null removes a key) or null")
	}
	return p, nil
}

// userTopicsRequest is the body of POST /v1/users/{user_id}/topics.
type userTopicsRequest struct {
	Add    []string `json:"add"`
	Remove []string `json:"remove"`
}

// changeUserTopics adds and removes topics on all of a user's subscriptions.
func (a *api) changeUserTopics(c *gin.Context) error {
	var req userTopicsRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	n, err := a.Subscriptions.ChangeUserTopics(c.Request.Context(), c.MustGet(ctxApp).(*app.App).ID, c.Param("user_id"), req.Add, req.Remove)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"user_id": c.Param("user_id"), "subscriptions": n})
	return nil
}

type topicView struct {
	Topic               string `json:"topic"`
	ActiveSubscriptions int64  `json:"active_subscriptions"`
}

// topicsTTL is how long GET /v1/topics answers from its cache: counting a
// large app's followers is a read of every one of them.
const topicsTTL = 30 * time.Second

// topicCache keeps pages of GET /v1/topics per app and cursor.
type topicCache struct {
	mu      sync.Mutex
	entries map[topicKey]topicPage
}

type topicKey struct {
	app, after string
	limit      int
}

type topicPage struct {
	items []topicView
	next  string
	at    time.Time
}

func (t *topicCache) get(k topicKey, now time.Time) (topicPage, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.entries[k]
	return p, ok && now.Sub(p.at) < topicsTTL
}

func (t *topicCache) put(k topicKey, p topicPage) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.entries == nil || len(t.entries) > 10000 {
		t.entries = map[topicKey]topicPage{}
	}
	t.entries[k] = p
}

// listTopics answers GET /v1/topics: the topics active subscriptions
// follow, with how many, counted at most topicsTTL ago.
func (a *api) listTopics(c *gin.Context) error {
	p, err := readPage(c)
	if err != nil {
		return err
	}
	k := topicKey{app: c.MustGet(ctxApp).(*app.App).ID, after: p.After, limit: p.Limit}
	now := time.Now()
	page, ok := a.topics.get(k, now)
	if !ok {
		rows, next, err := a.Subscriptions.TopicCounts(c.Request.Context(), k.app, p)
		if err != nil {
			return err
		}
		page = topicPage{next: next, at: now, items: mapItems(rows, func(t subscription.TopicCount) topicView {
			return topicView{Topic: t.Topic, ActiveSubscriptions: t.Active}
		})}
		a.topics.put(k, page)
	}
	c.Header("Cache-Control", "private, max-age=30")
	writeList(c, page.items, page.next)
	return nil
}

// listNotifications answers GET /v1/notifications?status=&since=: the
// history, newest first, with counts.
func (a *api) listNotifications(c *gin.Context) error {
	status, err := notification.ParseStatus(c.Query("status"))
	if err != nil {
		return err
	}
	f := notification.Filter{Status: status}
	if s := c.Query("since"); s != "" {
		if f.Since, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return fault.Invalid("invalid_since", `since must be an RFC 3339 time such as "2026-12-24T09:00:00Z", not %q`, s)
		}
	}
	p, err := readPage(c)
	if err != nil {
		return err
	}
	rows, next, err := a.Notifications.List(c.Request.Context(), c.MustGet(ctxApp).(*app.App).ID, f, p)
	if err != nil {
		return err
	}
	writeList(c, mapItems(rows, func(n notification.Notification) notificationView { return viewNotification(&n) }), next)
	return nil
}
