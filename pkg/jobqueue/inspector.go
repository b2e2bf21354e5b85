package jobqueue

import (
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// QueueInfo is one queue's figures.
type QueueInfo struct {
	Name                                        string
	Pending, Active, Scheduled, Retry, Archived int
	Processed, Failed                           int           // since the queue was created
	Latency                                     time.Duration // age of the oldest pending task
}

// TaskInfo is one queued task.
type TaskInfo struct {
	ID, Type, Queue string
	Payload         []byte
	NextProcessAt   time.Time // when a scheduled task is due
}

// ErrNoTask is returned for a task that is not queued.
var ErrNoTask = errors.New("jobqueue: no such task")

// Inspector reads the queues' state.
type Inspector struct{ inspector *asynq.Inspector }

// NewInspector reads through an existing Redis client, which the caller
// owns and closes.
func NewInspector(rdb redis.UniversalClient) *Inspector {
	return &Inspector{inspector: asynq.NewInspectorFromRedisClient(rdb)}
}

// Queues returns every Herald queue's figures, in Names order; a queue
// never used reads zero.
func (i *Inspector) Queues() ([]QueueInfo, error) {
	existing, err := i.inspector.Queues()
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	known := map[string]bool{}
	for _, q := range existing {
		known[q] = true
	}
	out := make([]QueueInfo, 0, len(Names))
	for _, name := range Names {
		if !known[name] { // asynq creates a queue on first use
			out = append(out, QueueInfo{Name: name})
			continue
		}
		info, err := i.inspector.GetQueueInfo(name)
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", name, err)
		}
		out = append(out, QueueInfo{
			Name: name, Pending: info.Pending, Active: info.Active, Scheduled: info.Scheduled,
			Retry: info.Retry, Archived: info.Archived, Processed: info.ProcessedTotal, Failed: info.FailedTotal,
			Latency: info.Latency,
		})
	}
	return out, nil
}

// Servers counts the job servers alive (three per worker process).
func (i *Inspector) Servers() (int, error) {
	servers, err := i.inspector.Servers()
	if err != nil {
		return 0, fmt.Errorf("list servers: %w", err)
	}
	return len(servers), nil
}

// Task returns the task queued under id (a job's key) on queue.
func (i *Inspector) Task(queue, id string) (TaskInfo, error) {
	t, err := i.inspector.GetTaskInfo(queue, id)
	if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
		return TaskInfo{}, fmt.Errorf("%s on %s: %w", id, queue, ErrNoTask)
	}
	if err != nil {
		return TaskInfo{}, fmt.Errorf("task %s: %w", id, err)
	}
	return TaskInfo{ID: t.ID, Type: t.Type, Queue: t.Queue, Payload: t.Payload}, nil
}

// Scheduled returns up to limit tasks of queue due later, soonest first.
func (i *Inspector) Scheduled(queue string, limit int) ([]TaskInfo, error) {
	ts, err := i.inspector.ListScheduledTasks(queue, asynq.PageSize(limit))
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("scheduled tasks of %s: %w", queue, err)
	}
	out := make([]TaskInfo, len(ts))
	for k, t := range ts {
		out[k] = TaskInfo{ID: t.ID, Type: t.Type, Queue: t.Queue, Payload: t.Payload, NextProcessAt: t.NextProcessAt}
	}
	return out, nil
}

// Pending returns up to limit tasks waiting on queue.
func (i *Inspector) Pending(queue string, limit int) ([]TaskInfo, error) {
	ts, err := i.inspector.ListPendingTasks(queue, asynq.PageSize(limit))
	if err != nil {
		return nil, fmt.Errorf("pending tasks of %s: %w", queue, err)
	}
	out := make([]TaskInfo, len(ts))
	for k, t := range ts {
		out[k] = TaskInfo{ID: t.ID, Type: t.Type, Queue: t.Queue, Payload: t.Payload}
	}
	return out, nil
}
