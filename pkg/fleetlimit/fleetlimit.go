// Package fleetlimit keeps the limits the whole worker fleet shares in
// Redis: frequency caps per recipient (caps.go), each notification's
// throttle (throttle.go) and the back-off of a push service that asked
// Herald to slow down (pace.go). Every worker reads and writes the same
// keys, so a limit holds whatever the number of workers. Keys that one
// script touches share a hash tag, so each works on Redis Cluster too.
// It implements delivery.Limits and the send scheduler's inflight.Pacer.
package fleetlimit

import (
	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Limits implements delivery.Limits over Redis.
type Limits struct {
	rdb  redis.UniversalClient
	rate *redis_rate.Limiter
}

// New returns Limits over rdb, which the caller owns.
func New(rdb redis.UniversalClient) *Limits {
	return &Limits{rdb: rdb, rate: redis_rate.NewLimiter(rdb)}
}
