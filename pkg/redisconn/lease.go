package redisconn

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// TryLease takes key for ttl unless some process already holds it, and
// reports whether this call took it. It is how the fleet does a periodic
// job once per interval (retention, table-wide counts) rather than once per
// process: each process tries every interval and the one that gets the
// lease does the work. Nothing releases a lease; it lapses after ttl.
func TryLease(ctx context.Context, rdb redis.UniversalClient, key string, ttl time.Duration) (bool, error) {
	ok, err := rdb.SetNX(ctx, key, time.Now().UTC().Format(time.RFC3339Nano), ttl).Result()
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", key, err)
	}
	return ok, nil
}
