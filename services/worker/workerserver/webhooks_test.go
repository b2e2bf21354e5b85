package workerserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/jobqueue"
	"github.com/heraldpush/herald/pkg/listing"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/runclaim"
	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
	"github.com/heraldpush/herald/pkg/webhook"
)

// The webhook outbox through asynq, with the worker's own webhook job
// server and handler over a real Redis and PostgreSQL.

// hookReceiver answers 500 while failing, else 204, and notes each request.
type hookReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	failing bool
	ids     []string // webhook-id of each request
	at      []time.Time
	ok      map[string]int // 2xx answers per webhook-id
}

func newHookReceiver(t *testing.T, failing bool) *hookReceiver {
	r := &hookReceiver{failing: failing, ok: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		id := req.Header.Get("webhook-id")
		r.ids, r.at = append(r.ids, id), append(r.at, time.Now())
		if r.failing {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		r.ok[id]++
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) setFailing(f bool) { r.mu.Lock(); r.failing = f; r.mu.Unlock() }

func (r *hookReceiver) requests() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.ids) }

// hookRig is an app with one endpoint, its dispatcher and the job queue.
type hookRig struct {
	t          *testing.T
	db         *database.DB
	rdb        *redis.Client
	jobs       *jobqueue.Client
	store      *webhook.Store
	hooks      *webhook.Dispatcher
	appID, eID string
	recv       *hookReceiver
}

func newHookRig(t *testing.T, cfg webhook.DispatcherConfig, failing bool) *hookRig {
	t.Helper()
	ctx := context.Background()
	db := dbtest.Postgres(t)
	opts, _ := redis.ParseURL(testkit.RedisURL(t))
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() }) // after the job server's shutdown
	key, _, _ := masterkey.Generate()
	created, err := app.NewStore(db, key).Create(ctx, app.CreateInput{Name: "hooks"})
	if err != nil {
		t.Fatal(err)
	}
	recv := newHookReceiver(t, failing)
	origins, err := pushendpoint.NewPolicy([]string{recv.URL})
	if err != nil {
		t.Fatal(err)
	}
	store := webhook.NewStore(db, key, origins)
	e, _, err := store.Create(ctx, created.App.ID, recv.URL+"/hook", []string{webhook.NotificationCompleted})
	if err != nil {
		t.Fatal(err)
	}
	jobs := jobqueue.NewClient(rdb)
	cfg.DB, cfg.Key, cfg.Origins, cfg.Jobs, cfg.Log = db, key, origins, jobs, testkit.Logger(t)
	return &hookRig{t: t, db: db, rdb: rdb, jobs: jobs, store: store, hooks: webhook.NewDispatcher(cfg),
		appID: created.App.ID, eID: e.ID, recv: recv}
}

// serve starts the worker's webhook job server on the rig's queue.
func (r *hookRig) serve() {
	r.t.Helper()
	srv := webhookServer(r.rdb, Config{ShutdownTimeout: 5 * time.Second}, testkit.Logger(r.t))
	if err := srv.Start(newMux(nil, nil, r.hooks, nil, jobqueue.NewRuns(r.rdb, runclaim.NewStore(r.db)), context.Background())); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(srv.Shutdown)
}

func (r *hookRig) emit(n int) {
	r.t.Helper()
	for i := range n {
		if err := r.store.Emit(context.Background(), r.appID, webhook.NotificationCompleted, map[string]int{"n": i}); err != nil {
			r.t.Fatal(err)
		}
	}
}

func (r *hookRig) tick() {
	r.t.Helper()
	if err := r.hooks.Tick(context.Background()); err != nil {
		r.t.Fatal(err)
	}
}

func (r *hookRig) messages() []webhook.Message {
	r.t.Helper()
	msgs, _, err := r.store.Messages(context.Background(), r.appID, r.eID, listing.Page{Limit: 100})
	if err != nil {
		r.t.Fatal(err)
	}
	return msgs
}

