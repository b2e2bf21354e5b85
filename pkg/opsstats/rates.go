package opsstats

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/pushsend"
)

// Fleet-wide delivery rates live in Redis as one hash per bucket of
// BucketSeconds, fields "<result>:<status or error>" counting sends. Every
// worker adds its own counts once a second, so the API and the dashboard see
// the whole fleet without scraping each worker.
const (
	BucketSeconds = 5
	keepBuckets   = 15 * 60 / BucketSeconds // 15 minutes
	keyPrefix     = "herald:ops:rates:"
)

func bucketOf(t time.Time) int64 { return t.Unix() / BucketSeconds * BucketSeconds }

// RateRecorder counts a worker's sends in memory and flushes them to Redis
// every second. It implements delivery.Observer.
type RateRecorder struct {
	rdb redis.UniversalClient

	mu      sync.Mutex
	pending map[int64]map[string]int64
}

// NewRateRecorder records into rdb.
func NewRateRecorder(rdb redis.UniversalClient) *RateRecorder {
	return &RateRecorder{rdb: rdb, pending: map[int64]map[string]int64{}}
}

// Reason is the field a send is counted under: "delivered:201", "retry:503",
// "retry:error" (no response), "failed:403", "gone:410".
func Reason(r pushsend.Result) string {
	code := "error"
	if r.Status != 0 {
		code = strconv.Itoa(r.Status)
	}
	return r.Outcome.String() + ":" + code
}

// Sent counts one send.
func (r *RateRecorder) Sent(res pushsend.Result) { r.add(Reason(res), 1) }

// Gated counts messages the delivery gates held back or made wait, as
// "capped:cap", "waiting:quiet_hours", "waiting:throttle" or
// "waiting:paced" (delivery.GateObserver).
func (r *RateRecorder) Gated(reason string, _ pushendpoint.Service, n int) {
	field := "waiting:" + reason
	if reason == "capped" {
		field = "capped:cap"
	}
	r.add(field, int64(n))
}

// add counts n under field in the current bucket.
func (r *RateRecorder) add(field string, n int64) {
	b := bucketOf(time.Now())
	r.mu.Lock()
	m := r.pending[b]
	if m == nil {
		m = map[string]int64{}
		r.pending[b] = m
	}
	m[field] += n
	r.mu.Unlock()
}

// Run flushes every second until ctx ends, then flushes once more.
func (r *RateRecorder) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			_ = r.Flush(final)
			cancel()
			return
		case <-t.C:
			_ = r.Flush(ctx) // a failed flush keeps its counts for the next one
		}
	}
}

// Flush writes the counts gathered so far.
func (r *RateRecorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	batch := r.pending
	r.pending = map[int64]map[string]int64{}
	r.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for b, fields := range batch {
			key := keyPrefix + strconv.FormatInt(b, 10)
			for f, n := range fields {
				p.HIncrBy(ctx, key, f, n)
			}
			p.Expire(ctx, key, keepBuckets*BucketSeconds*time.Second+time.Minute)
		}
		return nil
	})
	if err != nil {
		r.mu.Lock()
		for b, fields := range batch {
			if r.pending[b] == nil {
				r.pending[b] = map[string]int64{}
			}
			for f, n := range fields {
				r.pending[b][f] += n
			}
		}
		r.mu.Unlock()
		return fmt.Errorf("flush delivery rates: %w", err)
	}
	return nil
}

// Point is one bucket: sends by reason, and per-result totals.
type Point struct {
	T         int64 // bucket start, unix seconds
	Delivered int64
	Gone      int64
	Retry     int64
	Failed    int64
	Reasons   map[string]int64 // everything but delivered
}

// Rates reads the buckets of the last 15 minutes, cached.
type Rates struct {
	rdb    redis.UniversalClient
	series *cached[[]Point]
}

// NewRates reads from rdb, caching for ttl.
func NewRates(rdb redis.UniversalClient, ttl time.Duration) *Rates {
	r := &Rates{rdb: rdb}
	r.series = newCached(ttl, r.load)
	return r
}

// Series returns one point per complete bucket of the last 15 minutes,
// oldest first; buckets with no sends are zero.
func (r *Rates) Series(ctx context.Context) ([]Point, error) {
	p, _, err := r.series.get(ctx)
	return p, err
}

// Summary is the average rate per second over the last minute.
type Summary struct {
	WindowSeconds      int
	DeliveredPerSecond float64
	GonePerSecond      float64
	RetryPerSecond     float64
	FailedPerSecond    float64
}

// LastMinute summarises the newest minute of the series.
func LastMinute(points []Point) Summary {
	const window = 60
	s := Summary{WindowSeconds: window}
	n := window / BucketSeconds
	if len(points) > n {
		points = points[len(points)-n:]
	}
	for _, p := range points {
		s.DeliveredPerSecond += float64(p.Delivered) / window
		s.GonePerSecond += float64(p.Gone) / window
		s.RetryPerSecond += float64(p.Retry) / window
		s.FailedPerSecond += float64(p.Failed) / window
	}
	return s
}

func (r *Rates) load(ctx context.Context) ([]Point, error) {
	last := bucketOf(time.Now()) - BucketSeconds // the current bucket is still filling
	first := last - (keepBuckets-1)*BucketSeconds
	cmds := make([]*redis.MapStringStringCmd, 0, keepBuckets)
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for b := first; b <= last; b += BucketSeconds {
			cmds = append(cmds, p.HGetAll(ctx, keyPrefix+strconv.FormatInt(b, 10)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read delivery rates: %w", err)
	}
	out := make([]Point, 0, len(cmds))
	for i, cmd := range cmds {
		p := Point{T: first + int64(i)*BucketSeconds}
		for field, v := range cmd.Val() {
			n, _ := strconv.ParseInt(v, 10, 64)
			result, _, _ := strings.Cut(field, ":")
			switch result {
			case "delivered":
				p.Delivered += n
				continue
			case "gone":
				p.Gone += n
			case "retry":
				p.Retry += n
			case "failed":
				p.Failed += n
			}
			if p.Reasons == nil {
				p.Reasons = map[string]int64{}
			}
			p.Reasons[field] += n
		}
		out = append(out, p)
	}
	return out, nil
}
