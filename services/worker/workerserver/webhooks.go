package workerserver

import (
	"errors"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/jobqueue"
	"github.com/heraldpush/herald/pkg/webhook"
)

// webhookConcurrency is how many webhook requests one worker makes at once.
// A receiver that hangs holds a slot for the request timeout (10 s); these
// slots are the webhook server's own, never a push batch's.
const webhookConcurrency = 16

// webhookServer is the job server of the webhook queue alone: a day of
// retries to a receiver that is down waits there, not in the queues push
// batches are taken from, and takes none of their slots.
func webhookServer(rdb redis.UniversalClient, cfg Config, log *slog.Logger) *asynq.Server {
	return asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:     webhookConcurrency,
		Queues:          map[string]int{jobqueue.Webhooks: 1},
		ShutdownTimeout: cfg.ShutdownTimeout,
		Logger:          asynqLogger{log: log},
		LogLevel:        asynq.WarnLevel,
		// A new message is handed over within the dispatcher's poll (250
		// ms); 100 ms more to be taken.
		TaskCheckInterval: 100 * time.Millisecond,
		// A retry is a scheduled task, moved to the queue when due by a
		// check every second (asynq's default is five): with the first
		// backoff of 5 s ±20% rounded up to a whole second, the first retry
		// comes within about 8 s of the failure.
		DelayedTaskCheckInterval: time.Second,
		RetryDelayFunc:           webhookRetryDelay,
		IsFailure:                isFailure,
	})
}

// webhookRetryDelay waits the backoff the dispatcher chose for the failed
// attempt (webhook.RetryError), never less: asynq keeps retry times in
// whole seconds. A message its twin is sending is looked at again once that
// request is over; anything else (the database down) as for other jobs.
func webhookRetryDelay(n int, err error, t *asynq.Task) time.Duration {
	var retry *webhook.RetryError
	switch {
	case errors.As(err, &retry):
		return jobqueue.RetryAfter(retry.After)
	case errors.Is(err, webhook.ErrInFlight):
		return 5 * time.Second
	}
	return retryDelay(n, err, t)
}
