// Package deadletter keeps the deliveries Herald gave up on, in the
// database (asynq's archive is capped, so it is no place for them). It owns
// the dead_letters table; sending one again is delivery's
// (delivery.DeadLetterRetrier).
package deadletter

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/listing"
)

var (
	// ErrNotFound is returned for an unknown dead letter id (or another app's).
	ErrNotFound = fault.NotFound("dead_letter_not_found", "no dead letter with this id")
	// ErrAlreadyRetried refuses to retry a dead letter twice.
	ErrAlreadyRetried = fault.Conflict("dead_letter_retried", "this dead letter was already retried")
)

// MaxErrorLength bounds LastError as stored.
const MaxErrorLength = 2000

// DeadLetter is one subscription a notification could not be delivered to.
type DeadLetter struct {
	ID             string     `gorm:"column:id;primaryKey"`
	AppID          string     `gorm:"column:app_id"`
	NotificationID string     `gorm:"column:notification_id"`
	SubscriptionID string     `gorm:"column:subscription_id"`
	Attempts       int        `gorm:"column:attempts"`
	LastStatus     int        `gorm:"column:last_status"` // the push service's last HTTP status; 0 if none came
	LastError      string     `gorm:"column:last_error"`
	CreatedAt      time.Time  `gorm:"column:created_at"`
	RetriedAt      *time.Time `gorm:"column:retried_at"` // sent again; nil while it waits
}

func (DeadLetter) TableName() string { return "dead_letters" }

// Store owns the dead_letters table.
type Store struct{ db *database.DB }

// NewStore returns a Store over db.
func NewStore(db *database.DB) *Store { return &Store{db: db} }

// WithTx returns the Store working inside tx (see database.DB.InTx).
func (s *Store) WithTx(tx *database.DB) *Store { return &Store{db: tx} }

// Add stores dead letters; empty ids are given fresh ones and errors are
// cut to MaxErrorLength.
func (s *Store) Add(ctx context.Context, letters []DeadLetter) error {
	if len(letters) == 0 {
		return nil
	}
	for i := range letters {
		if letters[i].ID == "" {
			letters[i].ID = uuid.Must(uuid.NewV7()).String()
		}
		if len(letters[i].LastError) > MaxErrorLength {
			letters[i].LastError = letters[i].LastError[:MaxErrorLength]
		}
	}
	if err := s.db.WithContext(ctx).Create(&letters).Error; err != nil {
		return fmt.Errorf("record dead letters: %w", err)
	}
	return nil
}

// List returns a page of the app's dead letters, oldest first (keyset
// pagination on the UUIDv7 id).
func (s *Store) List(ctx context.Context, appID string, p listing.Page) ([]DeadLetter, string, error) {
	q := s.db.WithContext(ctx).Where("app_id = ?", appID)
	return listing.Keyset(q, p, listing.Order{Column: "id", ID: "a dead letter id"}, "dead letters",
		func(d DeadLetter) string { return d.ID })
}

// Get returns one of the app's dead letters.
func (s *Store) Get(ctx context.Context, appID, id string) (*DeadLetter, error) {
	return database.TakeID[DeadLetter](s.db.WithContext(ctx).Where("app_id = ?", appID), id, ErrNotFound, "dead letter")
}

// MarkRetried records that the dead letter was sent again; a second time
// is ErrAlreadyRetried.
func (s *Store) MarkRetried(ctx context.Context, id string, at time.Time) error {
	res := s.db.WithContext(ctx).Model(&DeadLetter{}).Where("id = ? AND retried_at IS NULL", id).Update("retried_at", at)
	if res.Error != nil {
		return fmt.Errorf("mark dead letter retried: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrAlreadyRetried
	}
	return nil
}

// Recent returns the newest (ids are UUIDv7) dead letters of every app not
// yet retried.
func (s *Store) Recent(ctx context.Context, limit int) ([]DeadLetter, error) {
	out := []DeadLetter{}
	if err := s.db.WithContext(ctx).Where("retried_at IS NULL").Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("recent dead letters: %w", err)
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}

// AppOf returns the app a dead letter belongs to ("" when unknown).
func (s *Store) AppOf(ctx context.Context, id string) (string, error) {
	if _, err := uuid.Parse(id); err != nil {
		return "", nil
	}
	var appIDs []string
	if err := s.db.WithContext(ctx).Model(&DeadLetter{}).Where("id = ?", id).Limit(1).Pluck("app_id", &appIDs).Error; err != nil {
		return "", fmt.Errorf("dead letter app: %w", err)
	}
	if len(appIDs) == 0 {
		return "", nil
	}
	return appIDs[0], nil
}

// CountOpen counts dead letters not yet retried, of every app.
func (s *Store) CountOpen(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&DeadLetter{}).Where("retried_at IS NULL").Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count dead letters: %w", err)
	}
	return n, nil
}

// CountForApp counts the app's dead letters, retried or not.
func (s *Store) CountForApp(ctx context.Context, appID string) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&DeadLetter{}).Where("app_id = ?", appID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count dead letters: %w", err)
	}
	return n, nil
}

// OpenForNotification returns up to limit of the app's dead letters of one
// notification not yet retried (by the notification's index).
func (s *Store) OpenForNotification(ctx context.Context, appID, notificationID string, limit int) ([]DeadLetter, error) {
	out := []DeadLetter{}
	err := s.db.WithContext(ctx).Where("notification_id = ? AND app_id = ? AND retried_at IS NULL", notificationID, appID).
		Order("subscription_id").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("dead letters of notification: %w", err)
	}
	return out, nil
}
