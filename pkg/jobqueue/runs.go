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
// a short claim, renewed while it runs; Recover finds active tasks whose
// claim is gone (their worker died) and queues a copy, which runs at once.
// The claim is on the job's identity (its id without "resume:" prefixes),
// and a job that finds it held waits: two runs of a job never send at the
// same time, and the later one skips what the earlier recorded.
//
// The claims are kept in Claims (the database), not in Redis beside the
// jobs: a failover that drops asynq's dequeue of a task puts it back in
// its queue, and it must still find the first run's claim there.
type Runs struct {
	claims    Claims
	legacy    legacyClaims // what workers of older releases read, during a rollout
	asynq     *asynq.Client
	inspector *asynq.Inspector

	mu      sync.Mutex
	suspect map[string]bool // active tasks seen without a claim by the last pass
}

// Claims keeps the claims on running jobs by identity (runclaim.Store).
// Each run holds its own token: a claim is renewed and given back only by
// the run that took it.
type Claims interface {
	// Take claims job for holder for ttl unless a live claim holds it.
	Take(ctx context.Context, job, holder string, ttl time.Duration) (bool, error)
	// Renew extends holder's claim; false: holder no longer holds it.
	Renew(ctx context.Context, job, holder string, ttl time.Duration) (bool, error)
	Release(ctx context.Context, job, holder string) error
	// Held tells which of jobs are claimed now.
	Held(ctx context.Context, jobs []string) (map[string]bool, error)
}

// RunClaimTTL is how long a claim outlives its run's last renewal.
const RunClaimTTL = 10 * time.Second

// runRenew is how often a running job renews its claim.
const runRenew = 3 * time.Second

// ErrClaimed is returned for a job whose twin (the copy Recover made, the
// original, or the same task run again after a Redis failover) is running
// elsewhere: it runs again later.
var ErrClaimed = errors.New("jobqueue: this job is running elsewhere")

// ErrClaimLost ends a run whose claim lapsed (its renewals failed for a
// claim's lifetime) or was taken by another run: it stops sending, records
// what it sent, and runs again later, skipping what was recorded.
var ErrClaimLost = errors.New("jobqueue: this run lost its claim")

// NewRuns claims through claims and recovers through an existing Redis
// client, which the caller owns.
func NewRuns(rdb redis.UniversalClient, claims Claims) *Runs {
	return &Runs{claims: claims, legacy: legacyClaims{rdb}, asynq: asynq.NewClientFromRedisClient(rdb), inspector: asynq.NewInspectorFromRedisClient(rdb),
		suspect: map[string]bool{}}
}

// identity is a task id without the prefixes of its copies.
func identity(taskID string) string {
	for strings.HasPrefix(taskID, resumePrefix) {
		taskID = strings.TrimPrefix(taskID, resumePrefix)
	}
	return taskID
}

const resumePrefix = "resume:"

// Hold claims the job with taskID for as long as fn runs, renewing the
// claim, and returns fn's error; ErrClaimed if another run holds it. Should
// the claim be lost while fn runs, fn's context is cancelled and Hold
// returns ErrClaimLost with fn's error.
func (r *Runs) Hold(ctx context.Context, taskID string, fn func(context.Context) error) error {
	job, holder := identity(taskID), uuid.NewString()
	ok, err := r.claims.Take(ctx, job, holder, RunClaimTTL)
	if err != nil {
		return fmt.Errorf("claim job %s: %w", taskID, err)
	}
	if !ok {
		return fmt.Errorf("%s: %w", taskID, ErrClaimed)
	}
	if !r.legacy.take(ctx, job, holder) {
		if err := r.claims.Release(context.WithoutCancel(ctx), job, holder); err != nil {
			return fmt.Errorf("%s: %w (%w)", taskID, ErrClaimed, err)
		}
		return fmt.Errorf("%s (a worker of an older release): %w", taskID, ErrClaimed)
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		r.renew(runCtx, job, holder, stop, cancel)
	}()
	err = fn(runCtx)
	close(stop)
	<-renewed
	// Only this run's claim is given back; one that failed lapses within
	// RunClaimTTL, and a twin waits for it until then.
	r.legacy.release(context.WithoutCancel(ctx), job, holder)
	rerr := r.claims.Release(context.WithoutCancel(ctx), job, holder)
	if lost := context.Cause(runCtx); errors.Is(lost, ErrClaimLost) {
		err = fmt.Errorf("%w (the run: %w)", lost, err)
	}
	return errors.Join(err, rerr)
}

// renew extends the claim every runRenew until stop closes, and cancels
// the run with ErrClaimLost once it is no longer sure to hold it: another
// run took it, or no renewal succeeded for most of a claim's lifetime (the
// database was unreachable; the claim may have lapsed).
func (r *Runs) renew(ctx context.Context, job, holder string, stop <-chan struct{}, cancel context.CancelCauseFunc) {
	t := time.NewTicker(runRenew)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		r.legacy.renew(context.WithoutCancel(ctx), job, holder)
		ok, err := r.claims.Renew(context.WithoutCancel(ctx), job, holder, RunClaimTTL)
		switch {
		case err == nil && ok:
			last = time.Now()
		case err == nil:
			cancel(fmt.Errorf("job %s: %w to another run", job, ErrClaimLost))
			return
		case time.Since(last) > RunClaimTTL-runRenew:
			cancel(fmt.Errorf("job %s: %w: %w", job, ErrClaimLost, err))
			return
		}
	}
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
	jobs := make([]string, len(active))
	for i, t := range active {
		jobs[i] = identity(t.ID)
	}
	held, err := r.claims.Held(ctx, jobs)
	if err != nil {
		return 0, err
	}
	heldByOlder, err := r.legacy.held(ctx, jobs)
	if err != nil {
		return 0, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	queued := 0
	for i, t := range active {
		if held[jobs[i]] || heldByOlder[jobs[i]] || (t.Type != TypeDeliver && t.Type != TypeFanout && t.Type != TypeWebhook) {
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
