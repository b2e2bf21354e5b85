package workerserver

import (
	"context"
	"errors"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/inflight"
	"github.com/heraldpush/herald/pkg/jobqueue"
	"github.com/heraldpush/herald/pkg/metrics"
	"github.com/heraldpush/herald/pkg/pushsend"
	"github.com/heraldpush/herald/pkg/runclaim"
	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
	heraldv1 "github.com/heraldpush/herald/proto/herald/v1"
)

type noSends struct{}

func (noSends) Send(context.Context, pushsend.Message) pushsend.Result {
	return pushsend.Result{Outcome: pushsend.Delivered}
}

// Work that running again cannot mend (a notification that no longer
// exists, a payload that does not decode) is not retried, and every
// delivery batch is counted by result.
func TestTasksThatCannotSucceedSkipRetry(t *testing.T) {
	t.Parallel()
	db := dbtest.Postgres(t)
	opts, _ := redis.ParseURL(testkit.RedisURL(t))
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	jobs := jobqueue.NewClient(rdb)
	reg := prometheus.NewRegistry()
	batches, err := metrics.NewDelivery(reg)
	if err != nil {
		t.Fatal(err)
	}
	deliverer := delivery.NewDeliverer(delivery.DelivererConfig{DB: db, Jobs: jobs,
		Sends: inflight.NewScheduler(inflight.SchedulerConfig{Sender: noSends{}, Min: 4, Max: 4})})
	mux := newMux(delivery.NewFanout(db, jobs, testkit.Logger(t), 0), deliverer, nil, batches, jobqueue.NewRuns(rdb, runclaim.NewStore(db)), context.Background())
	const unknown = "01890000-0000-7000-8000-000000000000"
	batch, _ := proto.Marshal(&heraldv1.DeliveryBatch{NotificationId: unknown, SubscriptionIds: []string{unknown}, BatchSeq: 1, Attempt: 1})
	fanout, _ := proto.Marshal(&heraldv1.FanoutJob{NotificationId: unknown})
	for name, task := range map[string]*asynq.Task{
		"batch of an unknown notification":   asynq.NewTask(jobqueue.TypeDeliver, batch),
		"fan-out of an unknown notification": asynq.NewTask(jobqueue.TypeFanout, fanout),
		"batch that does not decode":         asynq.NewTask(jobqueue.TypeDeliver, []byte{0xff, 0xff}),
		"fan-out that does not decode":       asynq.NewTask(jobqueue.TypeFanout, []byte{0xff, 0xff}),
		"webhook task that does not decode":  asynq.NewTask(jobqueue.TypeWebhook, []byte{0xff, 0xff}),
	} {
		if err := mux.ProcessTask(context.Background(), task); !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("%s: err = %v, want asynq.SkipRetry", name, err)
		}
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var failed float64
	for _, f := range families {
		if f.GetName() == "herald_batches_processed_total" {
			for _, m := range f.GetMetric() {
				failed += m.GetCounter().GetValue()
			}
		}
	}
	if failed != 2 {
		t.Fatalf("herald_batches_processed_total counted %v batches, want the 2 delivery batches", failed)
	}
}
