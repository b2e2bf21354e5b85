package webhook

import (
	"context"
	"time"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/notification"
)

// announceLimit is how many completions one transaction announces.
const announceLimit = 100

// CompletedData is the data of a notification.completed event.
type CompletedData struct {
	NotificationID string          `json:"notification_id"`
	Status         string          `json:"status"`
	Counts         CompletedCounts `json:"counts"`
	Engagement     EngagementCount `json:"engagement"`
	CreatedAt      time.Time       `json:"created_at"`
	CompletedAt    *time.Time      `json:"completed_at"`
}

// CompletedCounts are a notification's final outcome counts.
type CompletedCounts struct {
	Targeted  int64 `json:"targeted"`
	Delivered int64 `json:"delivered"`
	Gone      int64 `json:"gone"`
	Dead      int64 `json:"dead"`
	Capped    int64 `json:"capped"`
	Pending   int64 `json:"pending"`
}

// EngagementCount is what service workers reported by completion time.
type EngagementCount struct {
	Received  int64 `json:"received"`
	Clicked   int64 `json:"clicked"`
	Dismissed int64 `json:"dismissed"`
}

func completedData(n *notification.Notification) CompletedData {
	d := CompletedData{
		NotificationID: n.ID, Status: string(n.Status), CreatedAt: n.CreatedAt.UTC(),
		Counts:     CompletedCounts{Targeted: n.Targeted, Delivered: n.Delivered, Gone: n.Gone, Dead: n.Dead, Capped: n.Capped, Pending: n.Pending()},
		Engagement: EngagementCount{Received: n.Received, Clicked: n.Clicked, Dismissed: n.Dismissed},
	}
	if n.CompletedAt != nil {
		t := n.CompletedAt.UTC()
		d.CompletedAt = &t
	}
	return d
}

// announce turns completions not announced yet into notification.completed
// messages, in the transaction that marks them announced: each completion
// is announced once, and none is lost to a crash.
func (d *Dispatcher) announce(ctx context.Context) error {
	for {
		var claimed int
		err := d.db.InTx(ctx, func(tx *database.DB) error {
			notifications := d.notifications.WithTx(tx)
			ns, err := notifications.ClaimCompletions(ctx, announceLimit)
			if err != nil {
				return err
			}
			claimed = len(ns)
			store := d.store.WithTx(tx)
			ids := make([]string, len(ns))
			for i, n := range ns {
				ids[i] = n.ID
				if err := store.Emit(ctx, n.AppID, NotificationCompleted, completedData(n)); err != nil {
					return err
				}
				if err := emitFailed(ctx, tx, store, n); err != nil {
					return err
				}
			}
			return notifications.MarkAnnounced(ctx, ids)
		})
		if err != nil || claimed < announceLimit {
			return err
		}
	}
}
