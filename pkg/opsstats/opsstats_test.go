package opsstats

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/pushsend"
	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

func redisClient(t *testing.T) redis.UniversalClient {
	t.Helper()
	opt, err := redis.ParseURL(testkit.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// Sends recorded by two workers add up in Redis, per reason, and the
// summary averages the last minute.
func TestRatesAddUpAcrossWorkers(t *testing.T) {
	t.Parallel()
	rdb := redisClient(t)
	ctx := context.Background()
	a, b := NewRateRecorder(rdb), NewRateRecorder(rdb)
	for range 30 {
		a.Sent(pushsend.Result{Outcome: pushsend.Delivered, Status: http.StatusCreated})
		b.Sent(pushsend.Result{Outcome: pushsend.Delivered, Status: http.StatusCreated})
	}
	a.Sent(pushsend.Result{Outcome: pushsend.Failed, Status: http.StatusForbidden})
	b.Sent(pushsend.Result{Outcome: pushsend.Retry, Err: errors.New("timeout")})
	b.Sent(pushsend.Result{Outcome: pushsend.Gone, Status: http.StatusGone})
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// Only complete buckets are read: wait for the current one to close.
	time.Sleep(time.Until(time.Unix(bucketOf(time.Now())+BucketSeconds, 0)))
	points, err := NewRates(rdb, time.Second).load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var total Point
	reasons := map[string]int64{}
	for _, p := range points {
		total.Delivered += p.Delivered
		total.Gone += p.Gone
		total.Retry += p.Retry
		total.Failed += p.Failed
		for k, v := range p.Reasons {
			reasons[k] += v
		}
	}
	if total.Delivered != 60 || total.Gone != 1 || total.Retry != 1 || total.Failed != 1 {
		t.Fatalf("totals %+v", total)
	}
	if reasons["failed:403"] != 1 || reasons["retry:error"] != 1 || reasons["gone:410"] != 1 || len(reasons) != 3 {
		t.Fatalf("reasons %v", reasons)
	}
	if s := LastMinute(points); s.DeliveredPerSecond != 1 || s.FailedPerSecond != 1.0/60 {
		t.Fatalf("summary %+v", s)
	}
}

// A stale value is served at once while one refresh runs behind it.
func TestCachedServesStaleWhileRefreshing(t *testing.T) {
	t.Parallel()
	var loads atomic.Int32
	release := make(chan struct{})
	c := newCached(10*time.Millisecond, func(context.Context) (int32, error) {
		n := loads.Add(1)
		if n > 1 {
			<-release
		}
		return n, nil
	})
	if v, _, err := c.get(context.Background()); err != nil || v != 1 {
		t.Fatalf("first get: %v %v", v, err)
	}
	time.Sleep(20 * time.Millisecond)
	for range 5 { // stale: all served at once, one refresh started
		if v, _, err := c.get(context.Background()); err != nil || v != 1 {
			t.Fatalf("stale get: %v %v", v, err)
		}
	}
	close(release)
	c.wait()
	if v, _, _ := c.get(context.Background()); v != 2 || loads.Load() != 2 {
		t.Fatalf("after refresh: value %v, %d loads", v, loads.Load())
	}
}

// Counts and progress on both databases, with no subscriptions scanned per call.
func TestCountsAndProgress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := NewSource(Config{DB: db, Redis: redisClient(t)})
		defer s.Close()
		c, err := s.Counts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c.Notifications["completed"] != 0 || c.Subscriptions["active"] != 0 || c.DeadLetters != 0 || len(c.Notifications) != 5 {
			t.Fatalf("counts %+v", c)
		}
		p, err := s.InProgress(context.Background(), "")
		if err != nil || len(p) != 0 {
			t.Fatalf("progress %v %v", p, err)
		}
		q, err := s.Queues(context.Background())
		if err != nil || len(q.Queues) != 4 {
			t.Fatalf("queues %+v %v", q, err)
		}
	})
}

// Processes sharing Redis count the tables once per interval between them,
// not once each: five processes asking all the time over about five
// intervals cause about five computations, not twenty-five.
func TestCountsComputedOncePerIntervalForTheFleet(t *testing.T) {
	t.Parallel()
	db := dbtest.Postgres(t)
	rdb := redisClient(t)
	ctx := context.Background()
	const processes = 5
	const ttl = 400 * time.Millisecond
	var computed atomic.Int32
	sources := make([]*Source, processes)
	for i := range sources {
		s := NewSource(Config{DB: db, Redis: rdb, CountTTL: ttl})
		count := s.countDB
		s.countDB = func(ctx context.Context) (Counts, error) { computed.Add(1); return count(ctx) }
		sources[i] = s
		defer s.Close()
	}
	start := time.Now()
	for time.Since(start) < 5*ttl {
		for _, s := range sources {
			c, err := s.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Notifications) != 5 {
				t.Fatalf("counts %+v", c)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	intervals := int32(time.Since(start)/ttl) + 1
	if n := computed.Load(); n < 2 || n > intervals+1 {
		t.Fatalf("%d processes counted %d times in %d intervals: want one count per interval for the fleet", processes, n, intervals)
	}
}
