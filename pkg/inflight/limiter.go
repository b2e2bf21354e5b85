// Package inflight bounds how many sends a worker has in flight, and adapts
// the bound to how long the Go scheduler keeps ready goroutines waiting.
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

// Limiter is a semaphore whose size can change while it is in use. The zero
// value is not usable; build one with NewLimiter.
type Limiter struct {
	mu       sync.Mutex
	limit    int
	inflight int
	waiters  []chan struct{} // FIFO; a closed channel is a granted slot
	// waited records that some Acquire had to wait since the last
	// adjustment: the bound, not the supply of work, held sends back.
	waited bool
}

// NewLimiter returns a Limiter that lets limit holders in at once.
func NewLimiter(limit int) *Limiter {
	return &Limiter{limit: max(1, limit)}
}

// Acquire waits for a slot or for ctx to end; once ctx has ended it takes
// no slot, even a free one. Each successful Acquire must be paired with one
// Release.
func (l *Limiter) Acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	if l.inflight < l.limit && len(l.waiters) == 0 {
		l.inflight++
		l.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	l.waiters = append(l.waiters, ch)
	l.waited = true
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
		l.inflight--
		l.grant()
	default:
		for i, w := range l.waiters {
			if w == ch {
				l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
				break
			}
		}
	}
	return ctx.Err()
}

// Release gives a slot back.
func (l *Limiter) Release() {
	l.mu.Lock()
	l.inflight--
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

// InFlight is how many slots are held.
func (l *Limiter) InFlight() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inflight
}

// takeWaited reports whether any Acquire waited since the last call.
func (l *Limiter) takeWaited() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.waited
	l.waited = len(l.waiters) > 0
	return w
}

// grant hands free slots to waiters in arrival order; l.mu is held.
func (l *Limiter) grant() {
	for l.inflight < l.limit && len(l.waiters) > 0 {
		close(l.waiters[0])
		l.waiters[0] = nil
		l.waiters = l.waiters[1:]
		l.inflight++
	}
}
