package notification

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/heraldpush/herald/pkg/subscription"
)

// Status of a notification. The state machine, every move of which is a
// Store method: Scheduled or Queued -> Sending (the fan-out's first page) ->
// Completed (every targeted subscription has a final outcome); Completed ->
// Sending again when a dead letter is sent again; any but Completed ->
// Cancelled.
type Status string

const (
	Scheduled Status = "scheduled" // send_at is in the future
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
)

// Notification is a stored send request and its progress.
type Notification struct {
	ID             string                    `gorm:"column:id;primaryKey"`
	AppID          string                    `gorm:"column:app_id"`
	IdempotencyKey *string                   `gorm:"column:idempotency_key"`
	Status         Status                    `gorm:"column:status"`
	TargetKind     subscription.AudienceKind `gorm:"column:target_kind"`
	TargetValues   string                    `gorm:"column:target_values"` // JSON array
	Content        Content                   `gorm:"column:content"`       // what the browser shows
	Payload        string                    `gorm:"column:payload"`       // what the service worker decrypts
	TTL            int                       `gorm:"column:ttl"`
	Urgency        string                    `gorm:"column:urgency"`
	Topic          string                    `gorm:"column:topic"`
	Priority       Priority                  `gorm:"column:priority"`
	SendAt         *time.Time                `gorm:"column:send_at"`
	EnqueuedAt     *time.Time                `gorm:"column:enqueued_at"`
	FanoutCursor   string                    `gorm:"column:fanout_cursor"`
	FanoutSeq      int                       `gorm:"column:fanout_seq"`
	FanoutDone     bool                      `gorm:"column:fanout_done"`
	Targeted       int64                     `gorm:"column:targeted"`
	Delivered      int64                     `gorm:"-"` // outcome counts: filled by Store.LoadCounts
	Gone           int64                     `gorm:"-"`
	Dead           int64                     `gorm:"-"`
	Received       int64                     `gorm:"column:received"`  // service workers that showed it (pkg/engagement)
	Clicked        int64                     `gorm:"column:clicked"`   // clicks reported, by subscription or event
	Dismissed      int64                     `gorm:"column:dismissed"` // dismissals reported
	CreatedAt      time.Time                 `gorm:"column:created_at"`
	UpdatedAt      time.Time                 `gorm:"column:updated_at"`
	CompletedAt    *time.Time                `gorm:"column:completed_at"`
}

func (Notification) TableName() string { return "notifications" }

// Pending is how many targeted subscriptions have no final outcome yet.
func (n *Notification) Pending() int64 { return n.Targeted - n.Delivered - n.Gone - n.Dead }

// Audience is who the notification goes to.
func (n *Notification) Audience() (subscription.Audience, error) {
	a := subscription.Audience{AppID: n.AppID, Kind: n.TargetKind}
	if err := json.Unmarshal([]byte(n.TargetValues), &a.Values); err != nil {
		return a, fmt.Errorf("notification %s target: %w", n.ID, err)
	}
	return a, nil
}
