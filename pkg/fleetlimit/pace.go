package fleetlimit

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/metrics"
	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/pushsend"
)

// Pacing defaults.
const (
	// PaceRefresh is how long a worker trusts what it last read of a push
	// service's back-off before it reads Redis again: another worker's
	// back-off reaches this one within it. A worker's own 429s take effect
	// at once.
	PaceRefresh = 250 * time.Millisecond
	// DefaultPause is the back-off a 429 without Retry-After starts.
	DefaultPause = time.Second
	// MaxPause caps one back-off, so a bogus Retry-After cannot stop a
	// push service's traffic for a day.
	MaxPause = time.Hour
	// paceTimeout bounds a Redis call on the send path: pacing fails open.
	paceTimeout = 200 * time.Millisecond
)

// extendPause sets the back-off key to the later of its value and
// ARGV[1] (unix ms), expiring ARGV[2] ms after it, and returns the value
// it holds after.
var extendPause = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local want = tonumber(ARGV[1])
if want > cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return want
end
return cur
`)

// Pace is the fleet's shared back-off per push service: a 429 (or a 503
// with Retry-After) from a service pauses every worker's sends to it until
// the Retry-After has passed, so the fleet stops spending requests and
// retries on a service that asked it to wait, while sends to other
// services go on. It implements the send scheduler's inflight.Pacer.
//
// A built-in service (FCM, autopush, APNs, WNS) is paced as one; any other
// push service by its origin. Each worker keeps what it last read for
// PaceRefresh, so a send costs no Redis round trip.
type Pace struct {
	rdb     redis.UniversalClient
	log     *slog.Logger
	now     func() time.Time
	refresh time.Duration

	mu       sync.Mutex
	entries  map[string]*paceEntry
	backoffs map[pushendpoint.Service]int64 // started or lengthened by this worker
}

type paceEntry struct {
	service    pushendpoint.Service
	until      time.Time // sends wait until then (zero or past: they go)
	checked    time.Time // when until was last read from Redis
	refreshing bool
}

// PaceConfig configures NewPace.
type PaceConfig struct {
	Redis redis.UniversalClient
	Log   *slog.Logger
	// Now is the clock (nil: time.Now); Refresh defaults to PaceRefresh.
	Now     func() time.Time
	Refresh time.Duration
}

// NewPace returns a Pace over c.Redis, which the caller owns.
func NewPace(c PaceConfig) *Pace {
	p := &Pace{rdb: c.Redis, log: c.Log, now: c.Now, refresh: c.Refresh,
		entries: map[string]*paceEntry{}, backoffs: map[pushendpoint.Service]int64{}}
	if p.now == nil {
		p.now = time.Now
	}
	if p.refresh <= 0 {
		p.refresh = PaceRefresh
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	return p
}

// paceKey names the push service an endpoint belongs to for pacing.
func paceKey(endpoint string) (string, pushendpoint.Service) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return string(pushendpoint.Other), pushendpoint.Other
	}
	s := pushendpoint.Classify(u)
	if s != pushendpoint.Other {
		return string(s), s
	}
	return "other:" + u.Scheme + "://" + u.Host, s
}

func redisPaceKey(key string) string { return "herald:pace:{" + key + "}" }

// entry returns the entry of key, creating it; p.mu is held.
func (p *Pace) entry(key string, s pushendpoint.Service) *paceEntry {
	e := p.entries[key]
	if e == nil {
		e = &paceEntry{service: s}
		p.entries[key] = e
	}
	return e
}

// Hold says how long a send to endpoint must wait for its push service's
// back-off (0: send now). It reads Redis at most once per PaceRefresh per
// service, and meanwhile answers from what it last read.
func (p *Pace) Hold(ctx context.Context, endpoint string) time.Duration {
	key, service := paceKey(endpoint)
	now := p.now()
	p.mu.Lock()
	e := p.entry(key, service)
	stale := !e.refreshing && now.Sub(e.checked) >= p.refresh
	if stale {
		e.refreshing = true
	}
	until := e.until
	p.mu.Unlock()
	if stale {
		until = p.read(ctx, key, e, now)
	}
	if wait := until.Sub(now); wait > 0 {
		return wait
	}
	return 0
}

// read refreshes e from Redis and returns its back-off's end.
func (p *Pace) read(ctx context.Context, key string, e *paceEntry, now time.Time) time.Time {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), paceTimeout)
	defer cancel()
	ms, err := p.rdb.Get(ctx, redisPaceKey(key)).Int64()
	p.mu.Lock()
	defer p.mu.Unlock()
	e.refreshing, e.checked = false, now
	switch {
	case err == nil:
		if t := time.UnixMilli(ms); t.After(e.until) {
			e.until = t
		}
	case err != redis.Nil:
		p.log.Warn("read a push service's back-off; sending as if there were none", "service", key, "err", err)
	}
	return e.until
}

// Observe starts or lengthens endpoint's push service's back-off when r
// asks the sender to slow down: a 429, or a 503 with Retry-After.
func (p *Pace) Observe(ctx context.Context, endpoint string, r pushsend.Result) {
	pause, ok := PauseOf(r)
	if !ok {
		return
	}
	key, service := paceKey(endpoint)
	now := p.now()
	until := now.Add(pause)
	p.mu.Lock()
	e := p.entry(key, service)
	// Concurrent 429s of one burst ask for nearly the same end: one write.
	write := until.After(e.until.Add(100 * time.Millisecond))
	if write {
		e.until = until
		p.backoffs[service]++
	}
	p.mu.Unlock()
	if !write {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), paceTimeout)
	defer cancel()
	ms := until.UnixMilli()
	got, err := extendPause.Run(ctx, p.rdb, []string{redisPaceKey(key)},
		strconv.FormatInt(ms, 10), strconv.FormatInt(pause.Milliseconds()+1000, 10)).Int64()
	if err != nil {
		p.log.Warn("share a push service's back-off; only this worker slows down", "service", key, "err", err)
		return
	}
	p.mu.Lock()
	if t := time.UnixMilli(got); t.After(e.until) {
		e.until = t
	}
	p.mu.Unlock()
}

// PauseOf is the back-off a push service's answer asks for: a 429's
// Retry-After (DefaultPause without one), a 503's when it has one; at
// most MaxPause.
func PauseOf(r pushsend.Result) (time.Duration, bool) {
	switch {
	case r.Paced:
		return 0, false
	case r.Status == http.StatusTooManyRequests:
		if r.RetryAfter <= 0 {
			return DefaultPause, true
		}
	case r.Status == http.StatusServiceUnavailable && r.RetryAfter > 0:
	default:
		return 0, false
	}
	return min(r.RetryAfter, MaxPause), true
}

// Pace is each push service's pace as this worker sees it: how long its
// back-off has left (the longest of its origins when paced per origin)
// and how many back-offs this worker started, for metrics.
func (p *Pace) Pace() map[pushendpoint.Service]metrics.ServicePace {
	now := p.now()
	out := map[pushendpoint.Service]metrics.ServicePace{}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.entries {
		f := out[e.service]
		f.Left = max(f.Left, e.until.Sub(now))
		out[e.service] = f
	}
	for s, n := range p.backoffs {
		f := out[s]
		f.Backoffs = n
		out[s] = f
	}
	return out
}
