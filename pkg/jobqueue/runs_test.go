package jobqueue

import (
	"context"
	"errors"
	"testing"
	"time"

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
