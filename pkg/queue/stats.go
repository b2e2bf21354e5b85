package queue

import (
	"fmt"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Stat is one queue's figures as /v1/stats reports them.
type Stat struct {
	Name      string `json:"name"`
	Pending   int    `json:"pending"`
	Active    int    `json:"active"`
	Scheduled int    `json:"scheduled"`
	Retry     int    `json:"retry"`
	Processed int    `json:"processed"`
	Failed    int    `json:"failed"`
	LatencyMS int64  `json:"latency_ms"`
}

// Stats reads queue figures through asynq's inspector, cached briefly so a
// dashboard polling every second costs Redis a few calls per interval.
type Stats struct {
	inspector *asynq.Inspector
	ttl       time.Duration

	mu      sync.Mutex
	at      time.Time
	current []Stat
}

// NewStats inspects the queues on rdb, caching for ttl.
func NewStats(rdb redis.UniversalClient, ttl time.Duration) *Stats {
	return &Stats{inspector: asynq.NewInspectorFromRedisClient(rdb), ttl: ttl}
}

// Queues returns every Herald queue's figures; a queue never used reads zero.
func (s *Stats) Queues() ([]Stat, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil && time.Since(s.at) < s.ttl {
		return s.current, nil
	}
	existing, err := s.inspector.Queues()
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	known := map[string]bool{}
	for _, q := range existing {
		known[q] = true
	}
	out := make([]Stat, 0, 3)
	for _, name := range []string{Critical, Default, Bulk} {
		if !known[name] { // asynq creates a queue on first use
			out = append(out, Stat{Name: name})
			continue
		}
		info, err := s.inspector.GetQueueInfo(name)
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", name, err)
		}
		out = append(out, Stat{
			Name: name, Pending: info.Pending, Active: info.Active, Scheduled: info.Scheduled,
			Retry: info.Retry, Processed: info.ProcessedTotal, Failed: info.FailedTotal,
			LatencyMS: info.Latency.Milliseconds(),
		})
	}
	s.current, s.at = out, time.Now()
	return out, nil
}
