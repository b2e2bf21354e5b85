package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// Two workers handed the same task at once (asynq delivers at least once)
// make one request: the row's lease keeps the twin off, and once the
// message is delivered neither sends it again.
func TestDeliverTwinsSendOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := setup(t, db)
		var requests atomic.Int32
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			requests.Add(1)
			time.Sleep(300 * time.Millisecond)
			w.WriteHeader(http.StatusNoContent)
		}))
		t.Cleanup(slow.Close)
		d := NewDispatcher(DispatcherConfig{DB: f.db, Key: f.key, Origins: policy(t, slow.URL), Jobs: f.queue(t)})
		ctx := context.Background()
		if _, _, err := d.store.Create(ctx, f.appID, slow.URL+"/hook", []string{NotificationCompleted}); err != nil {
			t.Fatal(err)
		}
		if err := d.store.Emit(ctx, f.appID, NotificationCompleted, map[string]any{}); err != nil {
			t.Fatal(err)
		}
		var m Message
		if err := db.Take(&m).Error; err != nil {
			t.Fatal(err)
		}
		task := Task{MessageID: m.ID, Resends: m.Resends}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = d.Deliver(ctx, task, false) })
		}
		wg.Wait()
		inFlight := 0
		for _, err := range errs {
			if errors.Is(err, ErrInFlight) {
				inFlight++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if requests.Load() != 1 || inFlight != 1 {
			t.Fatalf("%d requests, %d told another worker has it (errors %v); want 1 and 1", requests.Load(), inFlight, errs)
		}
		if err := d.Deliver(ctx, task, true); err != nil || requests.Load() != 1 {
			t.Fatalf("after delivery: %v, %d requests", err, requests.Load())
		}
		if err := db.Take(&m).Error; err != nil || m.Status != Delivered || m.Attempts != 1 || m.LeasedUntil != nil {
			t.Fatalf("message %+v %v", m, err)
		}
	})
}

// The queue's retry limit covers the whole window, so the window (24 h)
// is what ends a message's tries; the first retry comes after 5 s ±20%.
func TestRetriesSpanTheWindow(t *testing.T) {
	t.Parallel()
	d := NewDispatcher(DispatcherConfig{})
	n := d.maxRetries()
	var nominal time.Duration
	for i := 1; i <= n; i++ {
		nominal += d.nominalDelay(i)
	}
	if nominal < RetryWindow || n < 30 || n > 45 {
		t.Fatalf("%d retries spanning %s at the nominal backoff; want about a day's worth (%s)", n, nominal, RetryWindow)
	}
	for range 100 {
		if first := d.backoff(1); first < 4*time.Second || first > 6*time.Second {
			t.Fatalf("first retry after %s", first)
		}
	}
	t.Logf("%d retries, %s at the nominal backoff", n, nominal)
}

// The relay and the repair find their messages through their indexes, not
// by reading the outbox, which holds a day of retries and every delivered
// message until retention.
func TestRelayAndRepairReadIndexes(t *testing.T) {
	t.Parallel()
	rec := dbtest.Record(dbtest.Postgres(t))
	f := setup(t, rec.DB)
	r := newReceiver(t)
	d := f.dispatcher(t, r, time.Second)
	d.cfg.RepairAfter = time.Millisecond
	ctx := context.Background()
	if _, _, err := d.store.Create(ctx, f.appID, r.URL+"/hook", []string{NotificationCompleted}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := d.store.Emit(ctx, f.appID, NotificationCompleted, map[string]any{}); err != nil {
			t.Fatal(err)
		}
	}
	rec.Take()
	if err := d.relay(ctx); err != nil {
		t.Fatal(err)
	}
	rec.AssertNoTableScan(t, "relay", rec.Take())
	time.Sleep(5 * time.Millisecond)
	if n, err := d.repair(ctx); err != nil || n != 0 {
		t.Fatalf("repair of queued tasks: %d %v", n, err)
	}
	rec.AssertNoTableScan(t, "repair", rec.Take())
	if err := f.rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if n, err := d.repair(ctx); err != nil || n != 3 {
		t.Fatalf("repair after Redis lost the tasks: %d %v; want 3", n, err)
	}
}
