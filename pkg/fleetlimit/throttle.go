package fleetlimit

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/heraldpush/herald/pkg/delivery"
)

// TakeThrottle implements delivery.Limits with a GCRA limiter per
// notification (go-redis/redis_rate, on Redis' clock): perMinute sends a
// minute, in bursts of one second's worth. It answers, for what it did not
// allow, the wait until the next burst.
func (l *Limits) TakeThrottle(ctx context.Context, notificationID string, perMinute, n int) (int, time.Duration, error) {
	if n <= 0 || perMinute <= 0 {
		return n, 0, nil
	}
	burst := delivery.ThrottleBatchSize(perMinute)
	limit := redis_rate.Limit{Rate: perMinute, Period: time.Minute, Burst: burst}
	res, err := l.rate.AllowAtMost(ctx, "herald:throttle:{"+notificationID+"}", limit, n)
	if err != nil {
		return 0, 0, fmt.Errorf("throttle: %w", err)
	}
	allowed := min(max(res.Allowed, 0), n)
	if allowed == n {
		return n, 0, nil
	}
	emission := time.Minute / time.Duration(perMinute)
	wait := max(res.RetryAfter, emission*time.Duration(min(burst, n-allowed)))
	return allowed, wait, nil
}
