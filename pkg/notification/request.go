// Package notification turns a send request into a stored notification
// (validation, the payload the service worker decrypts, idempotency) and
// owns its state from then on: status, fan-out cursor, enqueued mark,
// outcome and engagement counts, completion. It owns the notifications and
// notification_counts tables.
package notification

import (
	"encoding/json"
	"net/url"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/subscription"
)

// Limits of a send request.
const (
	MaxTTL          = 2419200 // 28 days, what push services keep at most
	DefaultTTL      = 86400
	MaxTargetIDs    = 10000
	MaxActions      = 4
	MaxTextLength   = 2000
	MaxPayloadBytes = 3993 // one 4096-byte aes128gcm record: 4096 - 86 header - 16 tag - 1 delimiter
)

var topicPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Target says who receives a notification; exactly one field is set.
type Target struct {
	All             bool
	UserIDs         []string
	Topics          []string
	SubscriptionIDs []string
}

// Action is a notification button.
type Action struct {
	Action string
	Title  string
	URL    string
	Icon   string
}

// Content is what the browser shows; fields as in the contract. The
// payload and the stored row encode it as JSON (content.go).
type Content struct {
	Title              string
	Body               string
	Icon               string
	Badge              string
	Image              string
	URL                string
	Tag                string
	Actions            []Action
	Data               json.RawMessage
	RequireInteraction bool
	Renotify           bool
	Silent             bool
	Vibrate            []int
}

// Request is a send request.
type Request struct {
	Target       Target
	Notification Content
	TTL          *int
	Urgency      string
	Topic        string
	SendAt       *time.Time
}

// validate checks everything but the payload size.
func (r *Request) validate() (kind subscription.AudienceKind, values []string, err error) {
	if kind, values, err = r.Target.validate(); err != nil {
		return "", nil, err
	}
	if err := r.Notification.validate(); err != nil {
		return "", nil, err
	}
	if r.TTL != nil && (*r.TTL < 0 || *r.TTL > MaxTTL) {
		return "", nil, fault.Invalid("invalid_ttl", "ttl must be 0 to %d seconds", MaxTTL)
	}
	switch r.Urgency {
	case "", "very-low", "low", "normal", "high":
	default:
		return "", nil, fault.Invalid("invalid_urgency", "urgency must be very-low, low, normal or high")
	}
	if r.Topic != "" && !topicPattern.MatchString(r.Topic) {
		return "", nil, fault.Invalid("invalid_topic", "topic must be 1 to 32 URL-safe base64 characters (A-Z a-z 0-9 - _)")
	}
	return kind, values, nil
}

func (t Target) validate() (subscription.AudienceKind, []string, error) {
	set := 0
	kind, values := subscription.AudienceKind(""), []string(nil)
	if t.All {
		set++
		kind = TargetAll
	}
	if t.UserIDs != nil {
		set++
		kind, values = TargetUsers, t.UserIDs
	}
	if t.Topics != nil {
		set++
		kind, values = TargetTopics, t.Topics
	}
	if t.SubscriptionIDs != nil {
		set++
		kind, values = TargetSubscriptions, t.SubscriptionIDs
	}
	if set != 1 {
		return "", nil, fault.Invalid("invalid_target",
			`target must be exactly one of {"all": true}, {"user_ids": [...]}, {"topics": [...]}, {"subscription_ids": [...]}`)
	}
	if kind != TargetAll && (len(values) == 0 || len(values) > MaxTargetIDs) {
		return "", nil, fault.Invalid("invalid_target", "target.%s must hold 1 to %d items", kind, MaxTargetIDs)
	}
	seen := make(map[string]bool, len(values))
	unique := values[:0:0]
	for _, v := range values {
		switch kind {
		case TargetUsers:
			if v == "" || utf8.RuneCountInString(v) > subscription.MaxUserIDLength {
				return "", nil, fault.Invalid("invalid_target", "user ids must be 1 to %d characters", subscription.MaxUserIDLength)
			}
		case TargetTopics:
			if _, err := subscription.ValidateTopics([]string{v}); err != nil {
				return "", nil, fault.Invalid("invalid_target", "topics must be 1 to %d printable characters", subscription.MaxTopicLength)
			}
		case TargetSubscriptions:
			if _, err := uuid.Parse(v); err != nil {
				return "", nil, fault.Invalid("invalid_target", "subscription id %q is not an id Herald issued", v)
			}
		}
		if !seen[v] {
			seen[v] = true
			unique = append(unique, v)
		}
	}
	return kind, unique, nil
}

func (c *Content) validate() error {
	if c.Title == "" {
		return fault.Invalid("invalid_notification", "notification.title is required")
	}
	for name, text := range map[string]string{"title": c.Title, "body": c.Body, "tag": c.Tag} {
		if utf8.RuneCountInString(text) > MaxTextLength {
			return fault.Invalid("invalid_notification", "notification.%s is longer than %d characters", name, MaxTextLength)
		}
	}
	for name, link := range map[string]string{"icon": c.Icon, "badge": c.Badge, "image": c.Image, "url": c.URL} {
		if !validLink(link) {
			return fault.Invalid("invalid_notification", "notification.%s must be an http(s) URL or a path", name)
		}
	}
	if len(c.Actions) > MaxActions {
		return fault.Invalid("invalid_notification", "at most %d actions", MaxActions)
	}
	for _, a := range c.Actions {
		if a.Action == "" || a.Title == "" || !validLink(a.URL) || !validLink(a.Icon) {
			return fault.Invalid("invalid_notification", "each action needs action and title; url and icon must be http(s) URLs or paths")
		}
	}
	if len(c.Data) > 0 && !json.Valid(c.Data) {
		return fault.Invalid("invalid_notification", "notification.data must be JSON")
	}
	return nil
}

// validLink accepts empty, absolute http(s) URLs and site-relative paths.
func validLink(s string) bool {
	if s == "" {
		return true
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	if u.Scheme == "" {
		return u.Host == "" && len(s) > 0 && s[0] == '/'
	}
	return (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
