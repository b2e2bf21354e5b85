package inflight

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestAdapterNext(t *testing.T) {
	t.Parallel()
	a := &Adapter{Min: 16, Max: 256, Target: 2 * time.Millisecond}
	cases := []struct {
		name  string
		limit int
		lat   time.Duration
		bound bool
		want  int
	}{
		{"just over target shrinks by an eighth", 256, 2100 * time.Microsecond, true, 224},
		{"further over shrinks in proportion", 256, 3 * time.Millisecond, true, 170},
		{"far over shrinks by half at most", 128, 10 * time.Millisecond, false, 64},
		{"never under Min", 17, time.Second, true, 16},
		{"well under target and bound grows by an eighth", 128, 500 * time.Microsecond, true, 144},
		{"grows by an eighth, rounded down", 20, 0, true, 22},
		{"never over Max", 250, 0, true, 256},
		{"under target but unbound stays", 128, 0, false, 128},
		{"between half the target and the target stays", 128, 1500 * time.Microsecond, true, 128},
	}
	for _, c := range cases {
		if got := a.next(c.limit, c.lat, c.bound); got != c.want {
			t.Errorf("%s: next(%d, %s, %v) = %d, want %d", c.name, c.limit, c.lat, c.bound, got, c.want)
		}
	}
	if got := (&Adapter{Min: 300, Max: 100}).next(200, 0, true); got != 300 {
		t.Errorf("Min above Max: got %d, want Min (300)", got)
	}
	small := &Adapter{Min: 1, Max: 256}
	if got := small.next(4, 2100*time.Microsecond, true); got != 3 {
		t.Errorf("small bounds shrink by one: got %d, want 3", got)
	}
	if got := small.next(4, 0, true); got != 5 {
		t.Errorf("small bounds grow by one: got %d, want 5", got)
	}
}

// runAdapter runs a until the test ends and returns the context that ends
// with it.
func runAdapter(t *testing.T, a *Adapter) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var done sync.WaitGroup
	done.Go(func() { a.Run(ctx) })
	t.Cleanup(func() { cancel(); done.Wait() })
	return ctx
}

// waitForSlots starts n callers that each take a slot and hold it until ctx
// ends: sends waiting for the bound.
func waitForSlots(ctx context.Context, l *Limiter, n int) {
	for range n {
		go func() {
			if l.Acquire(ctx) == nil {
				<-ctx.Done()
				l.Release()
			}
		}()
	}
}

// waitLimit waits until l's bound is want; explain says what was seen.
func waitLimit(t *testing.T, l *Limiter, want int, within time.Duration, explain func() string) {
	t.Helper()
	for deadline := time.Now().Add(within); l.Limit() != want; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("limit stayed at %d, want %d%s", l.Limit(), want, explain())
		}
	}
}

func nothing() string { return "" }

// Run follows the latency it is fed: down to Min while it is high, back up
// to Max while it is low and sends wait for slots.
func TestAdapterRunFollowsLatency(t *testing.T) {
	t.Parallel()
	l := NewLimiter(64)
	var latency atomic.Int64
	latency.Store(int64(10 * time.Millisecond))
	ctx := runAdapter(t, &Adapter{Limiter: l, Min: 4, Max: 64, Interval: time.Millisecond,
		Latency: func() (time.Duration, int) { return time.Duration(latency.Load()), minSamples }})
	waitLimit(t, l, 4, 10*time.Second, nothing)

	// Low latency alone does not grow an unused bound...
	latency.Store(0)
	time.Sleep(50 * time.Millisecond)
	if got := l.Limit(); got != 4 {
		t.Fatalf("limit grew to %d with nobody waiting for it", got)
	}
	// ...but does once sends wait for it.
	waitForSlots(ctx, l, 64)
	waitLimit(t, l, 64, 10*time.Second, nothing)
}

// An interval with too few scheduler waits to measure counts as one without
// latency: the bound grows while sends wait for it, and stays while none do.
func TestAdapterQuietIntervalsCountAsUnloaded(t *testing.T) {
	t.Parallel()
	l := NewLimiter(4)
	var calls atomic.Int32
	ctx := runAdapter(t, &Adapter{Limiter: l, Min: 4, Max: 32, Interval: time.Millisecond,
		Latency: func() (time.Duration, int) { calls.Add(1); return time.Second, minSamples - 1 }})
	for calls.Load() < 20 {
		time.Sleep(time.Millisecond)
	}
	if got := l.Limit(); got != 4 {
		t.Fatalf("limit %d with nobody waiting for it, want 4", got)
	}
	waitForSlots(ctx, l, 32)
	waitLimit(t, l, 32, 10*time.Second, nothing)
}

// With the runtime's own latency: sends that wait on a slow push service
// (100 ms each, like a distant one) leave the CPU idle, so the bound grows
// from Min to Max, however busy the machine running the test is.
func TestAdapterGrowsForSlowSends(t *testing.T) {
	t.Parallel()
	l := NewLimiter(16)
	sched := NewSchedLatency(0.9)
	var mu sync.Mutex
	var seen []string
	ctx := runAdapter(t, &Adapter{Limiter: l, Min: 16, Max: 64, Latency: func() (time.Duration, int) {
		lat, n := sched.Read()
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s/%d@%d", lat, n, l.Limit()))
		mu.Unlock()
		return lat, n
	}})
	for range 64 {
		go func() {
			for l.Acquire(ctx) == nil {
				select {
				case <-time.After(100 * time.Millisecond):
				case <-ctx.Done():
				}
				l.Release()
			}
		}()
	}
	waitLimit(t, l, 64, 30*time.Second, func() string {
		mu.Lock()
		defer mu.Unlock()
		return fmt.Sprintf(" for sends that only wait; latency/samples@limit: %v", seen[max(0, len(seen)-30):])
	})
}

func TestQuantile(t *testing.T) {
	t.Parallel()
	buckets := []float64{0, 0.001, 0.002, 0.004, math.Inf(1)}
	counts := []uint64{50, 40, 9, 1}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{
		{0.5, time.Millisecond}, {0.9, 2 * time.Millisecond}, {0.99, 4 * time.Millisecond}, {1, 4 * time.Millisecond},
	} {
		if got := quantile(counts, buckets, 100, c.q); got != c.want {
			t.Errorf("quantile %.2f = %s, want %s", c.q, got, c.want)
		}
	}
	if got := quantile(make([]uint64, 4), buckets, 0, 0.9); got != 0 {
		t.Errorf("empty histogram: %s, want 0", got)
	}
}

// SchedLatency reads the runtime's own histogram: goroutines that wake
// show up as waits (the runtime samples about one in eight), and a second
// read counts only the new ones.
func TestSchedLatencyCountsNewWaits(t *testing.T) {
	s := NewSchedLatency(0.9)
	s.Read()
	var wg sync.WaitGroup
	for range 10000 {
		wg.Go(runtime.Gosched)
	}
	wg.Wait()
	if !s.Supported() {
		t.Fatal("this runtime has no scheduler latency histogram")
	}
	lat, n := s.Read()
	if n < 500 {
		t.Fatalf("%d waits counted after 10000 goroutines ran, want at least 500", n)
	}
	if lat <= 0 || lat > time.Minute {
		t.Fatalf("latency %s is not plausible", lat)
	}
	if _, again := s.Read(); again >= n {
		t.Fatalf("second read counted %d waits, not only the new ones (first read: %d)", again, n)
	}
}
