package delivery

import (
	"testing"
	"time"
)

func TestRetryDelayDoublesWithJitterAndHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{MaxAttempts: 8, Base: 4 * time.Second, Max: 30 * time.Second}
	for attempt, full := range map[int]time.Duration{1: 4 * time.Second, 2: 8 * time.Second, 3: 16 * time.Second, 4: 30 * time.Second, 7: 30 * time.Second} {
		for range 200 {
			d := p.Delay(attempt, 0)
			if d < full/2 || d > full {
				t.Fatalf("attempt %d: delay %s outside [%s, %s]", attempt, d, full/2, full)
			}
		}
	}
	// A Retry-After longer than the computed delay, even past Max, wins.
	if d := p.Delay(1, time.Hour); d != time.Hour {
		t.Fatalf("Retry-After ignored: %s", d)
	}
	if got := ceilSecond(1100 * time.Millisecond); got != 2*time.Second {
		t.Fatalf("ceilSecond = %s", got)
	}
}
