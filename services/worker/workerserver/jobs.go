package workerserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/hibiken/asynq"

	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/jobqueue"
	"github.com/heraldpush/herald/pkg/metrics"
	"github.com/heraldpush/herald/pkg/webhook"
)

// The asynq side of the worker: tasks decoded into delivery's calls, the
// queue a task came from turned into its priority, and the errors that
// retrying cannot help turned into asynq.SkipRetry.

// newMux routes Herald's task types to the fan-out, the deliverer and the
// webhook dispatcher; each job runs under its claim (jobqueue.Runs) and
// stops when stopping ends.
func newMux(fanout *delivery.Fanout, deliverer *delivery.Deliverer, hooks *webhook.Dispatcher, batches *metrics.Delivery, runs *jobqueue.Runs, stopping context.Context) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.Use(countBatches(batches), claimRuns(runs, stopping))
	mux.HandleFunc(jobqueue.TypeFanout, func(ctx context.Context, t *asynq.Task) error {
		id, err := jobqueue.DecodeFanout(t.Payload())
		if err != nil {
			return skipRetry(err)
		}
		return skipRetry(fanout.Run(ctx, id))
	})
	mux.HandleFunc(jobqueue.TypeDeliver, func(ctx context.Context, t *asynq.Task) error {
		b, err := jobqueue.DecodeBatch(t.Payload())
		if err != nil {
			return skipRetry(err)
		}
		queue, _ := asynq.GetQueueName(ctx)
		return skipRetry(deliverer.DeliverBatch(ctx, b, jobqueue.PriorityOf(queue)))
	})
	mux.HandleFunc(jobqueue.TypeWebhook, func(ctx context.Context, t *asynq.Task) error {
		task, err := jobqueue.DecodeWebhook(t.Payload())
		if err != nil {
			return skipRetry(err)
		}
		// The queue's last try records the message failed if it fails: no
		// retry is left to do it.
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		last := retried >= maxRetry
		err = hooks.Deliver(ctx, webhook.Task{MessageID: task.MessageID, Resends: task.Resends}, last)
		if last && errors.Is(err, webhook.ErrInFlight) {
			// Its twin records the attempt; kept archived, this task would
			// only raise an alert (and the repair hands the message over
			// again should the twin die).
			return fmt.Errorf("%w: %w", err, asynq.RevokeTask)
		}
		return err
	})
	return mux
}

// skipRetry marks errors that running the task again cannot mend.
func skipRetry(err error) error {
	if errors.Is(err, jobqueue.ErrBadPayload) || errors.Is(err, delivery.ErrNotificationGone) {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return err
}

// errHandedBack ends a job the worker stopped because it is shutting down:
// its sends in flight finished and were recorded, and it runs again at once,
// on another worker or this one's successor, from where it stopped.
var errHandedBack = errors.New("worker stopping: the job is handed back")

// claimRuns runs each job under its claim, so a worker that dies is noticed
// within seconds (jobqueue.Runs.Recover), and cancels it when stopping ends:
// at SIGTERM a batch starts no more sends, records those in flight and is
// handed back, instead of running on until asynq's shutdown timeout
// abandons it with outcomes unrecorded.
func claimRuns(runs *jobqueue.Runs, stopping context.Context) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			id, _ := asynq.GetTaskID(ctx)
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			defer context.AfterFunc(stopping, cancel)()
			err := runs.Hold(ctx, id, func(ctx context.Context) error { return next.ProcessTask(ctx, t) })
			if err != nil && stopping.Err() != nil {
				return fmt.Errorf("%w: %w", errHandedBack, err)
			}
			return err
		})
	}
}

// countBatches counts every delivery batch handled, by queue and result
// (herald_batches_processed_total).
func countBatches(m *metrics.Delivery) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			err := next.ProcessTask(ctx, t)
			if t.Type() == jobqueue.TypeDeliver {
				queue, _ := asynq.GetQueueName(ctx)
				m.BatchDone(queue, err)
			}
			return err
		})
	}
}

// asynqLogger adapts slog to asynq's logger interface.
type asynqLogger struct{ log *slog.Logger }

func (l asynqLogger) Debug(args ...any) { l.log.Debug(fmt.Sprint(args...), "component", "asynq") }
func (l asynqLogger) Info(args ...any)  { l.log.Info(fmt.Sprint(args...), "component", "asynq") }
func (l asynqLogger) Warn(args ...any)  { l.log.Warn(fmt.Sprint(args...), "component", "asynq") }
func (l asynqLogger) Error(args ...any) { l.log.Error(fmt.Sprint(args...), "component", "asynq") }

// Fatal is called by asynq only when it cannot go on; it expects no return.
func (l asynqLogger) Fatal(args ...any) {
	l.log.Error(fmt.Sprint(args...), "component", "asynq", "fatal", true)
	os.Exit(1)
}
