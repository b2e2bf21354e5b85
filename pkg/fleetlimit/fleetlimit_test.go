package fleetlimit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/testkit"
)

// redisClients are n clients of one test Redis database, as n workers
// would have.
func redisClients(t *testing.T, n int) []*redis.Client {
	t.Helper()
	url := testkit.RedisURL(t)
	out := make([]*redis.Client, n)
	for i := range out {
		opts, _ := redis.ParseURL(url)
		out[i] = redis.NewClient(opts)
		t.Cleanup(func() { out[i].Close() })
	}
	return out
}

func clients(t *testing.T, n int) []*Limits {
	t.Helper()
	var out []*Limits
	for _, rdb := range redisClients(t, n) {
		out = append(out, New(rdb))
	}
	return out
}

// Eight notifications to one user under a cap of five, admitted by two
// clients at once: exactly five pass, whatever the interleaving; a second
// look at an admitted notification (a retry, another browser) passes again
// and counts nothing; a forced one is counted past the cap.
func TestCapsAdmitExactlyMaxAcrossClients(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	limits := clients(t, 2)
	keys := [][]delivery.CapKey{{{Key: "u:3600:u:42", Max: 5, Window: time.Hour}}}
	var mu sync.Mutex
	admitted := map[string]bool{}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ok, err := limits[i%2].AdmitCaps(ctx, "app", fmt.Sprintf("n%d", i), keys, false)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			admitted[fmt.Sprintf("n%d", i)] = ok[0]
			mu.Unlock()
		})
	}
	wg.Wait()
	passed := 0
	for id, ok := range admitted {
		if ok {
			passed++
			again, err := limits[1].AdmitCaps(ctx, "app", id, keys, false)
			if err != nil || !again[0] {
				t.Fatalf("admitted %s refused the second time: %v %v", id, again, err)
			}
		}
	}
	if passed != 5 {
		t.Fatalf("%d of 8 admitted under a cap of 5", passed)
	}
	if n, _ := limits[0].CapCount(ctx, "app", "u:3600:u:42"); n != 5 {
		t.Fatalf("counter holds %d, want 5", n)
	}
	forced, err := limits[0].AdmitCaps(ctx, "app", "urgent", keys, true)
	if err != nil || !forced[0] {
		t.Fatalf("forced: %v %v", forced, err)
	}
	if n, _ := limits[0].CapCount(ctx, "app", "u:3600:u:42"); n != 6 {
		t.Fatalf("counter holds %d after a forced one, want 6", n)
	}
}

// A batch's recipients are judged each by all of its counters, in one
// call; entries older than a counter's window no longer count.
func TestCapsPerRecipientAndWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := clients(t, 1)[0]
	user := func(u string, max int, w time.Duration) []delivery.CapKey {
		return []delivery.CapKey{{Key: "u:" + u, Max: max, Window: w}, {Key: "c:promo:" + u, Max: 1, Window: time.Hour}}
	}
	ok, err := l.AdmitCaps(ctx, "app", "n1", [][]delivery.CapKey{user("a", 5, time.Hour), user("b", 5, time.Hour), nil}, false)
	if err != nil || !ok[0] || !ok[1] || !ok[2] {
		t.Fatalf("first: %v %v", ok, err)
	}
	// The per-category counter (max 1) is full for both; a recipient with
	// no keys always passes.
	ok, err = l.AdmitCaps(ctx, "app", "n2", [][]delivery.CapKey{user("a", 5, time.Hour), nil}, false)
	if err != nil || ok[0] || !ok[1] {
		t.Fatalf("second: %v %v", ok, err)
	}
	// A 1.2-second window forgets.
	short := [][]delivery.CapKey{{{Key: "u:short", Max: 1, Window: 1200 * time.Millisecond}}}
	if ok, _ := l.AdmitCaps(ctx, "app", "s1", short, false); !ok[0] {
		t.Fatal("first in short window refused")
	}
	if ok, _ := l.AdmitCaps(ctx, "app", "s2", short, false); ok[0] {
		t.Fatal("second in short window admitted")
	}
	time.Sleep(1300 * time.Millisecond)
	if ok, _ := l.AdmitCaps(ctx, "app", "s3", short, false); !ok[0] {
		t.Fatal("refused after the window passed")
	}
}

// Two clients sharing a notification's throttle of 600 a minute get, in
// total, one second's burst at once and about ten a second after.
func TestThrottleSharedAcrossClients(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	limits := clients(t, 2)
	total := 0
	// The bounds come from the times measured around the takes, not from the
	// loop's nominal 2 s, so a slow machine (late sleeps, slow Redis calls)
	// changes the expected count instead of failing the test.
	start := time.Now()
	allowed, wait, err := limits[0].TakeThrottle(ctx, "n", 600, 500)
	firstDone := time.Now()
	if err != nil || allowed != 10 || wait < 900*time.Millisecond || wait > 1100*time.Millisecond {
		t.Fatalf("first take: %d, wait %s, %v; want 10 and about 1s", allowed, wait, err)
	}
	total += allowed
	// The second client shares the first one's bucket: no burst of its own,
	// only what accrued since (none, unless this machine is slow).
	allowed, wait, _ = limits[1].TakeThrottle(ctx, "n", 600, 500)
	if accrued := int(10*time.Since(start).Seconds()) + 1; allowed > accrued || allowed < 500 && wait <= 0 {
		t.Fatalf("second client right after: %d, wait %s; want at most %d and a wait", allowed, wait, accrued)
	}
	total += allowed
	var lastStart time.Time
	deadline := time.Now().Add(2 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		lastStart = time.Now()
		a, _, err := limits[i%2].TakeThrottle(ctx, "n", 600, 500)
		if err != nil {
			t.Fatal(err)
		}
		total += a
		time.Sleep(50 * time.Millisecond)
	}
	end := time.Now()
	// 10 at once, then 10 a second whichever client asks: at most what had
	// accrued by the last take's end. The floor is looser: redis_rate's
	// AllowAtMost moves its clock by the fraction of a send it could not
	// grant, so takes that come at uneven times (a loaded machine) each lose
	// up to one; four fifths of what accrued is well above a throttle that
	// starves.
	least := 10 + int(8*lastStart.Sub(firstDone).Seconds()) - 1
	most := 10 + int(10*end.Sub(start).Seconds()) + 1
	if total < least || total > most {
		t.Fatalf("%d sends allowed in %s at 600/min; want %d to %d", total, end.Sub(start), least, most)
	}
	if a, w, _ := limits[0].TakeThrottle(ctx, "other", 600, 5); a != 5 || w != 0 {
		t.Fatalf("another notification's throttle: %d, %s", a, w)
	}
}
