// Package inflight is the worker's send scheduler (Scheduler): it bounds
// how many sends a worker has in flight, lets urgent sends go first, rations
// encryption turns, and adapts the bound to how long the Go scheduler keeps
// ready goroutines waiting.
//
// A send to a distant push service spends most of its time waiting on the
// network, so hundreds in flight keep a worker busy. When the push service
// answers fast (a nearby one, or the simulator on loopback) or the worker is
// short of CPU, the same hundreds are mostly ready to run, not waiting: they
// queue in the scheduler, and everything else the process does (the
// critical queue's sends, database round trips, queue heartbeats) queues
// behind them. More in flight then buys no throughput, only latency. An
// Adapter lowers a Limiter's bound while the scheduler's latency is above a
// target and raises it, up to the configured maximum, while it is well below
// and the bound is what holds sends back.
package inflight

import (
	"context"
	"sync"
)

// Limiter is a semaphore whose size can change while it is in use, with
// a reserve of its own for urgent holders: they take a reserve slot, never
// one of the others', so they never wait behind them, not even while the
// others hold more than a lowered limit. The zero value is not usable;
// build one with NewLimiter.
type Limiter struct {
	mu       sync.Mutex
	limit    int
	inflight int
	waiters  []chan struct{} // FIFO; a closed channel is a granted slot
	reserve  int             // slots only urgent holders get
	urgentIn int             // urgent slots held
	urgent   []chan struct{} // FIFO
	// waited records that some Acquire had to wait since the last
	// adjustment: the bound, not the supply of work, held sends back.
	waited bool
}

// NewLimiter returns a Limiter that lets limit holders in at once, and no
// urgent holders beyond them.
func NewLimiter(limit int) *Limiter { return NewUrgentLimiter(limit, 0) }

// NewUrgentLimiter returns a Limiter that lets limit holders in at once and,
// besides them, reserve urgent ones.
func NewUrgentLimiter(limit, reserve int) *Limiter {
	return &Limiter{limit: max(1, limit), reserve: max(0, reserve)}
}

// Acquire waits for a slot or for ctx to end; once ctx has ended it takes
// no slot, even a free one. Each successful Acquire must be paired with one
// Release.
func (l *Limiter) Acquire(ctx context.Context) error { return l.acquire(ctx, false) }

// AcquireUrgent is Acquire for an urgent holder: it waits only for the
// reserve. Pair it with ReleaseUrgent.
func (l *Limiter) AcquireUrgent(ctx context.Context) error { return l.acquire(ctx, true) }

func (l *Limiter) acquire(ctx context.Context, urgent bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	if urgent && l.urgentIn < l.reserve && len(l.urgent) == 0 {
		l.urgentIn++
		l.mu.Unlock()
		return nil
	}
	if !urgent && l.inflight < l.limit && len(l.waiters) == 0 {
		l.inflight++
		l.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	if urgent {
		l.urgent = append(l.urgent, ch)
	} else {
		l.waiters = append(l.waiters, ch)
		l.waited = true
	}
	l.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-ch: // granted while ctx ended: hand the slot on
		if urgent {
			l.urgentIn--
		} else {
			l.inflight--
		}
		l.grant()
	default:
		if urgent {
			l.urgent = remove(l.urgent, ch)
		} else {
			l.waiters = remove(l.waiters, ch)
		}
	}
	return ctx.Err()
}

func remove(waiters []chan struct{}, ch chan struct{}) []chan struct{} {
	for i, w := range waiters {
		if w == ch {
			return append(waiters[:i], waiters[i+1:]...)
		}
	}
	return waiters
}

// Release gives a slot back.
func (l *Limiter) Release() {
	l.mu.Lock()
	l.inflight--
	l.grant()
	l.mu.Unlock()
}

// ReleaseUrgent gives back a slot AcquireUrgent took.
func (l *Limiter) ReleaseUrgent() {
	l.mu.Lock()
	l.urgentIn--
	l.grant()
	l.mu.Unlock()
}

// SetLimit changes the bound. Holders above a lowered bound keep their
// slots; no new one is granted until they fall below it.
func (l *Limiter) SetLimit(n int) {
	l.mu.Lock()
	l.limit = max(1, n)
	l.grant()
	l.mu.Unlock()
}

// Limit is the current bound.
func (l *Limiter) Limit() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit
}

// InFlight is how many slots are held, urgent ones included.
func (l *Limiter) InFlight() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inflight + l.urgentIn
}

// takeWaited reports whether any Acquire waited since the last call.
func (l *Limiter) takeWaited() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.waited
	l.waited = len(l.waiters) > 0
	return w
}

// grant hands free slots to waiters, each class in arrival order; l.mu is
// held.
func (l *Limiter) grant() {
	for l.urgentIn < l.reserve && len(l.urgent) > 0 {
		close(l.urgent[0])
		l.urgent[0] = nil
		l.urgent = l.urgent[1:]
		l.urgentIn++
	}
	for l.inflight < l.limit && len(l.waiters) > 0 {
		close(l.waiters[0])
		l.waiters[0] = nil
		l.waiters = l.waiters[1:]
		l.inflight++
	}
}
