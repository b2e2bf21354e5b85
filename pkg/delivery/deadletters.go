package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/jobs"
	"github.com/heraldpush/herald/pkg/notification"
	heraldv1 "github.com/heraldpush/herald/proto/herald/v1"
)

var (
	// ErrDeadLetterNotFound is returned for an unknown dead letter id (or another app's).
	ErrDeadLetterNotFound = fault.NotFound("dead_letter_not_found", "no dead letter with this id")
	// ErrAlreadyRetried refuses to retry a dead letter twice.
	ErrAlreadyRetried = fault.Conflict("dead_letter_retried", "this dead letter was already retried")
)

// DeadLetter is a delivery Herald gave up on, kept in the database (asynq's
// archive is capped, so it is no place for them).
type DeadLetter struct {
	ID             string     `gorm:"column:id;primaryKey" json:"id"`
	AppID          string     `gorm:"column:app_id" json:"-"`
	NotificationID string     `gorm:"column:notification_id" json:"notification_id"`
	SubscriptionID string     `gorm:"column:subscription_id" json:"subscription_id"`
	Attempts       int        `gorm:"column:attempts" json:"attempts"`
	LastStatus     int        `gorm:"column:last_status" json:"last_status"`
	LastError      string     `gorm:"column:last_error" json:"last_error"`
	CreatedAt      time.Time  `gorm:"column:created_at" json:"created_at"`
	RetriedAt      *time.Time `gorm:"column:retried_at" json:"retried_at"`
}

func (DeadLetter) TableName() string { return "dead_letters" }

// DeadLetters lists and retries dead letters.
type DeadLetters struct {
	DB   *database.DB
	Jobs *jobs.Client
}

// List returns up to limit of the app's dead letters after the given id,
// oldest first (keyset pagination).
func (s *DeadLetters) List(ctx context.Context, appID, after string, limit int) ([]DeadLetter, error) {
	q := s.DB.WithContext(ctx).Where("app_id = ?", appID).Order("id").Limit(limit)
	if after != "" {
		if _, err := uuid.Parse(after); err != nil {
			return nil, fault.Invalid("invalid_cursor", "after must be a dead letter id from a previous page")
		}
		q = q.Where("id > ?", after)
	}
	out := []DeadLetter{}
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	return out, nil
}

// Retry sends a dead-lettered delivery again with a fresh retry budget: its
// final record is removed (so the notification counts it pending again) and
// a one-subscription batch is queued.
func (s *DeadLetters) Retry(ctx context.Context, appID, id string) (*DeadLetter, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ErrDeadLetterNotFound
	}
	var dl DeadLetter
	err := s.DB.WithContext(ctx).Where("id = ? AND app_id = ?", id, appID).Take(&dl).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrDeadLetterNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load dead letter: %w", err)
	}
	if dl.RetriedAt != nil {
		return nil, ErrAlreadyRetried
	}
	var queueName string
	if err := s.DB.WithContext(ctx).Raw("SELECT queue FROM notifications WHERE id = ?", dl.NotificationID).Scan(&queueName).Error; err != nil {
		return nil, fmt.Errorf("load notification: %w", err)
	}
	// Queue first, due a second later, then commit: if the commit fails the
	// job finds the delivery still final and does nothing; the other order
	// could leave the delivery pending with no job when Redis fails.
	batch := &heraldv1.DeliveryBatch{NotificationId: dl.NotificationID, AppId: appID, SubscriptionIds: []string{dl.SubscriptionID}, Attempt: 1}
	if err := s.Jobs.EnqueueBatch(ctx, queueName, "dlretry:"+dl.ID, batch, time.Second); err != nil {
		return nil, fmt.Errorf("queue retry: %w", err)
	}
	now := time.Now().UTC()
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&DeadLetter{}).Where("id = ? AND retried_at IS NULL", id).Update("retried_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrAlreadyRetried
		}
		res = tx.Exec("DELETE FROM deliveries WHERE notification_id = ? AND subscription_id = ? AND status = ?",
			dl.NotificationID, dl.SubscriptionID, StatusDead)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil
		}
		if err := notification.AddCounts(tx, dl.NotificationID, 0, notification.Counts{Dead: -1}); err != nil {
			return err
		}
		return tx.Exec(`UPDATE notifications SET updated_at = ?, completed_at = NULL,
			status = CASE WHEN status = 'completed' THEN 'sending' ELSE status END WHERE id = ?`, now, dl.NotificationID).Error
	})
	if err != nil {
		if errors.Is(err, ErrAlreadyRetried) {
			return nil, ErrAlreadyRetried
		}
		return nil, fmt.Errorf("retry dead letter: %w", err)
	}
	dl.RetriedAt = &now
	return &dl, nil
}
