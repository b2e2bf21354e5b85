package inflight

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsend"
)

// Urgent holders go before waiting ones and may take the reserve beyond the
// bound; others wait for the bound only.
func TestLimiterUrgentFirstAndReserve(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := NewUrgentLimiter(2, 1)
	for range 2 {
		if err := l.Acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	bulk := acquireAsync(ctx, l)
	waitWaiters(t, l, 1)
	// The reserve: an urgent holder gets in at once past a full bound.
	if err := mustReturn(t, urgentAsync(ctx, l)); err != nil {
		t.Fatal(err)
	}
	mustNotReturn(t, bulk)
	// Reserve used: the next urgent one waits, and goes first when a slot frees.
	urgent := urgentAsync(ctx, l)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		l.mu.Lock()
		n := len(l.urgent)
		l.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("urgent Acquire never queued")
		}
	}
	l.Release()
	if err := mustReturn(t, urgent); err != nil {
		t.Fatal(err)
	}
	mustNotReturn(t, bulk)
	if got := l.InFlight(); got != 3 {
		t.Fatalf("in flight = %d, want 3 (2 bound + 1 reserve)", got)
	}
	// Only below the bound does the waiting bulk holder get in.
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
