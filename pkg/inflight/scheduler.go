package inflight

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/pushsend"
)

// DefaultUrgentReserve is how many urgent sends may run besides the bound:
// a broadcast holding every slot never makes an urgent send wait.
const DefaultUrgentReserve = 32

// Sender sends one push; *pushsend.Sender implements it.
type Sender interface {
	Send(ctx context.Context, m pushsend.Message) pushsend.Result
}

// Pacer holds sends to a push service that asked the fleet to slow down
// (pkg/fleetlimit's Pace). Both calls must be cheap: they are on every
// send's path.
type Pacer interface {
	// Hold says how long a send to endpoint must wait (0: send now).
	Hold(ctx context.Context, endpoint string) time.Duration
	// Observe hears every answer, to start a back-off on a 429.
	Observe(ctx context.Context, endpoint string, r pushsend.Result)
}

// SchedulerConfig configures NewScheduler.
type SchedulerConfig struct {
	Sender Sender
	// Min and Max bound the sends in flight; the bound starts at Min and
	// adapts between them (Adapter).
	Min, Max int
	// UrgentReserve is how many urgent sends may run besides the bound; 0
	// means DefaultUrgentReserve.
	UrgentReserve int
	// EncryptTurns is how many sends may encrypt at once, urgent ones aside;
	// 0 means GOMAXPROCS.
	EncryptTurns int
	// Latency feeds the Adapter; nil reads the runtime's scheduler latency.
	Latency LatencyFunc
	// Pacer, when set, holds sends to push services backed off: such a
	// message is answered at once with a Paced result, never sent.
	Pacer Pacer
}

// Scheduler is a worker's one send scheduler: every push of every batch
// goes through it. It decides how many run at once (a bound that adapts to
// the Go scheduler's latency) and who goes first: urgent sends have slots
// of their own beside the bound and take no encryption turn, so a broadcast
// never holds them back (not even while its sends exceed a bound just
// lowered).
type Scheduler struct {
	sender  Sender
	slots   *Limiter
	adapter *Adapter
	turns   turns
	pacer   Pacer
}

// NewScheduler builds a Scheduler; Run adapts its bound.
func NewScheduler(c SchedulerConfig) *Scheduler {
	if c.UrgentReserve <= 0 {
		c.UrgentReserve = DefaultUrgentReserve
	}
	if c.EncryptTurns <= 0 {
		c.EncryptTurns = runtime.GOMAXPROCS(0)
	}
	slots := NewUrgentLimiter(c.Min, c.UrgentReserve)
	return &Scheduler{
		sender: c.Sender, slots: slots, turns: make(turns, c.EncryptTurns), pacer: c.Pacer,
		adapter: &Adapter{Limiter: slots, Min: c.Min, Max: c.Max, Latency: c.Latency},
	}
}

// Run adapts the bound until ctx ends.
func (s *Scheduler) Run(ctx context.Context) { s.adapter.Run(ctx) }

// Limit is the bound on sends in flight now (urgent reserve aside).
func (s *Scheduler) Limit() int { return s.slots.Limit() }

// InFlight is how many sends are in flight, urgent ones included.
func (s *Scheduler) InFlight() int { return s.slots.InFlight() }

// Push sends msgs, each in its own goroutine once it has a slot, and calls
// done with each result. It stops starting sends once ctx ends and returns
// when every started send is done (delivery.Sends). A message to a push
// service the Pacer holds is not sent: its result is Paced. A started send
// runs to its end, bounded by the push client's timeout, even after ctx
// ends: cut off mid-request, the push service may have taken the message
// while the caller never learns it, and a re-run would send it twice.
func (s *Scheduler) Push(ctx context.Context, urgent bool, msgs []pushsend.Message, done func(i int, r pushsend.Result)) {
	acquire, release := s.slots.Acquire, s.slots.Release
	if urgent {
		acquire, release = s.slots.AcquireUrgent, s.slots.ReleaseUrgent
	}
	var wg sync.WaitGroup
	for i, m := range msgs {
		if acquire(ctx) != nil {
			break
		}
		if !urgent {
			m.Turn = s.turns
		}
		wg.Go(func() {
			defer release()
			done(i, s.send(context.WithoutCancel(ctx), m))
		})
	}
	wg.Wait()
}

// send sends m unless its push service is held.
func (s *Scheduler) send(ctx context.Context, m pushsend.Message) pushsend.Result {
	if s.pacer == nil {
		return s.sender.Send(ctx, m)
	}
	if wait := s.pacer.Hold(ctx, m.Endpoint); wait > 0 {
		return pushsend.Result{Outcome: pushsend.Retry, RetryAfter: wait, Paced: true, Service: pushendpoint.ServiceOf(m.Endpoint)}
	}
	r := s.sender.Send(ctx, m)
	s.pacer.Observe(ctx, m.Endpoint, r)
	return r
}

// turns are encryption turns: a channel semaphore.
type turns chan struct{}

func (t turns) Take(ctx context.Context) error {
	select {
	case t <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t turns) Give() { <-t }
