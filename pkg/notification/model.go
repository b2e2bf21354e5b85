package notification

import "time"

// Status of a notification.
type Status string

const (
	Scheduled Status = "scheduled" // send_at is in the future
	Queued    Status = "queued"    // accepted, fan-out not started
	Sending   Status = "sending"   // fan-out or deliveries under way
	Completed Status = "completed" // every targeted subscription has a final outcome
	Cancelled Status = "cancelled"
)

// Notification is a stored send request and its progress.
type Notification struct {
	ID             string     `gorm:"column:id;primaryKey"`
	AppID          string     `gorm:"column:app_id"`
	IdempotencyKey *string    `gorm:"column:idempotency_key"`
	Status         Status     `gorm:"column:status"`
	TargetKind     string     `gorm:"column:target_kind"`
	TargetValues   string     `gorm:"column:target_values"` // JSON array
	Content        string     `gorm:"column:content"`       // the notification object as JSON
	Payload        string     `gorm:"column:payload"`       // what the service worker decrypts
	TTL            int        `gorm:"column:ttl"`
	Urgency        string     `gorm:"column:urgency"`
	Topic          string     `gorm:"column:topic"`
	Queue          string     `gorm:"column:queue"`
	SendAt         *time.Time `gorm:"column:send_at"`
	EnqueuedAt     *time.Time `gorm:"column:enqueued_at"`
	FanoutCursor   string     `gorm:"column:fanout_cursor"`
	FanoutSeq      int        `gorm:"column:fanout_seq"`
	FanoutDone     bool       `gorm:"column:fanout_done"`
	Targeted       int64      `gorm:"column:targeted"`
	Delivered      int64      `gorm:"-"` // outcome counts: filled by LoadCounts
	Gone           int64      `gorm:"-"`
	Dead           int64      `gorm:"-"`
	Received       int64      `gorm:"column:received"`  // service workers that showed it (pkg/event)
	Clicked        int64      `gorm:"column:clicked"`   // clicks reported, by subscription or event
	Dismissed      int64      `gorm:"column:dismissed"` // dismissals reported
	CreatedAt      time.Time  `gorm:"column:created_at"`
	UpdatedAt      time.Time  `gorm:"column:updated_at"`
	CompletedAt    *time.Time `gorm:"column:completed_at"`
}

func (Notification) TableName() string { return "notifications" }

// Pending is how many targeted subscriptions have no final outcome yet.
func (n *Notification) Pending() int64 { return n.Targeted - n.Delivered - n.Gone - n.Dead }
