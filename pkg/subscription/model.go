package subscription

import "time"

// Status of a subscription.
type Status string

const (
	Active       Status = "active"
	Gone         Status = "gone"         // the push service answered 404/410
	Unsubscribed Status = "unsubscribed" // the app or the browser asked to stop
	Expired      Status = "expired"      // past the expirationTime its browser gave
	// Unresponsive: its browser reported receipts, then none for the last
	// pushes its push service accepted (iOS revokes silently, no 410 comes);
	// left out of sends until its next receipt or subscribe (lifecycle.go).
	Unresponsive Status = "unresponsive"
)

// Statuses lists every status.
var Statuses = []Status{Active, Gone, Unsubscribed, Expired, Unresponsive}

// Subscription is one browser's push subscription for one app.
type Subscription struct {
	ID                  string     `gorm:"column:id;primaryKey"`
	AppID               string     `gorm:"column:app_id"`
	VAPIDKeyID          string     `gorm:"column:vapid_key_id"`
	Endpoint            string     `gorm:"column:endpoint"`
	P256dh              string     `gorm:"column:p256dh"`
	Auth                string     `gorm:"column:auth"`
	UserID              *string    `gorm:"column:user_id"`
	Timezone            string     `gorm:"column:timezone"`
	UserAgent           string     `gorm:"column:user_agent"`
	Status              Status     `gorm:"column:status"`
	ConsecutiveFailures int        `gorm:"column:consecutive_failures"`
	ExpirationTime      *time.Time `gorm:"column:expiration_time"`
	LastSuccessAt       *time.Time `gorm:"column:last_success_at"`
	LastReceivedAt      *time.Time `gorm:"column:last_received_at"` // its service worker's last receipt report
	UnreceivedCount     int        `gorm:"column:unreceived_count"` // pushes accepted since then
	UnreceivedSince     *time.Time `gorm:"column:unreceived_since"` // the first of those
	CreatedAt           time.Time  `gorm:"column:created_at"`
	UpdatedAt           time.Time  `gorm:"column:updated_at"`
	// AttributesJSON is the attribute map as stored; Attributes decodes it.
	// Kept encoded so that loading a batch costs nothing for notifications
	// that are not personalised.
	AttributesJSON string `gorm:"column:attributes"`

	Topics []string `gorm:"-"`
}

func (Subscription) TableName() string { return "subscriptions" }

// topicRow indexes a subscription under one topic.
type topicRow struct {
	SubscriptionID string `gorm:"column:subscription_id;primaryKey"`
	AppID          string `gorm:"column:app_id"`
	Topic          string `gorm:"column:topic;primaryKey"`
}

func (topicRow) TableName() string { return "subscription_topics" }
