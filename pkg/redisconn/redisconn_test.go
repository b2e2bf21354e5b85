package redisconn

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/testkit"
)

func TestEmbeddedClockAdvances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, err := Open(ctx, "", testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Embedded {
		t.Fatal("empty URL did not select embedded Redis")
	}
	if err := c.Client.Set(ctx, "k", "v", time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	// Expiry only happens if the ticker moves miniredis's clock.
	deadline := time.Now().Add(5 * time.Second)
	for c.Client.Exists(ctx, "k").Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("key with 1s TTL still present after 5s: embedded clock does not advance")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestOpenRealRedis(t *testing.T) {
	t.Parallel()
	c, err := Open(context.Background(), testkit.RedisURL(t), testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Embedded {
		t.Fatal("URL given but embedded Redis used")
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRejectsBadURL(t *testing.T) {
	t.Parallel()
	if _, err := Open(context.Background(), "http://nope", testkit.Logger(t)); err == nil {
		t.Fatal("accepted a non-redis URL")
	}
}

func TestAtLeast(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{"7.0.15": true, "6.2.0": true, "6.0.9": false, "5.0": false, "garbage": false} {
		if got := atLeast(v, 6, 2); got != want {
			t.Errorf("atLeast(%q) = %v", v, got)
		}
	}
}

// Of processes trying at once, one takes a lease; it lapses after its ttl.
func TestTryLeaseOnePerInterval(t *testing.T) {
	t.Parallel()
	opts, err := redis.ParseURL(testkit.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	var took atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if ok, err := TryLease(ctx, rdb, "herald:test:lease", 300*time.Millisecond); err != nil {
				t.Error(err)
			} else if ok {
				took.Add(1)
			}
		})
	}
	wg.Wait()
	if took.Load() != 1 {
		t.Fatalf("%d took the lease, want 1", took.Load())
	}
	time.Sleep(400 * time.Millisecond)
	if ok, err := TryLease(ctx, rdb, "herald:test:lease", time.Second); err != nil || !ok {
		t.Fatalf("after the ttl: %v %v", ok, err)
	}
}
