package notification

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/heraldpush/herald/pkg/segment"
	"github.com/heraldpush/herald/pkg/subscription"
)

// Status of a notification. The state machine, every move of which is a
// Store method: Scheduled or Queued -> Sending (the fan-out's first page) ->
// Completed (every targeted subscription has a final outcome); Completed ->
// Sending again when a dead letter is sent again; any but Completed ->
// Cancelled.
type Status string

const (
	Scheduled Status = "scheduled" // send_at (or send_at_local's first zone) is in the future
	Queued    Status = "queued"    // accepted, fan-out not started
	Sending   Status = "sending"   // fan-out or deliveries under way
	Completed Status = "completed" // every targeted subscription has a final outcome
	Cancelled Status = "cancelled"
)

// Statuses lists every status, in the order of the state machine.
var Statuses = []Status{Scheduled, Queued, Sending, Completed, Cancelled}

// Priority says how soon a notification's work runs. The job transport
// gives each priority its own queue, and workers serve Urgent with
// capacity a broadcast cannot take.
type Priority string

const (
	Urgent Priority = "urgent" // urgency high, few recipients
	Normal Priority = "normal"
	Bulk   Priority = "bulk" // broadcasts, topics, large user lists
)

// Target kinds as stored: the subscription package's audience kinds.
const (
	TargetAll           = subscription.AudienceAll
	TargetUsers         = subscription.AudienceUsers
	TargetTopics        = subscription.AudienceTopics
	TargetSubscriptions = subscription.AudienceSubscriptions
	TargetSegment       = subscription.AudienceSegment
)

// Notification is a stored send request and its progress.
type Notification struct {
	ID             string  `gorm:"column:id;primaryKey"`
	AppID          string  `gorm:"column:app_id"`
	IdempotencyKey *string `gorm:"column:idempotency_key"`
	// RequestFingerprint digests the request made with IdempotencyKey, so
	// the key reused with another request is refused ("" before it was kept).
	RequestFingerprint string                    `gorm:"column:request_fingerprint"`
	Status             Status                    `gorm:"column:status"`
	TargetKind         subscription.AudienceKind `gorm:"column:target_kind"`
	TargetValues       string                    `gorm:"column:target_values"` // JSON array
	Content            Content                   `gorm:"column:content"`       // what the browser shows
	Payload            string                    `gorm:"column:payload"`       // what the service worker decrypts
	// PayloadDeclarative is what Apple's subscriptions decrypt instead
	// (format auto); "" means Payload for them too (PayloadFor).
	PayloadDeclarative string     `gorm:"column:payload_declarative"`
	Format             Format     `gorm:"column:format"`
	AppBadge           *int       `gorm:"column:app_badge"`
	TTL                int        `gorm:"column:ttl"`
	Urgency            string     `gorm:"column:urgency"`
	Topic              string     `gorm:"column:topic"`
	Priority           Priority   `gorm:"column:priority"`
	SendAt             *time.Time `gorm:"column:send_at"`
	EnqueuedAt         *time.Time `gorm:"column:enqueued_at"`
	FanoutCursor       string     `gorm:"column:fanout_cursor"`
	FanoutSeq          int        `gorm:"column:fanout_seq"`
	FanoutDone         bool       `gorm:"column:fanout_done"`
	Targeted           int64      `gorm:"column:targeted"`
	Delivered          int64      `gorm:"-"` // outcome counts: filled by Store.LoadCounts
	Gone               int64      `gorm:"-"`
	Dead               int64      `gorm:"-"`
	Capped             int64      `gorm:"-"`
	Received           int64      `gorm:"column:received"`  // service workers that showed it (pkg/engagement)
	Clicked            int64      `gorm:"column:clicked"`   // clicks reported, by subscription or event
	Dismissed          int64      `gorm:"column:dismissed"` // dismissals reported
	CreatedAt          time.Time  `gorm:"column:created_at"`
	UpdatedAt          time.Time  `gorm:"column:updated_at"`
	CompletedAt        *time.Time `gorm:"column:completed_at"`
	// Personalization is the request's per-user template data, JSON keyed
	// by user id ("" for none; template.go).
	Personalization string `gorm:"column:personalization"`
	// VariantsJSON holds the A/B variants ([]StoredVariant; "" for none;
	// variants.go). Content and Payload are then the first variant's.
	VariantsJSON string `gorm:"column:variants"`
	Timing
}

// Timing is how and when a notification is sent beyond its target (the
// targeting and timing columns): local-time delivery, quiet hours and caps
// bypass, throttle, and the key that cancels a series.
type Timing struct {
	// SendAtLocal is the wall-clock time ("2026-12-24T09:00:00") each
	// recipient gets it at in its own time zone; its fan-outs are the
	// notification's zones (zones.go).
	SendAtLocal string `gorm:"column:send_at_local"`
	SkipIfPast  bool   `gorm:"column:skip_if_past"` // zones already past are skipped, not sent at once
	// Zones is the ZonePlan as JSON; ZoneIndex the zone the fan-out walks.
	Zones     string `gorm:"column:zones"`
	ZoneIndex int    `gorm:"column:zone_index"`
	// TimeSensitive messages pass quiet hours and frequency caps.
	TimeSensitive bool `gorm:"column:time_sensitive"`
	// Category scopes per-category frequency caps ("" counts under none).
	Category string `gorm:"column:category"`
	// ThrottlePerMinute is the most sends per minute, fleet-wide (0: none).
	ThrottlePerMinute int     `gorm:"column:throttle_per_minute"`
	CancelKey         *string `gorm:"column:cancel_key"`
}

func (Notification) TableName() string { return "notifications" }

// Pending is how many targeted subscriptions have no final outcome yet.
func (n *Notification) Pending() int64 { return n.Targeted - n.Delivered - n.Gone - n.Dead - n.Capped }

// Zoned reports whether the notification goes out at a local time, one
// fan-out per zone, instead of one fan-out.
func (n *Notification) Zoned() bool { return n.SendAtLocal != "" }

// BypassesQuietHours says whether quiet hours let it through: time-sensitive
// content and urgency high.
func (n *Notification) BypassesQuietHours() bool { return n.TimeSensitive || n.Urgency == "high" }

// AboutTopics are the topics a notification is about, the scope of
// per-topic frequency caps: a topics target's topics, the topics a
// segment names outside a negation, none for other targets.
func (n *Notification) AboutTopics() []string {
	a, err := n.Audience()
	if err != nil {
		return nil
	}
	switch n.TargetKind {
	case TargetTopics:
		return a.Values
	case TargetSegment:
		if a.Segment != nil {
			return a.Segment.Positive()
		}
	}
	return nil
}

// Audience is who the notification goes to.
func (n *Notification) Audience() (subscription.Audience, error) {
	a := subscription.Audience{AppID: n.AppID, Kind: n.TargetKind}
	if err := json.Unmarshal([]byte(n.TargetValues), &a.Values); err != nil {
		return a, fmt.Errorf("notification %s target: %w", n.ID, err)
	}
	if n.TargetKind == TargetSegment {
		if len(a.Values) != 1 {
			return a, fmt.Errorf("notification %s: a segment target holds one expression", n.ID)
		}
		expr, err := segment.Parse(a.Values[0])
		if err != nil {
			return a, fmt.Errorf("notification %s segment: %w", n.ID, err)
		}
		a.Segment = expr
	}
	return a, nil
}
