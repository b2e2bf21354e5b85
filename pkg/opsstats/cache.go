package opsstats

import (
	"context"
	"sync"
	"time"
)

// refreshTimeout bounds one background refresh.
const refreshTimeout = 10 * time.Second

// cached holds a value loaded at most once per ttl. A stale value is served
// at once while one background refresh replaces it, so a caller never waits
// for a slow query once the first load is done. A value older than maxAge
// whose refresh fails gives way to the refresh error.
type cached[T any] struct {
	ttl    time.Duration
	maxAge time.Duration
	load   func(context.Context) (T, error)

	first sync.Mutex // serialises the synchronous first load

	mu         sync.Mutex
	val        T
	ok         bool
	at         time.Time
	err        error // of the last refresh
	refreshing bool
	wg         sync.WaitGroup
}

func newCached[T any](ttl time.Duration, load func(context.Context) (T, error)) *cached[T] {
	return &cached[T]{ttl: ttl, maxAge: max(6*ttl, 30*time.Second), load: load}
}

// get returns the value and when it was loaded.
func (c *cached[T]) get(ctx context.Context) (T, time.Time, error) {
	if v, at, err, ok := c.current(); ok {
		return v, at, err
	}
	c.first.Lock()
	defer c.first.Unlock()
	if v, at, err, ok := c.current(); ok {
		return v, at, err
	}
	v, err := c.load(ctx)
	if err != nil {
		var zero T
		return zero, time.Time{}, err
	}
	now := time.Now()
	c.mu.Lock()
	c.val, c.ok, c.at, c.err = v, true, now, nil
	c.mu.Unlock()
	return v, now, nil
}

// current returns the held value if there is one, starting a refresh when
// it is stale.
func (c *cached[T]) current() (v T, at time.Time, err error, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ok {
		return v, at, nil, false
	}
	age := time.Since(c.at)
	if age >= c.ttl && !c.refreshing {
		c.refreshing = true
		c.wg.Add(1)
		go c.refresh()
	}
	if age > c.maxAge && c.err != nil {
		return v, at, c.err, true
	}
	return c.val, c.at, nil, true
}

func (c *cached[T]) refresh() {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
	defer cancel()
	v, err := c.load(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refreshing = false
	c.err = err
	if err == nil {
		c.val, c.at = v, time.Now()
	}
}

// wait blocks until a running refresh is done.
func (c *cached[T]) wait() { c.wg.Wait() }
