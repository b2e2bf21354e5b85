package webhook

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldpush/herald/pkg/database"
)

// MessageRetention removes finished messages (delivered or failed) that
// finished before a cutoff: the deliveries list shows them until then, and
// a failed one can be re-sent until then. A pending message, handed over
// to the job queue or not, is never removed: its task would find nothing
// to send and its event would be lost.
type MessageRetention struct {
	db *database.DB
}

// finishedSQL selects finished messages, spelled as the partial index
// webhook_messages_finished is (migration 23), so the planner matches it
// whatever the statement's parameters.
const finishedSQL = "status IN ('" + Delivered + "', '" + Failed + "')"

// NewMessageRetention returns the retention of the webhook_messages table.
func NewMessageRetention(db *database.DB) *MessageRetention { return &MessageRetention{db: db} }

// ExpireBefore deletes messages that finished before before, batch rows
// at a time, and returns how many it deleted. Each batch reads its page of
// ids in the order of webhook_messages_finished (a partial index of
// finished messages only, so the pending ones the relay reads are never
// walked) and deletes those ids, still finished: a message re-sent between
// the two statements is pending again and stays.
func (r *MessageRetention) ExpireBefore(ctx context.Context, before time.Time, batch int) (int64, error) {
	return database.DeleteBatches(ctx, batch, func(ctx context.Context, limit int) (int64, error) {
		var ids []string
		err := r.db.WithContext(ctx).Model(&Message{}).Where(finishedSQL+" AND finished_at < ?", before).
			Order("finished_at").Limit(limit).Pluck("id", &ids).Error
		if err != nil {
			return 0, fmt.Errorf("expire webhook messages: %w", err)
		}
		if len(ids) == 0 {
			return 0, nil
		}
		res := r.db.WithContext(ctx).Where("id IN ? AND "+finishedSQL, ids).Delete(&Message{})
		if res.Error != nil {
			return 0, fmt.Errorf("expire webhook messages: %w", res.Error)
		}
		// A page cut short by a re-send ends this pass early; the next
		// pass goes on.
		return res.RowsAffected, nil
	})
}
