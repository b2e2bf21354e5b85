package webhook

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/deadletter"
	"github.com/heraldpush/herald/pkg/notification"
)

// failedSample bounds the dead letters one notification.failed summarises:
// a broadcast to a dead push service must not become a huge event.
const failedSample = 1000

// failedIDs bounds the subscription ids it names.
const failedIDs = 100

// FailedData is the data of a notification.failed event: the
// notification's open dead letters, summarised.
type FailedData struct {
	NotificationID string          `json:"notification_id"`
	Dead           int64           `json:"dead"`             // open dead letters (at most failedSample counted)
	Reasons        []FailedReason  `json:"reasons"`          // most frequent first
	Subscriptions  []string        `json:"subscription_ids"` // the first failedIDs of them
	Counts         CompletedCounts `json:"counts"`
	CompletedAt    *time.Time      `json:"completed_at"`
}

// FailedReason is how many dead letters ended with one status and error.
type FailedReason struct {
	LastStatus int    `json:"last_status"` // the push service's last HTTP status; 0 if none came
	Error      string `json:"error"`
	Count      int64  `json:"count"`
}

// emitFailed queues notification.failed for a completion that left dead
// letters, in the announcing transaction (tx), so it goes out exactly
// when notification.completed does.
func emitFailed(ctx context.Context, tx *database.DB, store *Store, n *notification.Notification) error {
	if n.Dead == 0 {
		return nil
	}
	endpoints, err := store.endpointsWanting(ctx, n.AppID, NotificationFailed)
	if err != nil || len(endpoints) == 0 {
		return err
	}
	letters, err := deadletter.NewStore(tx).OpenForNotification(ctx, n.AppID, n.ID, failedSample)
	if err != nil || len(letters) == 0 {
		return err // all of them were sent again already: nothing failed
	}
	return store.Emit(ctx, n.AppID, NotificationFailed, failedData(n, letters))
}

func failedData(n *notification.Notification, letters []deadletter.DeadLetter) FailedData {
	c := completedData(n)
	d := FailedData{NotificationID: n.ID, Dead: int64(len(letters)), Counts: c.Counts, CompletedAt: c.CompletedAt, Subscriptions: []string{}}
	type key struct {
		status int
		err    string
	}
	counts := map[key]int64{}
	for _, l := range letters {
		counts[key{l.LastStatus, l.LastError}]++
		if len(d.Subscriptions) < failedIDs {
			d.Subscriptions = append(d.Subscriptions, l.SubscriptionID)
		}
	}
	for k, c := range counts {
		d.Reasons = append(d.Reasons, FailedReason{LastStatus: k.status, Error: k.err, Count: c})
	}
	slices.SortFunc(d.Reasons, func(a, b FailedReason) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.LastStatus, b.LastStatus), cmp.Compare(a.Error, b.Error))
	})
	return d
}
