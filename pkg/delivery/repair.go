package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/heraldpush/herald/pkg/notification"
)

// repairPage is how many audience ids a repair reads per query (and looks
// up in deliveries at once: well under every dialect's parameter limit).
const repairPage = 5000

// repair makes again the lost work of a notification that was fanned out
// in part or whole: it walks the audience up to the fan-out cursor (what
// the batches held), keeps the subscriptions with no recorded outcome,
// recounts targeted as recorded + those, queues them in batches and, if the
// fan-out had not finished, its job, which resumes from the cursor. What
// was recorded is never sent again (the deliverer skips it too). Retries
// and waits that were queued come back as first attempts, due now; the
// gates hold again what must wait.
//
// The audience is read as it is now: a subscription that left it since the
// fan-out (unsubscribed, its topics changed) and had no outcome is no
// longer targeted; one that joined it below the cursor is. A repair that
// races a late outcome (a worker cut off from Redis still recording) may
// count one too many; the next repair, a Stall later, recounts.
func (r *Reconciler) repair(ctx context.Context, n *notification.Notification) error {
	if n.Zoned() {
		// A local-time notification's cursor is its current zone's: its
		// fan-out is queued again (it resumes the zone); batches of zones
		// already walked are not rebuilt yet.
		return r.jobs.EnqueueFanout(ctx, n)
	}
	pending, err := r.unrecorded(ctx, n)
	if err != nil {
		return err
	}
	recorded, err := countRecorded(ctx, r.db, n.ID)
	if err != nil {
		return err
	}
	if ok, err := r.notifications.Retarget(ctx, n, recorded+int64(len(pending))); err != nil || !ok {
		return err // moved under us: a later pass looks again
	}
	r.log.Warn("reconciler: repairing a notification whose jobs were lost", "notification_id", n.ID,
		"status", n.Status, "recorded", recorded, "requeued", len(pending), "fanout_done", n.FanoutDone)
	size := BatchSize
	if n.ThrottlePerMinute > 0 {
		size = ThrottleBatchSize(n.ThrottlePerMinute)
	}
	seq := 0
	for chunk := range slices.Chunk(pending, size) {
		seq++
		sum := sha256.Sum256([]byte(strings.Join(chunk, ",")))
		key := fmt.Sprintf("repair:%s:%s", n.ID, hex.EncodeToString(sum[:8]))
		b := Batch{NotificationID: n.ID, AppID: n.AppID, SubscriptionIDs: chunk, Seq: seq, Attempt: 1}
		if err := r.jobs.EnqueueBatch(ctx, n.Priority, key, b, 0); err != nil {
			return err
		}
	}
	if !n.FanoutDone {
		return r.jobs.EnqueueFanout(ctx, n)
	}
	if len(pending) == 0 {
		_, err := r.notifications.CompleteIfDone(ctx, n.ID)
		return err
	}
	return nil
}

// unrecorded returns the notification's audience up to its fan-out cursor
// without a recorded outcome, in id order.
func (r *Reconciler) unrecorded(ctx context.Context, n *notification.Notification) ([]string, error) {
	audience, err := n.Audience()
	if err != nil {
		return nil, err
	}
	var pending []string
	after := ""
	for {
		ids, err := r.subscriptions.AudiencePage(ctx, audience, after, repairPage)
		if err != nil {
			return nil, err
		}
		full := len(ids) == repairPage
		if end, _ := slices.BinarySearch(ids, n.FanoutCursor); !full || end < len(ids) {
			if end < len(ids) && ids[end] == n.FanoutCursor {
				end++
			}
			ids, full = ids[:end], false
		}
		if len(ids) > 0 {
			done, err := recordedAmong(ctx, r.db, n.ID, ids)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				if !done[id] {
					pending = append(pending, id)
				}
			}
		}
		if !full {
			return pending, nil
		}
		after = ids[len(ids)-1]
	}
}
