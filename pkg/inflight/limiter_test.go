package inflight

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// acquireAsync starts an Acquire and returns a channel that gets its result.
func acquireAsync(ctx context.Context, l *Limiter) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- l.Acquire(ctx) }()
	return ch
}

// waitWaiters waits until n Acquire calls are queued.
func waitWaiters(t *testing.T, l *Limiter, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		l.mu.Lock()
		got := len(l.waiters)
		l.mu.Unlock()
		if got == n {
			return
		}
	}
	t.Fatalf("never saw %d waiters", n)
}

func mustNotReturn(t *testing.T, ch <-chan error) {
	t.Helper()
	select {
	case err := <-ch:
		t.Fatalf("Acquire returned (%v) while the limiter was full", err)
	case <-time.After(20 * time.Millisecond):
	}
}

func mustReturn(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Acquire did not return")
		return nil
	}
}

func TestLimiterBoundsHoldersAndGrantsInOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := NewLimiter(2)
	for range 2 {
		if err := l.Acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	first := acquireAsync(ctx, l)
	waitWaiters(t, l, 1)
	second := acquireAsync(ctx, l)
	waitWaiters(t, l, 2)
	mustNotReturn(t, first)

	l.Release()
	if err := mustReturn(t, first); err != nil {
		t.Fatal(err)
	}
	mustNotReturn(t, second)
	if got := l.InFlight(); got != 2 {
		t.Fatalf("in flight = %d, want 2", got)
	}
	l.Release()
	if err := mustReturn(t, second); err != nil {
		t.Fatal(err)
	}
}

func TestLimiterSetLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := NewLimiter(3)
	for range 3 {
		if err := l.Acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Lowered below what is held: holders keep their slots, and a slot
	// given back is not handed on until the holders are under the bound.
	l.SetLimit(1)
	waiting := acquireAsync(ctx, l)
	waitWaiters(t, l, 1)
	l.Release()
	l.Release()
	mustNotReturn(t, waiting)
	l.Release()
	if err := mustReturn(t, waiting); err != nil {
		t.Fatal(err)
	}
	// Raised: waiters get the new slots at once.
	a, b := acquireAsync(ctx, l), acquireAsync(ctx, l)
	waitWaiters(t, l, 2)
	l.SetLimit(3)
	for _, ch := range []<-chan error{a, b} {
		if err := mustReturn(t, ch); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := l.InFlight(), 3; got != want || l.Limit() != 3 {
		t.Fatalf("in flight %d, limit %d; want 3, 3", got, l.Limit())
	}
	l.SetLimit(0)
	if l.Limit() != 1 {
		t.Fatalf("limit %d after SetLimit(0), want 1", l.Limit())
	}
}

// A cancelled Acquire returns the context's error and takes no slot, even
// when cancellation and a grant race.
func TestLimiterAcquireCancelled(t *testing.T) {
	t.Parallel()
	l := NewLimiter(1)
	if err := l.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := acquireAsync(ctx, l)
	waitWaiters(t, l, 1)
	cancel()
	if err := mustReturn(t, ch); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := l.InFlight(); got != 1 {
		t.Fatalf("in flight = %d after a cancelled Acquire, want 1", got)
	}
	l.Release()
	if err := l.Acquire(ctx); !errors.Is(err, context.Canceled) || l.InFlight() != 0 {
		t.Fatalf("Acquire after its context ended: err %v, in flight %d; want context.Canceled, 0", err, l.InFlight())
	}
	if err := l.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}

	for range 200 {
		ctx, cancel := context.WithCancel(context.Background())
		ch := acquireAsync(ctx, l)
		waitWaiters(t, l, 1)
		var wg sync.WaitGroup
		wg.Go(cancel)
		wg.Go(l.Release)
		wg.Wait()
		if err := mustReturn(t, ch); err == nil {
			l.Release() // it got the slot: give it back like a caller would
		}
		if got := l.InFlight(); got != 0 {
			t.Fatalf("in flight = %d after the race, want 0", got)
		}
		if err := l.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLimiterTakeWaited(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := NewLimiter(1)
	if err := l.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if l.takeWaited() {
		t.Fatal("waited without any caller waiting")
	}
	ch := acquireAsync(ctx, l)
	waitWaiters(t, l, 1)
	if !l.takeWaited() {
		t.Fatal("a caller waited, but takeWaited says no")
	}
	if !l.takeWaited() {
		t.Fatal("a caller is still waiting, but takeWaited says no")
	}
	l.Release()
	if err := mustReturn(t, ch); err != nil {
		t.Fatal(err)
	}
	l.takeWaited()
	if l.takeWaited() {
		t.Fatal("nobody waited since the last call")
	}
}
