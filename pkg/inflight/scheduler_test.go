package inflight

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsend"
)

// Urgent holders have a reserve of their own: they get in past a full
// bound, even one lowered below what the others hold, and wait only for
// each other; the others wait for the bound only.
func TestLimiterUrgentReserve(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := NewUrgentLimiter(3, 1)
	for range 3 {
		if err := l.Acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	l.SetLimit(1) // the holders keep their slots, above the bound
	bulk := acquireAsync(ctx, l)
	waitWaiters(t, l, 1)
	if err := mustReturn(t, urgentAsync(ctx, l)); err != nil {
		t.Fatal(err)
	}
	if got := l.InFlight(); got != 4 {
		t.Fatalf("in flight = %d, want 4 (3 over the bound + 1 urgent)", got)
	}
	// The reserve is used: the next urgent one waits for an urgent slot,
	// not for the others'.
	urgent := urgentAsync(ctx, l)
	mustNotReturn(t, urgent)
	l.Release()
	mustNotReturn(t, urgent)
	l.ReleaseUrgent()
	if err := mustReturn(t, urgent); err != nil {
		t.Fatal(err)
	}
	mustNotReturn(t, bulk)
	// The bulk waiter gets in only once the others are under the bound.
	l.Release()
	mustNotReturn(t, bulk)
	l.Release()
	if err := mustReturn(t, bulk); err != nil {
		t.Fatal(err)
	}
}

// gatedSender holds every send until released, counting sends and
// encryptions in flight as a sender would see them.
type gatedSender struct {
	release          chan struct{}
	inFlight, turned atomic.Int32
	mostTurned       atomic.Int32
}

func (g *gatedSender) Send(ctx context.Context, m pushsend.Message) pushsend.Result {
	g.inFlight.Add(1)
	defer g.inFlight.Add(-1)
	if m.Turn != nil {
		if err := m.Turn.Take(ctx); err != nil {
			return pushsend.Result{Outcome: pushsend.Retry, Err: err}
		}
		n := g.turned.Add(1)
		for old := g.mostTurned.Load(); n > old && !g.mostTurned.CompareAndSwap(old, n); old = g.mostTurned.Load() {
		}
		time.Sleep(time.Millisecond)
		g.turned.Add(-1)
		m.Turn.Give()
	}
	select {
	case <-g.release:
	case <-ctx.Done():
	}
	return pushsend.Result{Outcome: pushsend.Delivered, Status: 201}
}

// A broadcast holding every slot does not hold back urgent sends: they run
// in the reserve, take no encryption turn, and finish while the broadcast
// still waits; the broadcast never has more in flight than the bound, nor
// more encryptions at once than the turns.
func TestSchedulerUrgentSendsPassABroadcast(t *testing.T) {
	t.Parallel()
	g := &gatedSender{release: make(chan struct{})}
	s := NewScheduler(SchedulerConfig{Sender: g, Min: 8, Max: 8, UrgentReserve: 4, EncryptTurns: 2})
	ctx := context.Background()
	var bulkDone sync.WaitGroup
	bulkDone.Go(func() {
		s.Push(ctx, false, make([]pushsend.Message, 100), func(int, pushsend.Result) {})
	})
	for deadline := time.Now().Add(5 * time.Second); g.inFlight.Load() < 8; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("broadcast has %d sends in flight, want 8", g.inFlight.Load())
		}
	}
	urgent := make([]pushsend.Message, 3)
	results := make(chan pushsend.Result, 3)
	go s.Push(ctx, true, urgent, func(_ int, r pushsend.Result) { results <- r })
	for deadline := time.Now().Add(5 * time.Second); g.inFlight.Load() < 11; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d sends in flight; the 3 urgent ones did not start past the broadcast's 8", g.inFlight.Load())
		}
	}
	if got := s.InFlight(); got != 11 {
		t.Fatalf("scheduler counts %d in flight, want 11", got)
	}
	close(g.release)
	for range 3 {
		<-results
	}
	bulkDone.Wait()
	if g.mostTurned.Load() > 2 {
		t.Fatalf("%d encryptions at once, turns allow 2", g.mostTurned.Load())
	}
}

func urgentAsync(ctx context.Context, l *Limiter) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- l.AcquireUrgent(ctx) }()
	return ch
}
