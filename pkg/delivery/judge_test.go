package delivery

import (
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsend"
	"github.com/heraldpush/herald/pkg/subscription"
)

// A delivery rewrites the subscription's last_success_at only when it is
// stale or the subscription had failures: not one row update per message.
func TestJudgeSkipsFreshLastSuccess(t *testing.T) {
	d := &Deliverer{retry: RetryPolicy{MaxAttempts: 3, Base: time.Second, Max: time.Minute}}
	recent, old := time.Now().Add(-time.Minute), time.Now().Add(-2*successRefresh)
	for _, c := range []struct {
		last     *time.Time
		failures int
		fresh    bool
	}{{nil, 0, false}, {&recent, 0, true}, {&recent, 2, false}, {&old, 0, false}} {
		s := sent{sub: &subscription.Subscription{ID: "s", LastSuccessAt: c.last, ConsecutiveFailures: c.failures},
			result: pushsend.Result{Outcome: pushsend.Delivered, Status: 201}}
		o, _, final := d.judge(s, 1)
		if !final || o.Status != StatusDelivered || o.fresh != c.fresh {
			t.Errorf("last=%v failures=%d: final=%v status=%s fresh=%v, want fresh=%v", c.last, c.failures, final, o.Status, o.fresh, c.fresh)
		}
	}
}