// await ticks the dispatcher until every message has status, or fails.
func (r *hookRig) await(status string, timeout time.Duration) []webhook.Message {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r.tick()
		msgs := r.messages()
		done := len(msgs) > 0
		for _, m := range msgs {
			done = done && m.Status == status
		}
		if done {
			return msgs
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("after %s: %+v, want all %s", timeout, msgs, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// queueIdle waits until the webhook queue holds no task.
func (r *hookRig) queueIdle() {
	r.t.Helper()
	inspector := asynq.NewInspectorFromRedisClient(r.rdb)
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, err := inspector.GetQueueInfo(jobqueue.Webhooks)
		if err == nil && info.Size == 0 {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("webhook queue never emptied: %+v %v", info, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A message handed over twice (the relay's mark lost after its enqueue) is
// one task, and one request.
func TestWebhookRelayedTwiceIsSentOnce(t *testing.T) {
	t.Parallel()
	r := newHookRig(t, webhook.DispatcherConfig{}, false)
	r.emit(1)
	r.tick()
	if err := r.db.Exec("UPDATE webhook_messages SET handed_over_at = NULL").Error; err != nil {
		t.Fatal(err)
	}
	r.tick()
	info, err := asynq.NewInspectorFromRedisClient(r.rdb).GetQueueInfo(jobqueue.Webhooks)
	if err != nil || info.Pending != 1 {
		t.Fatalf("queue after two hand-overs: %+v %v; want one task", info, err)
	}
	r.serve()
	r.await(webhook.Delivered, 20*time.Second)
	r.queueIdle()
	if n := r.recv.requests(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

// A task that comes again after its message was delivered (asynq delivers
// at least once; a killed worker's task comes back) sends nothing.
func TestWebhookTaskAgainAfterDeliverySendsNothing(t *testing.T) {
	t.Parallel()
	r := newHookRig(t, webhook.DispatcherConfig{}, false)
	r.serve()
	r.emit(1)
	m := r.await(webhook.Delivered, 20*time.Second)[0]
	r.queueIdle()
	for range 3 {
		if err := r.jobs.EnqueueWebhook(context.Background(), m.ID, r.appID, m.Resends, 5); err != nil {
			t.Fatal(err)
		}
		r.queueIdle()
	}
	if n := r.recv.requests(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
	if got := r.messages()[0]; got.Status != webhook.Delivered || got.Attempts != 1 {
		t.Fatalf("message after its task came again: %+v", got)
	}
}

// Redis flushed while messages wait for a retry: their tasks are gone, and
// the repair hands them over again from the outbox, once each.
func TestWebhooksLostWithRedisAreHandedOverAgain(t *testing.T) {
	t.Parallel()
	r := newHookRig(t, webhook.DispatcherConfig{BackoffBase: 3 * time.Second, RepairAfter: 500 * time.Millisecond, RepairEvery: 100 * time.Millisecond}, true)
	r.serve()
	r.emit(3)
	r.tick()
	deadline := time.Now().Add(20 * time.Second)
	for failedOnce := 0; failedOnce < 3; {
		failedOnce = 0
		for _, m := range r.messages() {
			if m.Attempts == 1 && m.LeasedUntil == nil {
				failedOnce++
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("never tried: %+v", r.messages())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Each task now waits for its retry in Redis; Redis loses everything.
	if err := r.rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	r.recv.setFailing(false)
	r.await(webhook.Delivered, 30*time.Second)
	r.queueIdle()
	r.recv.mu.Lock()
	defer r.recv.mu.Unlock()
	if len(r.recv.ok) != 3 {
		t.Fatalf("%d messages accepted, want 3", len(r.recv.ok))
	}
	for id, n := range r.recv.ok {
		if n != 1 {
			t.Fatalf("message %s accepted %d times", id, n)
		}
	}
}

// The queue's last try that fails records the message failed (nothing
// would retry it), and the task ends there rather than being archived.
func TestWebhookLastAttemptRecordsFailed(t *testing.T) {
	t.Parallel()
	r := newHookRig(t, webhook.DispatcherConfig{BackoffBase: 100 * time.Millisecond}, true)
	r.serve()
	r.emit(1)
	id := r.messages()[0].ID
	// One retry allowed, where the relay would allow a day's worth.
	if err := r.jobs.EnqueueWebhook(context.Background(), id, r.appID, 0, 1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for r.messages()[0].Status == webhook.Pending {
		if time.Now().After(deadline) {
			t.Fatalf("still pending after the last try: %+v", r.messages()[0])
		}
		time.Sleep(50 * time.Millisecond)
	}
	got := r.messages()[0]
	if got.Status != webhook.Failed || got.Attempts != 2 || got.LastStatus != 500 || got.FinishedAt == nil {
		t.Fatalf("after the last try: %+v", got)
	}
	r.queueIdle()
	if queued, err := r.jobs.WebhookQueued(context.Background(), id, 0); err != nil || queued {
		t.Fatalf("task still queued: %v %v", queued, err)
	}
}

// With the default backoff, a failed request is tried again within about
// 10 s (5 s ±20%, whole seconds, asynq's check for due retries), then
// delivered.
func TestWebhookFirstRetryWithinTenSeconds(t *testing.T) {
	t.Parallel()
	r := newHookRig(t, webhook.DispatcherConfig{}, true)
	r.serve()
	r.emit(1)
	deadline := time.Now().Add(5 * time.Second)
	for r.recv.requests() == 0 {
		r.tick()
		if time.Now().After(deadline) {
			t.Fatal("no first attempt")
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.recv.setFailing(false)
	r.await(webhook.Delivered, 15*time.Second)
	r.recv.mu.Lock()
	gap := r.recv.at[1].Sub(r.recv.at[0])
	r.recv.mu.Unlock()
	if gap < 4*time.Second || gap > 10*time.Second {
		t.Fatalf("first retry %s after the first attempt; want the 5 s backoff (±20%%), within 10 s", gap)
	}
	t.Logf("first retry %s after the first attempt", gap.Round(time.Millisecond))
}
