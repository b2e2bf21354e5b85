// Package opsstats gathers what operators watch: queue depths and latency
// through asynq's inspector, notification, subscription and dead-letter
// counts from the database, notifications in progress, and fleet-wide
// delivery rates kept in Redis by the workers. Every figure is cached so
// that dashboards and Prometheus scrapes cost the database and Redis a few
// queries per interval, whatever the number of callers.
package opsstats

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/queue"
)

// QueueStat is one asynq queue's figures; it extends the /v1/stats shape.
type QueueStat struct {
	queue.Stat
	Archived int `json:"archived"`
}

// Queues is the state of every Herald queue and of the worker fleet.
type Queues struct {
	Queues  []QueueStat `json:"queues"`
	Workers int         `json:"workers"` // asynq servers alive
	At      time.Time   `json:"at"`
}

// Counts are table-wide figures from the database.
type Counts struct {
	Notifications map[string]int64 `json:"notifications"` // by status
	Subscriptions map[string]int64 `json:"subscriptions"` // by status
	DeadLetters   int64            `json:"dead_letters"`  // not yet retried
	At            time.Time        `json:"at"`
}

// Config tunes a Source. Zero durations take the defaults.
type Config struct {
	DB    *database.DB
	Redis redis.UniversalClient
	// QueueTTL caches queue figures and progress (default 2s).
	QueueTTL time.Duration
	// CountTTL caches database counts, which scan the subscriptions table
	// (default 10s).
	CountTTL time.Duration
}

// Source reads and caches the figures. Safe for concurrent use.
type Source struct {
	db        *database.DB
	inspector *asynq.Inspector
	rates     *Rates
	queueTTL  time.Duration

	queues *cached[Queues]
	counts *cached[Counts]

	mu       sync.Mutex
	progress map[string]*cached[[]Progress] // by app id; "" is every app
}

// NewSource builds a Source over the database and Redis.
func NewSource(c Config) *Source {
	if c.QueueTTL <= 0 {
		c.QueueTTL = 2 * time.Second
	}
	if c.CountTTL <= 0 {
		c.CountTTL = 10 * time.Second
	}
	s := &Source{
		db: c.DB, inspector: asynq.NewInspectorFromRedisClient(c.Redis), queueTTL: c.QueueTTL,
		rates: NewRates(c.Redis, c.QueueTTL), progress: map[string]*cached[[]Progress]{},
	}
	s.queues = newCached(c.QueueTTL, s.loadQueues)
	s.counts = newCached(c.CountTTL, s.loadCounts)
	return s
}

// Queues returns the cached queue figures.
func (s *Source) Queues(ctx context.Context) (Queues, error) {
	q, _, err := s.queues.get(ctx)
	return q, err
}

// Counts returns the cached database counts.
func (s *Source) Counts(ctx context.Context) (Counts, error) {
	c, _, err := s.counts.get(ctx)
	return c, err
}

// Rates returns the fleet-wide delivery rate reader.
func (s *Source) Rates() *Rates { return s.rates }

// Close waits for background refreshes to end.
func (s *Source) Close() {
	s.queues.wait()
	s.counts.wait()
	s.rates.series.wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.progress {
		p.wait()
	}
}

func (s *Source) loadQueues(context.Context) (Queues, error) {
	existing, err := s.inspector.Queues()
	if err != nil {
		return Queues{}, fmt.Errorf("list queues: %w", err)
	}
	known := map[string]bool{}
	for _, q := range existing {
		known[q] = true
	}
	out := Queues{Queues: make([]QueueStat, 0, 3), At: time.Now().UTC()}
	for _, name := range []string{queue.Critical, queue.Default, queue.Bulk} {
		if !known[name] { // asynq creates a queue on first use
			out.Queues = append(out.Queues, QueueStat{Stat: queue.Stat{Name: name}})
			continue
		}
		info, err := s.inspector.GetQueueInfo(name)
		if err != nil {
			return Queues{}, fmt.Errorf("queue %s: %w", name, err)
		}
		out.Queues = append(out.Queues, QueueStat{
			Stat: queue.Stat{
				Name: name, Pending: info.Pending, Active: info.Active, Scheduled: info.Scheduled,
				Retry: info.Retry, Processed: info.ProcessedTotal, Failed: info.FailedTotal,
				LatencyMS: info.Latency.Milliseconds(),
			},
			Archived: info.Archived,
		})
	}
	servers, err := s.inspector.Servers()
	if err != nil {
		return Queues{}, fmt.Errorf("list servers: %w", err)
	}
	out.Workers = len(servers)
	return out, nil
}

type statusCount struct {
	Status string
	N      int64
}

func (s *Source) loadCounts(ctx context.Context) (Counts, error) {
	out := Counts{
		Notifications: map[string]int64{"scheduled": 0, "queued": 0, "sending": 0, "completed": 0, "cancelled": 0},
		Subscriptions: map[string]int64{"active": 0, "gone": 0, "unsubscribed": 0},
		At:            time.Now().UTC(),
	}
	db := s.db.WithContext(ctx)
	for table, into := range map[string]map[string]int64{"notifications": out.Notifications, "subscriptions": out.Subscriptions} {
		var rows []statusCount
		if err := db.Raw("SELECT status, COUNT(*) AS n FROM " + table + " GROUP BY status").Scan(&rows).Error; err != nil {
			return Counts{}, fmt.Errorf("count %s: %w", table, err)
		}
		for _, r := range rows {
			into[r.Status] = r.N
		}
	}
	if err := db.Raw("SELECT COUNT(*) FROM dead_letters WHERE retried_at IS NULL").Scan(&out.DeadLetters).Error; err != nil {
		return Counts{}, fmt.Errorf("count dead letters: %w", err)
	}
	return out, nil
}
