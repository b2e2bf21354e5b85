package fleetlimit

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/pushsend"
)

// clock is a controlled clock several Paces share.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func paces(t *testing.T, n int, c *clock) []*Pace {
	t.Helper()
	var out []*Pace
	for _, rdb := range redisClients(t, n) {
		out = append(out, NewPace(PaceConfig{Redis: rdb, Now: c.now}))
	}
	return out
}

// A 429 with Retry-After seen by one worker holds every worker's sends to
// that push service (the others within PaceRefresh), for as long as it
// asked and no longer; another push service, and answers that do not ask
// to slow down, hold nothing.
func TestPaceSharedAcrossWorkers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{t: time.Now().Truncate(time.Millisecond)}
	p := paces(t, 2, c)
	slow, other := "https://push.slow.example/p/1", "https://push.other.example/p/2"
	fcm := "https://fcm.googleapis.com/fcm/send/abc"
	for _, url := range []string{slow, other, fcm} {
		if p[1].Hold(ctx, url) != 0 {
			t.Fatalf("%s held before any back-off", url)
		}
	}
	for _, r := range []pushsend.Result{
		{Status: http.StatusServiceUnavailable},                                    // no Retry-After
		{Status: http.StatusInternalServerError, RetryAfter: 5 * time.Second},      // not a pacing answer
		{Status: http.StatusTooManyRequests, RetryAfter: time.Minute, Paced: true}, // never sent
	} {
		p[0].Observe(ctx, slow, r)
	}
	c.add(PaceRefresh)
	if p[1].Hold(ctx, slow) != 0 || p[0].Hold(ctx, slow) != 0 {
		t.Fatal("answers that do not ask to slow down held sends")
	}

	p[0].Observe(ctx, slow, pushsend.Result{Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Second})
	if got := p[0].Hold(ctx, slow); got != 2*time.Second {
		t.Fatalf("the worker that saw the 429 holds %s, want 2s", got)
	}
	c.add(PaceRefresh)
	if got := p[1].Hold(ctx, slow); got != 2*time.Second-PaceRefresh {
		t.Fatalf("another worker holds %s, want %s", got, 2*time.Second-PaceRefresh)
	}
	if p[1].Hold(ctx, other) != 0 || p[0].Hold(ctx, other) != 0 || p[1].Hold(ctx, fcm) != 0 {
		t.Fatal("another push service is held")
	}
	if f := p[1].Pace()[pushendpoint.Other]; f.Left != 2*time.Second-PaceRefresh || f.Backoffs != 0 {
		t.Fatalf("pace seen by the second worker: %+v", f)
	}
	if f := p[0].Pace()[pushendpoint.Other]; f.Backoffs != 1 {
		t.Fatalf("pace seen by the first worker: %+v", f)
	}

	// A shorter Retry-After never shortens a back-off in force; a 503
	// with Retry-After lengthens it; a built-in service is paced as one.
	p[1].Observe(ctx, slow, pushsend.Result{Status: http.StatusTooManyRequests, RetryAfter: time.Second})
	p[1].Observe(ctx, "https://fcm.googleapis.com/fcm/send/xyz", pushsend.Result{Status: http.StatusServiceUnavailable, RetryAfter: 3 * time.Second})
	c.add(PaceRefresh)
	if got := p[0].Hold(ctx, slow); got != 2*time.Second-2*PaceRefresh {
		t.Fatalf("after a shorter Retry-After: held %s", got)
	}
	if got := p[0].Hold(ctx, fcm); got != 3*time.Second-PaceRefresh {
		t.Fatalf("FCM held %s, want %s", got, 3*time.Second-PaceRefresh)
	}
	c.add(2 * time.Second)
	if p[0].Hold(ctx, slow) != 0 || p[1].Hold(ctx, slow) != 0 {
		t.Fatal("still held after the Retry-After passed")
	}
	// A 429 without Retry-After pauses DefaultPause.
	p[0].Observe(ctx, other, pushsend.Result{Status: http.StatusTooManyRequests})
	if got := p[0].Hold(ctx, other); got != DefaultPause {
		t.Fatalf("429 without Retry-After: held %s, want %s", got, DefaultPause)
	}
}
