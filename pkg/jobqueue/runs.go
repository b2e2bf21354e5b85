package jobqueue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Runs is Herald's own claim on the jobs a worker is running, so that a
// killed worker's jobs come back within RunClaimTTL and a recovery pass,
// not the 60-120 s asynq takes to see a lease expired. A running job keeps
// a short claim key in Redis, renewed while it runs; Recover finds active
// tasks whose claim is gone (their worker died) and queues a copy, which
// runs at once. The claim is on the job's identity (its key without
// "resume:" prefixes), and a job that finds it held waits: the copy and
// the original, when asynq finally hands it back, never run at the same
// time, and the later one skips what the earlier recorded.
type Runs struct {
	rdb       redis.UniversalClient
	asynq     *asynq.Client
	inspector *asynq.Inspector
	token     string // this process's, in the claims it holds

	mu      sync.Mutex
	suspect map[string]bool // active tasks seen without a claim by the last pass
}

// RunClaimTTL is how long a claim outlives its worker's last renewal.
const RunClaimTTL = 10 * time.Second

// runRenew is how often a running job renews its claim.
const runRenew = 3 * time.Second

// ErrClaimed is returned for a job whose twin (the copy Recover made, or
// the original) is running elsewhere: it runs again later.
var ErrClaimed = errors.New("jobqueue: this job is running elsewhere")

// NewRuns claims through an existing Redis client, which the caller owns.
func NewRuns(rdb redis.UniversalClient) *Runs {
	return &Runs{rdb: rdb, asynq: asynq.NewClientFromRedisClient(rdb), inspector: asynq.NewInspectorFromRedisClient(rdb),
		token: uuid.NewString(), suspect: map[string]bool{}}
}

func runKey(taskID string) string { return "herald:run:{" + identity(taskID) + "}" }

// identity is a task id without the prefixes of its copies.
func identity(taskID string) string {
	for strings.HasPrefix(taskID, resumePrefix) {
		taskID = strings.TrimPrefix(taskID, resumePrefix)
	}
	return taskID
}

const resumePrefix = "resume:"

var (
	renewScript   = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`)
	releaseScript = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`)
)

// Hold claims the job with taskID for as long as fn runs, renewing the
// claim, and returns fn's error; ErrClaimed if another run holds it.
func (r *Runs) Hold(ctx context.Context, taskID string, fn func(context.Context) error) error {
	key := runKey(taskID)
	ok, err := r.rdb.SetNX(ctx, key, r.token, RunClaimTTL).Result()
	if err != nil {
		return fmt.Errorf("claim job %s: %w", taskID, err)
	}
	if !ok {
		return fmt.Errorf("%s: %w", taskID, ErrClaimed)
	}
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(runRenew)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				renewScript.Run(context.Background(), r.rdb, []string{key}, r.token, RunClaimTTL.Milliseconds())
			}
		}
	}()
	err = fn(ctx)
	close(stop)
	<-renewed
	releaseScript.Run(context.WithoutCancel(ctx), r.rdb, []string{key}, r.token)
	return err
}

// Recover queues a copy of every Herald task that was active without a
// claim on this pass and the one before (a task just taken has not claimed
// yet): its worker is gone. It returns how many it queued.
func (r *Runs) Recover(ctx context.Context) (int, error) {
	var active []*asynq.TaskInfo
	for _, q := range Names {
		ts, err := r.inspector.ListActiveTasks(q, asynq.PageSize(1000))
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			return 0, fmt.Errorf("active tasks of %s: %w", q, err)
		}
		active = append(active, ts...)
	}
	cmds := make([]*redis.IntCmd, len(active))
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, t := range active {
			cmds[i] = p.Exists(ctx, runKey(t.ID))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("job claims: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	queued := 0
	for i, t := range active {
		if cmds[i].Val() == 1 || (t.Type != TypeDeliver && t.Type != TypeFanout && t.Type != TypeWebhook) {
			continue
		}
		seen[t.ID] = true
		if !r.suspect[t.ID] {
			continue
		}
		// The copy keeps the original's retries and timeout: a webhook's
		// retries span its retry window, a batch's do not.
		_, err := r.asynq.EnqueueContext(ctx, asynq.NewTask(t.Type, t.Payload), asynq.Queue(t.Queue),
			asynq.TaskID(resumePrefix+t.ID), asynq.MaxRetry(t.MaxRetry), asynq.Timeout(max(t.Timeout, time.Minute)))
		if err := ignoreDuplicate(nil, err); err != nil {
			return queued, err
		}
		queued++
	}
	r.suspect = seen
	return queued, nil
}
