package main

import (
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/heraldpush/herald/pkg/pushsim"
	"github.com/heraldpush/herald/pkg/testkit/servers"
)

// What a Redis failover does to a batch being sent, made to happen every
// time: the new master never saw asynq's dequeue of it (nor anything else
// the old one acknowledged last), so the batch is back in its queue while
// its first run still sends, and a free worker slot takes it at once.
// Here Redis forgets everything while one batch (500 browsers, a third
// sent) runs, and that batch is queued again under its own id. Its second
// run must wait for the first (the run's claim is in PostgreSQL, which the
// failover did not touch) and then skip what the first recorded: only
// sends in flight may arrive twice. With the claim kept in Redis both runs
// sent the rest of the batch.
func TestChaosBatchDequeueLostMidRun(t *testing.T) {
	t.Parallel()
	rds := servers.StartRedis(t, servers.RedisOptions{})
	// One batch, sent in about 1.5 s (16 in flight, 50 ms each), leaves
	// the worker's second batch slot free for the copy.
	p := startPipelineWith(t, pushsim.Config{Delay: 50 * time.Millisecond}, chaosSettings(haEnv(rds.URL(0))))
	subs := p.subscribe(500, "ok")
	id := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": "through a lost dequeue"},
	}, 202)["id"].(string)
	for p.sim.Stats().Delivered < 150 {
		time.Sleep(5 * time.Millisecond)
	}
	rdb := rds.Client()
	defer rdb.Close()
	running, err := asynq.NewInspectorFromRedisClient(rdb).ListActiveTasks("herald:bulk")
	if err != nil {
		t.Fatal(err)
	}
	if len(running) != 1 {
		t.Fatalf("%d batches running, want the broadcast's one", len(running))
	}
	if err := rdb.FlushAll(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	lost, atLoss := time.Now(), p.sim.Stats().Delivered
	if atLoss >= int64(len(subs)) {
		t.Fatalf("batch finished before the loss (%d delivered)", atLoss)
	}
	task := running[0]
	if _, err := asynq.NewClientFromRedisClient(rdb).Enqueue(asynq.NewTask(task.Type, task.Payload), asynq.Queue(task.Queue),
		asynq.TaskID(task.ID), asynq.MaxRetry(task.MaxRetry), asynq.Timeout(task.Timeout)); err != nil {
		t.Fatal(err)
	}
	n := p.waitCompleted(id, time.Minute)
	if got, want := counts(n), "targeted=500 delivered=500 gone=0 dead=0 pending=0"; got != want {
		t.Fatalf("counts after the loss: %s, want %s", got, want)
	}
	p.checkReached(subs, 1)
	duplicates := p.checkDuplicates(0)
	t.Logf("batch queued again at %d delivered; completed %s after it; duplicates %d",
		atLoss, time.Since(lost).Round(100*time.Millisecond), duplicates)
}
