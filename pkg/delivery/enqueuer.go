package delivery

import (
	"context"

	"github.com/heraldpush/herald/pkg/jobs"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/queue"
)

// Enqueuer hands accepted notifications to the workers. One bound for the
// critical queue (urgent, at most a hundred recipients, not scheduled) is
// fanned out right away by the caller: a few queries that save a whole
// queue hop between accept and push. Anything else gets a fan-out job. If
// either fails, the notification stays unenqueued and the reconciler
// queues its fan-out job, which resumes from the stored cursor.
type Enqueuer struct {
	Jobs   *jobs.Client
	Fanout *Fanout
}

// EnqueueFanout implements notification.Enqueuer.
func (e *Enqueuer) EnqueueFanout(ctx context.Context, n *notification.Notification) error {
	if n.Queue == queue.Critical && n.SendAt == nil {
		return e.Fanout.run(ctx, n) // just stored: no need to load it again
	}
	return e.Jobs.EnqueueFanout(ctx, n)
}
