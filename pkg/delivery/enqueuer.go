package delivery

import (
	"context"

	"github.com/heraldpush/herald/pkg/notification"
)

// Enqueuer hands accepted notifications to the workers. An urgent one that
// is not scheduled (at most a hundred recipients) is fanned out right away
// by the caller: a few queries that save a whole queue hop between accept
// and push. Anything else gets a fan-out job. If either fails, the
// notification stays unenqueued and the reconciler queues its fan-out job,
// which resumes from the stored cursor.
type Enqueuer struct {
	jobs   Jobs
	fanout *Fanout
}

// NewEnqueuer returns an Enqueuer queuing through jobs.
func NewEnqueuer(jobs Jobs, fanout *Fanout) *Enqueuer { return &Enqueuer{jobs: jobs, fanout: fanout} }

// EnqueueFanout implements notification.Enqueuer.
func (e *Enqueuer) EnqueueFanout(ctx context.Context, n *notification.Notification) error {
	if n.Priority == notification.Urgent && n.SendAt == nil {
		return e.fanout.run(ctx, n) // just stored: no need to load it again
	}
	return e.jobs.EnqueueFanout(ctx, n)
}
