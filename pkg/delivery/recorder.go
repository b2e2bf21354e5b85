package delivery

import (
	"context"
	"errors"
	"github.com/heraldpush/herald/pkg/notification"
	"sync"
	"time"

	"github.com/heraldpush/herald/pkg/database"
)

// recorder writes a batch's final outcomes as they come, by group commit:
// while one transaction is being written the next outcomes gather, and each
// write takes all that gathered. A send waits for the write holding its
// outcome before its slot in the send scheduler is released (see
// DeliverBatch), so what was sent but not recorded is always among the
// sends in flight: after a crash, at most HERALD_WORKER_CONCURRENCY messages
// (plus urgent ones in their own slots) per worker can arrive twice.
//
// While the database is unreachable a write is tried again until it goes
// through: the batch stops starting sends (onOutage), the sends waiting on
// the write keep their slots, and what they sent is recorded when the
// database is back.
type recorder struct {
	write func(outs []outcome) error

	mu      sync.Mutex
	pending []outcome
	round   *writeRound // the write the pending outcomes will be in
	closed  bool
	wake    chan struct{}
	done    chan error
}

// writeRound is one write: done closes when it is committed (or failed).
type writeRound struct {
	done chan struct{}
	err  error
}

func newRound() *writeRound { return &writeRound{done: make(chan struct{})} }

func newRecorder(write func(outs []outcome) error) *recorder {
	r := &recorder{write: write, round: newRound(), wake: make(chan struct{}, 1), done: make(chan error, 1)}
	go r.run()
	return r
}

// add queues outcomes for the next write and returns that write.
func (r *recorder) add(outs ...outcome) *writeRound {
	r.mu.Lock()
	r.pending = append(r.pending, outs...)
	rd := r.round
	r.mu.Unlock()
	r.poke()
	return rd
}

// close writes what is left and returns the first write's error, if any.
func (r *recorder) close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.poke()
	return <-r.done
}

func (r *recorder) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *recorder) run() {
	var failed error
	for range r.wake {
		for {
			r.mu.Lock()
			outs, rd, closed := r.pending, r.round, r.closed
			if len(outs) > 0 {
				r.pending, r.round = nil, newRound()
			}
			r.mu.Unlock()
			if len(outs) == 0 {
				if closed {
					r.done <- failed
					return
				}
				break
			}
			// After a failed write nothing more is written: the batch runs
			// again and skips what the earlier writes recorded.
			if failed == nil {
				failed = r.write(outs)
			}
			rd.err = failed
			close(rd.done)
		}
	}
}

// Waits between tries of a write while the database is unreachable.
const (
	outageRetryFirst = 100 * time.Millisecond
	outageRetryMax   = 2 * time.Second
	// outageGrace is how long writes are still tried once the batch's
	// context ended (shutdown, the job's timeout): past it the outcomes
	// are given up and the batch's re-run may send them again.
	outageGrace = 10 * time.Second
)

// ErrStorageCut ends a batch whose sends were stopped because the database
// was unreachable; what it sent is recorded, and its re-run sends the rest.
var ErrStorageCut = errors.New("delivery: the database was unreachable; the batch's remaining sends run again")

// outcomeWriter returns the recorder's write for one batch: recordOutcomes,
// tried again while the database is unreachable, calling onOutage at the
// first failure of that kind.
func (d *Deliverer) outcomeWriter(ctx context.Context, n *notification.Notification, shard int, onOutage func()) func([]outcome) error {
	return func(outs []outcome) error {
		wait := outageRetryFirst
		var endedAt time.Time
		for {
			// A context that survives shutdown: these messages went out.
			err := d.recordOutcomes(context.WithoutCancel(ctx), n, shard, outs)
			if err == nil || !database.Unavailable(err) {
				return err
			}
			onOutage()
			if ctx.Err() != nil {
				if endedAt.IsZero() {
					endedAt = time.Now()
				} else if time.Since(endedAt) > outageGrace {
					return err
				}
			}
			time.Sleep(wait)
			wait = min(2*wait, outageRetryMax)
		}
	}
}
