package jobqueue

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/redisconn"
	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/servers"
)

// The job transport over Redis Sentinel and Cluster (pkg/redisconn's
// connection modes): tasks survive a failover.

// jobsRoundTrip runs an asynq server over c and checks that tasks enqueued
// through c on every queue are processed once each.
type jobsRoundTrip struct {
	t      *testing.T
	client *asynq.Client
	mu     sync.Mutex
	seen   map[string]int
}

var haQueues = []string{"herald:critical", "herald:default", "herald:bulk"}

// startJobs connects to url, checks the mode, and starts a job server.
func startJobs(t *testing.T, url string, mode redisconn.Mode) (*redisconn.Conn, *jobsRoundTrip) {
	t.Helper()
	c, err := redisconn.Open(context.Background(), url, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() }) // after the job server's shutdown (cleanups run last first)
	if c.Mode != mode {
		t.Fatalf("mode %s, want %s", c.Mode, mode)
	}
	rt := &jobsRoundTrip{t: t, client: asynq.NewClientFromRedisClient(c.Client), seen: map[string]int{}}
	srv := asynq.NewServerFromRedisClient(c.Client, asynq.Config{
		Concurrency: 4, Queues: map[string]int{haQueues[0]: 1, haQueues[1]: 1, haQueues[2]: 1},
		TaskCheckInterval: 50 * time.Millisecond, LogLevel: asynq.FatalLevel,
		RetryDelayFunc: func(int, error, *asynq.Task) time.Duration { return 100 * time.Millisecond },
	})
	mux := asynq.NewServeMux()
	mux.HandleFunc("t", func(_ context.Context, task *asynq.Task) error {
		rt.mu.Lock()
		rt.seen[string(task.Payload())]++
		rt.mu.Unlock()
		return nil
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return c, rt
}

// round enqueues n tasks per queue (retrying while Redis fails over) and
// waits until all were processed exactly once.
func (rt *jobsRoundTrip) round(name string, n int) {
	rt.t.Helper()
	var ids []string
	for _, q := range haQueues {
		for i := range n {
			id := fmt.Sprintf("%s-%s-%d", name, q, i)
			ids = append(ids, id)
			deadline := time.Now().Add(20 * time.Second)
			for {
				_, err := rt.client.Enqueue(asynq.NewTask("t", []byte(id)), asynq.Queue(q), asynq.TaskID(id))
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					rt.t.Fatalf("enqueue %s: %v", id, err)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		rt.mu.Lock()
		missing, twice := 0, 0
		for _, id := range ids {
			switch rt.seen[id] {
			case 0:
				missing++
			case 1:
			default:
				twice++
			}
		}
		rt.mu.Unlock()
		if twice > 0 {
			rt.t.Fatalf("%s: %d tasks processed twice", name, twice)
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			rt.t.Fatalf("%s: %d of %d tasks never processed", name, missing, len(ids))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Herald's queues and keys on a Sentinel-managed master, in the URL's
// database, before and after a failover and after the master dies.
func TestSentinelQueuesSurviveFailover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	set := servers.StartSentinel(t, servers.RedisOptions{})
	c, rt := startJobs(t, set.URL(2), redisconn.Sentinel)
	rt.round("before", 20)
	// The URL's database is used: the master's db 2 holds asynq's keys.
	for db, want := range map[int]int64{0: 0, 2: 1} {
		direct := redis.NewClient(&redis.Options{Addr: set.Master().Addr(), DB: db})
		n, err := direct.Exists(ctx, "asynq:queues").Result()
		direct.Close()
		if err != nil || n != want {
			t.Fatalf("asynq's queue list in database %d: %d, %v; want %d (the URL names database 2)", db, n, err, want)
		}
	}
	set.Failover()
	followed(t, c, set)
	rt.round("after-failover", 20)
	set.KillMaster()
	followed(t, c, set)
	rt.round("after-master-died", 20)
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping after failovers: %v", err)
	}
}

// followed waits until writes through c reach the master the sentinels
// name. Until the client hears of the switch, its writes may still go to the
// old master, which drops them when it turns replica: Redis loses them, and
// only the database can bring them back (the reconciler's job, not the
// client's).
func followed(t *testing.T, c *redisconn.Conn, set *servers.Sentinel) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		key := fmt.Sprintf("herald:test:followed:%d", i)
		if c.Client.Set(ctx, key, "1", time.Minute).Err() == nil {
			direct := redis.NewClient(&redis.Options{Addr: set.Master().Addr(), DB: 2})
			n := direct.Exists(ctx, key).Val()
			direct.Close()
			if n == 1 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the client never wrote to the new master")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The same on a 3-master Redis Cluster: asynq keeps each queue's keys under
// one hash tag, so every queue lives on one slot, and losing the master of
// a queue's slot hands it to the replica.
func TestClusterQueuesSurviveMasterLoss(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cl := servers.StartCluster(t, servers.RedisOptions{})
	c, rt := startJobs(t, cl.URL(), redisconn.Cluster)
	rt.round("before", 20)
	// The master of asynq's cancellation channel (a subscription asynq's
	// server never expects to end) first, then the master of the bulk
	// queue's slot, if another.
	first := cl.MasterOf("asynq:cancel")
	cl.KillMaster(first)
	rt.round("after-master-lost", 20)
	if m := cl.MasterOf("asynq:{herald:bulk}:pending"); m != first {
		cl.KillMaster(m)
		rt.round("after-second-master-lost", 20)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping after master loss: %v", err)
	}
}
