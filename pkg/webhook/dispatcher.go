package webhook

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
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
	defaultParallel    = 16
	claimLimit         = 64
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
	// BackoffBase is the first retry's delay; it doubles each attempt (with
	// jitter) up to BackoffMax. Zero: the defaults.
	BackoffBase, BackoffMax time.Duration
	// Poll is how often the outbox is looked at (default 250 ms);
	// BatchEvery how often an endpoint gets an engagement batch (1 s).
	Poll, BatchEvery time.Duration
	Timeout          time.Duration // per request (10 s)
	BatchSize        int           // most events a batch carries (MaxBatch)
}

// Dispatcher delivers the outbox: it announces completed notifications,
// batches engagement and makes the requests, retrying failures with
// backoff. Every worker runs one; they share the work through row locks.
type Dispatcher struct {
	cfg           DispatcherConfig
	log           *slog.Logger
	db            *database.DB
	store         *Store
	notifications *notification.Store
	client        *http.Client
	now           func() time.Time
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
	return &Dispatcher{
		cfg: c, log: c.Log, db: c.DB, store: NewStore(c.DB, c.Key, c.Origins),
		notifications: notification.NewStore(c.DB), client: client,
		now: func() time.Time { return time.Now().UTC() },
	}
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

// Tick does one round: announcements, batches, then the requests due.
func (d *Dispatcher) Tick(ctx context.Context) error {
	if err := d.announce(ctx); err != nil {
		return err
	}
	if err := d.batch(ctx); err != nil {
		return err
	}
	return d.deliverDue(ctx)
}

// backoff is the delay after the attempt-th failed attempt: BackoffBase
// doubling each time, capped at BackoffMax, within ±20%.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	delay := d.cfg.BackoffMax
	if attempt < 40 {
		delay = min(d.cfg.BackoffBase<<(attempt-1), d.cfg.BackoffMax)
	}
	return time.Duration(float64(delay) * (0.8 + 0.4*rand.Float64()))
}

// deliverDue claims the messages due and sends them, a few at a time.
func (d *Dispatcher) deliverDue(ctx context.Context) error {
	for {
		msgs, err := d.store.claimDue(ctx, claimLimit, d.cfg.Timeout+20*time.Second)
		if err != nil || len(msgs) == 0 {
			return err
		}
		endpoints, err := d.store.endpointsByID(ctx, msgs)
		if err != nil {
			return err
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, defaultParallel)
		for i := range msgs {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				d.deliver(ctx, &msgs[i], endpoints[msgs[i].EndpointID])
			})
		}
		wg.Wait()
		if len(msgs) < claimLimit || ctx.Err() != nil {
			return ctx.Err()
		}
	}
}
