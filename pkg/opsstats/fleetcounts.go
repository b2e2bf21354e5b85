package opsstats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/redisconn"
)

// The table-wide counts (COUNT(*) ... GROUP BY status over notifications
// and subscriptions, open dead letters) scan tables that grow with every
// app. Every API and worker process serves them (metrics, /v1/stats, the
// dashboard), so they are computed once per interval for the whole fleet:
// the process that takes the interval's lease in Redis counts and stores
// the figures there; every other one reads them.
const (
	countsKey      = "herald:ops:counts"
	countsLeaseKey = "herald:ops:counts:lease"
	// countsWait bounds how long a process with no figures at all waits
	// for the lease holder's before it counts itself.
	countsWait = 3 * time.Second
)

// fleetCounts returns figures at most ttl old from Redis, counting them
// (once for the fleet) when they are older.
func (s *Source) fleetCounts(ctx context.Context) (Counts, error) {
	stored, found, err := s.storedCounts(ctx)
	if err != nil {
		return s.countDB(ctx) // Redis is down: the database may still answer
	}
	if found && time.Since(stored.At) < s.countTTL {
		return stored, nil
	}
	took, err := redisconn.TryLease(ctx, s.rdb, countsLeaseKey, s.countTTL)
	if err != nil {
		return s.countDB(ctx)
	}
	if took {
		c, err := s.countDB(ctx)
		if err != nil {
			return Counts{}, err
		}
		if b, err := json.Marshal(c); err == nil {
			// Kept well past the interval: a stale figure beats none while
			// the next lease holder counts.
			_ = s.rdb.Set(ctx, countsKey, b, 10*s.countTTL+time.Minute).Err()
		}
		return c, nil
	}
	if found {
		return stored, nil // another process is counting: the last figures meanwhile
	}
	deadline := time.Now().Add(countsWait)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return Counts{}, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if stored, found, err = s.storedCounts(ctx); err == nil && found {
			return stored, nil
		}
	}
	return s.countDB(ctx)
}

func (s *Source) storedCounts(ctx context.Context) (Counts, bool, error) {
	b, err := s.rdb.Get(ctx, countsKey).Bytes()
	if errors.Is(err, redis.Nil) {
		return Counts{}, false, nil
	}
	if err != nil {
		return Counts{}, false, fmt.Errorf("read counts: %w", err)
	}
	var c Counts
	if err := json.Unmarshal(b, &c); err != nil {
		return Counts{}, false, nil // another release's shape: count again
	}
	return c, true, nil
}
