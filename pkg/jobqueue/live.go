package jobqueue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// A notification's work in Redis carries a lease: a key that lives at
// least until the last job queued for it is due, plus LiveFor. Every
// enqueue extends it. The reconciler (pkg/delivery) takes a notification
// whose key is gone (expired, or lost with Redis: the jobs went with it)
// as having no live jobs. Nothing else reads it, so a lease that outlives
// its jobs only delays a repair.

// LiveFor is how long after a job is due its notification still counts as
// having live work: enough for a backlog to reach it or a killed worker's
// task to come back.
const LiveFor = 5 * time.Minute

func liveKey(notificationID string) string { return "herald:live:{" + notificationID + "}" }

// asynqQueues is asynq's set of known queues, which its inspector (queue
// figures, task lookups) reads. asynq's client adds a queue to it only on
// its first enqueue, so after Redis came back empty the queues stayed
// invisible until every process restarted; hold adds it again.
const asynqQueues = "asynq:queues"

// hold makes the notification's lease last at least until until: one round
// trip, two commands (create it if missing; else only ever lengthen it),
// and the queue kept known to asynq's inspector.
func (c *Client) hold(ctx context.Context, queue, notificationID string, until time.Time) error {
	key := liveKey(notificationID)
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.SetArgs(ctx, key, "1", redis.SetArgs{Mode: "NX", ExpireAt: until})
		p.Do(ctx, "PEXPIREAT", key, until.UnixMilli(), "GT")
		p.SAdd(ctx, asynqQueues, queue)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) { // Nil: it existed, NX set nothing
		return fmt.Errorf("hold notification %s: %w", notificationID, err)
	}
	return nil
}

// Live reports which of the notifications hold a lease.
func (c *Client) Live(ctx context.Context, notificationIDs []string) (map[string]bool, error) {
	live, err := existing(ctx, c.rdb, notificationIDs, liveKey)
	if err != nil {
		return nil, fmt.Errorf("notification leases: %w", err)
	}
	return live, nil
}

// existing tells which of names have their key (key(name)) in Redis, in
// one pipelined round trip.
func existing(ctx context.Context, rdb redis.UniversalClient, names []string, key func(string) string) (map[string]bool, error) {
	cmds := make([]*redis.IntCmd, len(names))
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, name := range names {
			cmds[i] = p.Exists(ctx, key(name))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(names))
	for i, name := range names {
		out[name] = cmds[i].Val() == 1
	}
	return out, nil
}

// Claim takes the lease of a notification that holds none, for ttl: of
// several reconcilers, the one that gets it repairs the notification.
func (c *Client) Claim(ctx context.Context, notificationID string, ttl time.Duration) (bool, error) {
	ok, err := c.rdb.SetNX(ctx, liveKey(notificationID), "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("claim notification %s: %w", notificationID, err)
	}
	return ok, nil
}
