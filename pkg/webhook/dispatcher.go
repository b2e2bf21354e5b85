package webhook

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/pushendpoint"
)

// DisableAfter is how long an endpoint may fail every request before it is
// disabled (and says so in GET /v1/webhooks/{id}).
const DisableAfter = 3 * 24 * time.Hour

// Defaults of DispatcherConfig.
const (
	DefaultBackoffBase = 5 * time.Second
	DefaultBackoffMax  = time.Hour
	defaultPoll        = 250 * time.Millisecond
	defaultBatchEvery  = time.Second
	defaultTimeout     = 10 * time.Second
	defaultRepairAfter = time.Minute
	defaultRepairEvery = 5 * time.Second
	relayLimit         = 64
	repairLimit        = 100
)

// DispatcherConfig gathers a Dispatcher's dependencies and settings.
type DispatcherConfig struct {
	DB  *database.DB
	Key masterkey.Key
	// Origins is the SSRF guard at connect time: its extra origins are
	// HERALD_WEBHOOK_EXTRA_ORIGINS; every other internal address is refused
	// after DNS, so a name re-pointed at one since creation is never dialed.
	Origins *pushendpoint.Policy
	Log     *slog.Logger
	// Jobs (required) is the job queue the outbox's messages are handed
	// to (pkg/jobqueue); the worker's webhook job server calls Deliver.
	Jobs Jobs
	// BackoffBase is the first retry's delay; it doubles each attempt (with
	// jitter) up to BackoffMax. Zero: the defaults.
	BackoffBase, BackoffMax time.Duration
	// Poll is how often the outbox is looked at (default 250 ms);
	// BatchEvery how often an endpoint gets an engagement batch (1 s).
	Poll, BatchEvery time.Duration
	// RepairEvery is how often messages handed over RepairAfter ago and
	// still pending are checked for a task (5 s, 1 m): one whose task
	// Redis lost is handed over again.
	RepairEvery, RepairAfter time.Duration
	Timeout                  time.Duration // per request (10 s)
	BatchSize                int           // most events a batch carries (MaxBatch)
}

// Dispatcher runs the outbox. Its loop (Run, every worker runs one; they
// share the work through row locks) announces completed notifications,
// batches engagement and relays the messages to the job queue, one task
// each; the job queue's handler calls Deliver, which makes the request,
// and retries a failed one after the backoff Deliver returns.
type Dispatcher struct {
	cfg           DispatcherConfig
	log           *slog.Logger
	db            *database.DB
	store         *Store
	notifications *notification.Store
	jobs          Jobs
	retries       int // each task's retry limit (maxRetries)
	client        *http.Client
	now           func() time.Time
	repairedAt    time.Time // the last repair pass; one every RepairEvery
}

// NewDispatcher builds a Dispatcher.
func NewDispatcher(c DispatcherConfig) *Dispatcher {
	if c.BackoffBase <= 0 {
		c.BackoffBase = DefaultBackoffBase
	}
	if c.BackoffMax < c.BackoffBase {
		c.BackoffMax = max(DefaultBackoffMax, c.BackoffBase)
	}
	if c.Poll <= 0 {
		c.Poll = defaultPoll
	}
	if c.BatchEvery <= 0 {
		c.BatchEvery = defaultBatchEvery
	}
	if c.BatchSize <= 0 || c.BatchSize > MaxBatch {
		c.BatchSize = MaxBatch
	}
	if c.Timeout <= 0 {
		c.Timeout = defaultTimeout
	}
	if c.RepairEvery <= 0 {
		c.RepairEvery = defaultRepairEvery
	}
	if c.RepairAfter <= 0 {
		c.RepairAfter = defaultRepairAfter
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	transport := &http.Transport{
		Proxy:               nil, // a proxy from the environment would dial for us, past the guard
		DialContext:         c.Origins.DialContext(&net.Dialer{Timeout: 5 * time.Second}),
		TLSHandshakeTimeout: 5 * time.Second,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     time.Minute,
	}
	client := &http.Client{
		Transport: transport, Timeout: c.Timeout,
		// A redirect is an answer, not an instruction: following it would
		// take the signed event to a URL nobody checked.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	d := &Dispatcher{
		cfg: c, log: c.Log, db: c.DB, store: NewStore(c.DB, c.Key, c.Origins),
		notifications: notification.NewStore(c.DB), jobs: c.Jobs, client: client,
		now: func() time.Time { return time.Now().UTC() },
	}
	d.retries = d.maxRetries()
	return d
}

// Run works the outbox until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	t := time.NewTicker(d.cfg.Poll)
	defer t.Stop()
	for {
		if err := d.Tick(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("webhook dispatch", "err", err)
		}
		select {
		case <-ctx.Done():
			d.client.CloseIdleConnections()
			return
		case <-t.C:
		}
	}
}

// Tick does one round: announcements, batches, then the hand-over of the
// messages due, and every RepairEvery the repair of those Redis lost.
func (d *Dispatcher) Tick(ctx context.Context) error {
	if err := d.announce(ctx); err != nil {
		return err
	}
	if err := d.batch(ctx); err != nil {
		return err
	}
	if err := d.relay(ctx); err != nil {
		return err
	}
	if now := d.now(); now.Sub(d.repairedAt) >= d.cfg.RepairEvery {
		d.repairedAt = now
		n, err := d.repair(ctx)
		if n > 0 {
			d.log.Warn("webhook messages whose task was lost handed over again", "messages", n)
		}
		return err
	}
	return nil
}

// backoff is the delay after the attempt-th failed attempt: BackoffBase
// doubling each time, capped at BackoffMax, within ±20%.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	return time.Duration(float64(d.nominalDelay(attempt)) * (0.8 + 0.4*rand.Float64()))
}

func (d *Dispatcher) nominalDelay(attempt int) time.Duration {
	shift := attempt - 1
	if shift >= 62 || d.cfg.BackoffBase > d.cfg.BackoffMax>>shift { // the cap, before the shift overflows
		return d.cfg.BackoffMax
	}
	return d.cfg.BackoffBase << shift
}

// maxRetries is how many retries fit in RetryWindow when every delay comes
// out at its shortest: the job queue's limit, so it never gives up before
// the window ends. The window is what ends a message's tries (Deliver);
// the limit is the backstop, at about 39 with the defaults.
func (d *Dispatcher) maxRetries() int {
	n, total := 0, time.Duration(0)
	for total < RetryWindow && n < maxRetryCap {
		n++
		total += d.nominalDelay(n) * 8 / 10
	}
	return n
}

// maxRetryCap bounds maxRetries under test-sized backoffs.
const maxRetryCap = 100_000
