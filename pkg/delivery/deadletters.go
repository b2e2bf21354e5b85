package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/deadletter"
	"github.com/heraldpush/herald/pkg/notification"
)

// DeadLetterRetrier sends dead letters again.
type DeadLetterRetrier struct {
	db            *database.DB
	deadLetters   *deadletter.Store
	notifications *notification.Store
	jobs          Jobs
}

// NewDeadLetterRetrier returns a retrier over db queuing through jobs.
func NewDeadLetterRetrier(db *database.DB, jobs Jobs) *DeadLetterRetrier {
	return &DeadLetterRetrier{db: db, deadLetters: deadletter.NewStore(db), notifications: notification.NewStore(db), jobs: jobs}
}

// Retry sends one of the app's dead letters again with a fresh retry
// budget: its final outcome is removed (so the notification counts it
// pending again, reopened if it was completed) and a one-subscription
// batch is queued.
func (r *DeadLetterRetrier) Retry(ctx context.Context, appID, id string) (*deadletter.DeadLetter, error) {
	dl, err := r.deadLetters.Get(ctx, appID, id)
	if err != nil {
		return nil, err
	}
	if dl.RetriedAt != nil {
		return nil, deadletter.ErrAlreadyRetried
	}
	n, err := r.notifications.Load(ctx, dl.NotificationID)
	if err != nil {
		return nil, err
	}
	// Queue first, due a second later, then commit: if the commit fails the
	// job finds the delivery still final and does nothing; the other order
	// could leave the delivery pending with no job when Redis fails.
	batch := Batch{NotificationID: dl.NotificationID, AppID: appID, SubscriptionIDs: []string{dl.SubscriptionID}, Attempt: 1}
	if err := r.jobs.EnqueueBatch(ctx, n.Priority, "dlretry:"+dl.ID, batch, time.Second); err != nil {
		return nil, fmt.Errorf("queue retry: %w", err)
	}
	now := time.Now().UTC()
	err = r.db.InTx(ctx, func(tx *database.DB) error {
		if err := r.deadLetters.WithTx(tx).MarkRetried(ctx, dl.ID, now); err != nil {
			return err
		}
		// The dead letter, not retried yet, says the outcome was dead even
		// when retention already removed its delivery row (deliveries are
		// kept less long than dead letters): take it back either way.
		if err := forgetDead(ctx, tx, dl.NotificationID, dl.SubscriptionID); err != nil {
			return err
		}
		notifications := r.notifications.WithTx(tx)
		if err := notifications.AddCounts(ctx, dl.NotificationID, 0, notification.Counts{Dead: -1}); err != nil {
			return err
		}
		return notifications.Reopen(ctx, dl.NotificationID)
	})
	if err != nil {
		return nil, err
	}
	dl.RetriedAt = &now
	return dl, nil
}

// retryAllBatch is how many dead letters RetryNotification loads at a time.
const retryAllBatch = 500

// RetryNotification sends every dead letter of one of the app's
// notifications again (appID "" for any app's, as the admin routes act) and
// returns how many it queued.
func (r *DeadLetterRetrier) RetryNotification(ctx context.Context, appID, notificationID string) (int, error) {
	if _, err := uuid.Parse(notificationID); err != nil {
		return 0, notification.ErrNotFound
	}
	var n *notification.Notification
	var err error
	if appID == "" {
		n, err = r.notifications.Load(ctx, notificationID)
	} else {
		n, err = r.notifications.Get(ctx, appID, notificationID)
	}
	if err != nil {
		return 0, err
	}
	retried := 0
	for {
		letters, err := r.deadLetters.OpenForNotification(ctx, n.AppID, n.ID, retryAllBatch)
		if err != nil {
			return retried, err
		}
		for _, dl := range letters {
			if _, err := r.Retry(ctx, n.AppID, dl.ID); err != nil {
				if errors.Is(err, deadletter.ErrAlreadyRetried) {
					continue // retried meanwhile by another caller
				}
				return retried, err
			}
			retried++
		}
		if len(letters) < retryAllBatch {
			return retried, nil
		}
	}
}
