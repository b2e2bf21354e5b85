package delivery

import (
	"math/rand/v2"
	"time"
)

// RetryPolicy decides when a transient failure is tried again.
type RetryPolicy struct {
	MaxAttempts int           // attempts before dead-lettering
	Base        time.Duration // first retry delay
	Max         time.Duration // cap on the computed delay; a longer Retry-After still wins
}

// Delay returns the wait before attempt+1 after attempt failed: Base doubled
// per attempt, capped at Max, with "equal jitter" (half fixed, half random)
// so a burst of failures does not retry in lockstep; never shorter than the
// push service's Retry-After.
func (p RetryPolicy) Delay(attempt int, retryAfter time.Duration) time.Duration {
	d := p.Base
	for i := 1; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	if d > p.Max {
		d = p.Max
	}
	d = d/2 + rand.N(d/2+1)
	if retryAfter > d {
		d = retryAfter
	}
	return d
}
