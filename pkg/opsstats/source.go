// Package opsstats gathers what operators watch: queue depths and latency
// (pkg/jobqueue's inspector), notification, subscription and dead-letter
// counts and notifications in progress (from their owners' stores), and
// fleet-wide delivery rates, which it keeps in Redis itself (the workers
// record them). Every figure is cached so
// that dashboards and Prometheus scrapes cost the database and Redis a few
// queries per interval, whatever the number of callers; the table-wide
// counts are computed once per interval for the whole fleet, whatever the
// number of processes (fleetcounts.go).
package opsstats

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/deadletter"
	"github.com/heraldpush/herald/pkg/jobqueue"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/subscription"
)

// Queues is the state of every Herald queue and of the worker fleet.
type Queues struct {
	Queues  []jobqueue.QueueInfo
	Workers int // job servers alive
	At      time.Time
}

// Counts are table-wide figures from the database.
type Counts struct {
	Notifications map[string]int64 // by status, every status present
	Subscriptions map[string]int64 // by status, every status present
	DeadLetters   int64            // not yet retried
	At            time.Time
}

// Config tunes a Source. Zero durations take the defaults.
type Config struct {
	DB    *database.DB
	Redis redis.UniversalClient
	// QueueTTL caches queue figures and progress (default 2s).
	QueueTTL time.Duration
	// CountTTL is how often the fleet counts notifications, subscriptions
	// and dead letters, which scans their tables: once per CountTTL for all
	// processes sharing Redis (fleetcounts.go; default 10s).
	CountTTL time.Duration
}

// Source reads and caches the figures. Safe for concurrent use.
type Source struct {
	notifications *notification.Store
	subscriptions *subscription.Store
	deadLetters   *deadletter.Store
	inspector     *jobqueue.Inspector
	rates         *Rates
	rdb           redis.UniversalClient
	queueTTL      time.Duration
	countTTL      time.Duration
	// countDB counts in the database (loadCounts); tests wrap it to count
	// the computations.
	countDB func(context.Context) (Counts, error)

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
		notifications: notification.NewStore(c.DB), subscriptions: subscription.NewStore(c.DB),
		deadLetters: deadletter.NewStore(c.DB), inspector: jobqueue.NewInspector(c.Redis), queueTTL: c.QueueTTL,
		rates: NewRates(c.Redis, c.QueueTTL), progress: map[string]*cached[[]Progress]{},
		rdb: c.Redis, countTTL: c.CountTTL,
	}
	s.countDB = s.loadCounts
	s.queues = newCached(c.QueueTTL, s.loadQueues)
	s.counts = newCached(c.CountTTL, s.fleetCounts)
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
	qs, err := s.inspector.Queues()
	if err != nil {
		return Queues{}, err
	}
	workers, err := s.inspector.Servers()
	if err != nil {
		return Queues{}, err
	}
	return Queues{Queues: qs, Workers: workers, At: time.Now().UTC()}, nil
}

func (s *Source) loadCounts(ctx context.Context) (Counts, error) {
	out := Counts{Subscriptions: map[string]int64{}, Notifications: map[string]int64{}, At: time.Now().UTC()}
	ns, err := s.notifications.CountByStatus(ctx)
	if err != nil {
		return Counts{}, err
	}
	for st, n := range ns {
		out.Notifications[string(st)] = n
	}
	for _, st := range subscription.Statuses {
		out.Subscriptions[string(st)] = 0
	}
	subs, err := s.subscriptions.CountByStatus(ctx)
	if err != nil {
		return Counts{}, err
	}
	for st, n := range subs {
		out.Subscriptions[string(st)] = n
	}
	if out.DeadLetters, err = s.deadLetters.CountOpen(ctx); err != nil {
		return Counts{}, err
	}
	return out, nil
}

// RecentDeadLetters returns the newest dead letters of every app not yet
// retried. It is not cached: a retried one must vanish from the next list.
func (s *Source) RecentDeadLetters(ctx context.Context, limit int) ([]deadletter.DeadLetter, error) {
	return s.deadLetters.Recent(ctx, limit)
}

// DeadLetterApp returns the app a dead letter belongs to ("" when unknown).
func (s *Source) DeadLetterApp(ctx context.Context, id string) (string, error) {
	return s.deadLetters.AppOf(ctx, id)
}

// RecentNotifications returns the newest notifications of every app with
// their counts, for the dashboard's history. Not cached: a dead-letter
// retry must show in the next poll.
func (s *Source) RecentNotifications(ctx context.Context, limit int) ([]*notification.Notification, error) {
	return s.notifications.Recent(ctx, limit)
}

// OpenDeadLetters counts the dead letters of every app not yet retried,
// now: the dashboard shows it beside the list it reads in the same poll.
func (s *Source) OpenDeadLetters(ctx context.Context) (int64, error) {
	return s.deadLetters.CountOpen(ctx)
}
