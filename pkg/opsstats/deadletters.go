package opsstats

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// DeadLetter is a dead letter as the operators' dashboard lists it.
type DeadLetter struct {
	ID             string    `json:"id"`
	AppID          string    `json:"app_id"`
	NotificationID string    `json:"notification_id"`
	SubscriptionID string    `json:"subscription_id"`
	Attempts       int       `json:"attempts"`
	LastStatus     int       `json:"last_status"`
	LastError      string    `json:"last_error"`
	CreatedAt      time.Time `json:"created_at"`
}

// RecentDeadLetters returns the newest (ids are UUIDv7) dead letters of every app not yet
// retried. It is not cached: a retried one must vanish from the next list.
func (s *Source) RecentDeadLetters(ctx context.Context, limit int) ([]DeadLetter, error) {
	out := []DeadLetter{}
	err := s.db.WithContext(ctx).Table("dead_letters").
		Select("id, app_id, notification_id, subscription_id, attempts, last_status, last_error, created_at").
		Where("retried_at IS NULL").Order("id DESC").Limit(limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("recent dead letters: %w", err)
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}

// DeadLetterApp returns the app a dead letter belongs to ("" when unknown).
func (s *Source) DeadLetterApp(ctx context.Context, id string) (string, error) {
	if _, err := uuid.Parse(id); err != nil {
		return "", nil
	}
	var appIDs []string
	if err := s.db.WithContext(ctx).Table("dead_letters").Where("id = ?", id).Limit(1).Pluck("app_id", &appIDs).Error; err != nil {
		return "", fmt.Errorf("dead letter app: %w", err)
	}
	if len(appIDs) == 0 {
		return "", nil
	}
	return appIDs[0], nil
}
