package subscription

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/segment"
)

// Bounds of a segment preview: the count stops at MaxPreviewCount (the
// answer is then "at least"), a query runs at most previewTimeout, and an
// answer is kept previewTTL per app and canonical expression, so a sender
// checking a segment again and again costs one count.
const (
	MaxPreviewCount = 1_000_000
	previewTimeout  = 5 * time.Second
	previewTTL      = 30 * time.Second
	previewEntries  = 10_000
)

// ErrPreviewTimeout is returned when a count takes longer than its bound.
var ErrPreviewTimeout = fault.Unavailable("preview_timeout", "counting this segment took too long; try again, or send: the fan-out does not need a count")

// Preview is a segment's audience size at a moment.
type Preview struct {
	Count  int64 // at most MaxPreviewCount
	Cached bool
	At     time.Time
}

// SegmentCounter counts segment audiences for previews, with a cache.
type SegmentCounter struct {
	store *Store
	now   func() time.Time

	mu    sync.Mutex
	cache map[string]Preview
}

// NewSegmentCounter counts over store.
func NewSegmentCounter(store *Store) *SegmentCounter {
	return &SegmentCounter{store: store, now: time.Now, cache: map[string]Preview{}}
}

// Preview counts the app's active subscriptions in the segment.
func (c *SegmentCounter) Preview(ctx context.Context, appID string, expr *segment.Node) (Preview, error) {
	key := appID + "\x00" + expr.String()
	now := c.now()
	c.mu.Lock()
	p, ok := c.cache[key]
	c.mu.Unlock()
	if ok && now.Sub(p.At) < previewTTL {
		p.Cached = true
		return p, nil
	}
	qctx, cancel := context.WithTimeout(ctx, previewTimeout)
	defer cancel()
	n, err := c.store.CountAudience(qctx, Audience{AppID: appID, Kind: AudienceSegment, Segment: expr}, MaxPreviewCount)
	if err != nil {
		if errors.Is(qctx.Err(), context.DeadlineExceeded) {
			return Preview{}, ErrPreviewTimeout
		}
		return Preview{}, err
	}
	p = Preview{Count: n, At: now}
	c.mu.Lock()
	if len(c.cache) >= previewEntries {
		for k, e := range c.cache {
			if now.Sub(e.At) >= previewTTL {
				delete(c.cache, k)
			}
		}
		if len(c.cache) >= previewEntries {
			clear(c.cache)
		}
	}
	c.cache[key] = p
	c.mu.Unlock()
	return p, nil
}
