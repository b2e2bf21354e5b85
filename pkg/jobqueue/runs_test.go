package jobqueue

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/runclaim"
	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// newTestRuns returns Runs over claims and a Redis database of the test's
// own.
func newTestRuns(t *testing.T, claims Claims) (*Runs, *redis.Client) {
	t.Helper()
	opts, _ := redis.ParseURL(testkit.RedisURL(t))
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	return NewRuns(rdb, claims), rdb
}

// While a job runs, neither its recovered copy nor the same task handed
// out again (a Redis failover lost asynq's dequeue of it), even with
// Redis emptied, can run; once it ends, the job can run again.
func TestHoldKeepsTwinsApart(t *testing.T) {
	t.Parallel()
	claims := runclaim.NewStore(dbtest.Postgres(t))
	runs, rdb := newTestRuns(t, claims)
	ctx := context.Background()
	started, finish := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- runs.Hold(ctx, "deliver:n:1", func(context.Context) error {
			close(started)
			<-finish
			return nil
		})
	}()
	<-started
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	ran := func(context.Context) error { t.Error("a twin ran while the job ran"); return nil }
	for _, twin := range []string{"deliver:n:1", "resume:deliver:n:1", "resume:resume:deliver:n:1"} {
		if err := runs.Hold(ctx, twin, ran); !errors.Is(err, ErrClaimed) {
			t.Errorf("%s: %v, want ErrClaimed", twin, err)
		}
	}
	close(finish)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	again := false
	if err := runs.Hold(ctx, "resume:deliver:n:1", func(context.Context) error { again = true; return nil }); err != nil || !again {
		t.Fatalf("after the job ended: ran %v, %v", again, err)
	}
}

// stolenClaims is the database's claims, but every renewal finds the claim
// taken by another run, as when a run's renewals lapsed and a twin took it.
type stolenClaims struct{ *runclaim.Store }

func (stolenClaims) Renew(context.Context, string, string, time.Duration) (bool, error) {
	return false, nil
}

// A run that loses its claim is stopped (its context ends) and its error
// says so, so it runs again later rather than beside the twin that took it.
func TestHoldStopsARunThatLostItsClaim(t *testing.T) {
	t.Parallel()
	runs, _ := newTestRuns(t, stolenClaims{runclaim.NewStore(dbtest.Postgres(t))})
	start := time.Now()
	err := runs.Hold(context.Background(), "deliver:n:2", func(ctx context.Context) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * RunClaimTTL):
			return errors.New("ran on without its claim")
		}
	})
	if !errors.Is(err, ErrClaimLost) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrClaimLost and the run's cancellation", err)
	}
	if took := time.Since(start); took >= RunClaimTTL {
		t.Fatalf("stopped after %s, want at the first renewal (every %s), before its claim could lapse", took, runRenew)
	}
}

// During a rollout across migration 25 a worker of the older release
// claims in Redis only: a run here waits for such a claim, and holds one
// itself while it runs (the older workers' Recover reads it).
func TestHoldAndAnOlderReleasesClaim(t *testing.T) {
	t.Parallel()
	claims := runclaim.NewStore(dbtest.Postgres(t))
	runs, rdb := newTestRuns(t, claims)
	ctx := context.Background()
	if err := rdb.Set(ctx, legacyKey("deliver:n:3"), "older worker", RunClaimTTL).Err(); err != nil {
		t.Fatal(err)
	}
	if err := runs.Hold(ctx, "deliver:n:3", func(context.Context) error { t.Error("ran beside an older worker"); return nil }); !errors.Is(err, ErrClaimed) {
		t.Fatalf("err = %v, want ErrClaimed", err)
	}
	if held, err := claims.Held(ctx, []string{"deliver:n:3"}); err != nil || held["deliver:n:3"] {
		t.Fatalf("the database's claim was kept: %v %v", held, err)
	}
	err := runs.Hold(ctx, "deliver:n:4", func(context.Context) error {
		if n := rdb.Exists(ctx, legacyKey("deliver:n:4")).Val(); n != 1 {
			t.Error("no claim in Redis for older workers while running")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(ctx, legacyKey("deliver:n:4")).Val(); n != 0 {
		t.Fatal("the claim in Redis outlived the run")
	}
}

// Recover copies an active task only when no claim holds it, the
// database's or an older release's, on two passes running.
func TestRecoverCopiesOnlyUnclaimedActiveTasks(t *testing.T) {
	t.Parallel()
	claims := runclaim.NewStore(dbtest.Postgres(t))
	runs, rdb := newTestRuns(t, claims)
	ctx := context.Background()
	release := make(chan struct{})
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 2, Queues: map[string]int{Bulk: 1},
		TaskCheckInterval: 20 * time.Millisecond, LogLevel: asynq.FatalLevel})
	mux := asynq.NewServeMux()
	mux.HandleFunc(TypeDeliver, func(ctx context.Context, _ *asynq.Task) error {
		select { // a worker that hangs without a claim, as a dead one looks
		case <-release:
		case <-ctx.Done():
		}
		return nil
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	defer close(release)
	inspector := asynq.NewInspectorFromRedisClient(rdb)
	if _, err := asynq.NewClientFromRedisClient(rdb).Enqueue(asynq.NewTask(TypeDeliver, nil), asynq.Queue(Bulk), asynq.TaskID("deliver:n:5")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if info, err := inspector.GetTaskInfo(Bulk, "deliver:n:5"); err == nil && info.State == asynq.TaskStateActive {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the task never became active")
		}
	}
	passes := func(what string, want ...int) {
		t.Helper()
		for i, w := range want {
			if n, err := runs.Recover(ctx); err != nil || n != w {
				t.Fatalf("%s, pass %d: queued %d (%v), want %d", what, i+1, n, err, w)
			}
		}
	}
	if ok, err := claims.Take(ctx, "deliver:n:5", "a live worker", time.Minute); err != nil || !ok {
		t.Fatal(ok, err)
	}
	passes("claimed in the database", 0, 0)
	if err := claims.Release(ctx, "deliver:n:5", "a live worker"); err != nil {
		t.Fatal(err)
	}
	rdb.Set(ctx, legacyKey("deliver:n:5"), "older worker", time.Minute)
	passes("claimed by an older release", 0, 0)
	rdb.Del(ctx, legacyKey("deliver:n:5"))
	passes("unclaimed", 0, 1)
	if _, err := inspector.GetTaskInfo(Bulk, resumePrefix+"deliver:n:5"); err != nil {
		t.Fatalf("the copy: %v", err)
	}
}
