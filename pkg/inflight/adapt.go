package inflight

import (
	"context"
	"time"
)

// Defaults for Adapter.
const (
	// DefaultTarget is the scheduler latency (see SchedLatency) the Adapter
	// keeps the process under. A message to the critical queue takes about
	// ten scheduler waits in a worker (queue pickup, database round trips,
	// encryption, the request and its answer); 2 ms each keeps the worker's
	// share of an urgent send's 250 ms budget near a tenth of it.
	DefaultTarget = 2 * time.Millisecond
	// DefaultInterval is how often the bound is reconsidered.
	DefaultInterval = 100 * time.Millisecond
	// minSamples is how many sampled scheduler waits (the runtime samples
	// about one in eight) an interval needs for its latency to count. A
	// process that wakes goroutines less often is not short of CPU because
	// of its own sends: its sends wait on the network, and a bound that
	// holds them back should grow.
	minSamples = 50
)

// LatencyFunc reports the scheduler latency since its previous call and how
// many waits it is drawn from.
type LatencyFunc func() (latency time.Duration, samples int)

// Adapter moves a Limiter's bound between Min and Max. Like TCP's slow
// start, the bound should start low (NewLimiter(Min)): a worker that meets
// its first broadcast with Max sends at once is flooded for the second it
// takes to come down, and urgent sends wait through it.
type Adapter struct {
	Limiter  *Limiter
	Min, Max int
	Target   time.Duration // 0: DefaultTarget
	Interval time.Duration // 0: DefaultInterval
	Latency  LatencyFunc   // nil: NewSchedLatency(0.9).Read, or Max if unsupported
}

// Run adapts the bound every Interval until ctx ends.
func (a *Adapter) Run(ctx context.Context) {
	interval := a.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	latency := a.Latency
	if latency == nil {
		s := NewSchedLatency(0.9)
		if !s.Supported() {
			a.Limiter.SetLimit(max(a.Min, a.Max)) // nothing to adapt to: the most
			return
		}
		latency = s.Read
	}
	latency() // start the first interval now
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		lat, samples := latency()
		bound := a.Limiter.takeWaited()
		if samples < minSamples {
			lat = 0
		}
		if next := a.next(a.Limiter.Limit(), lat, bound); next != a.Limiter.Limit() {
			a.Limiter.SetLimit(next)
		}
	}
}

// next is the bound after an interval whose scheduler latency was lat;
// bound says whether the bound held sends back during it. Above the target
// it shrinks in proportion, by an eighth to a half; below half the target
// it grows by an eighth, but only when sends were waiting for it: a bound
// nobody reaches tells nothing about a larger one.
func (a *Adapter) next(limit int, lat time.Duration, bound bool) int {
	target := a.Target
	if target <= 0 {
		target = DefaultTarget
	}
	lo, hi := max(1, a.Min), max(1, a.Min, a.Max)
	switch {
	case lat > target:
		keep := max(0.5, min(0.875, float64(target)/float64(lat)))
		limit = min(limit-1, int(float64(limit)*keep))
	case lat < target/2 && bound:
		limit += max(1, limit/8)
	}
	return min(hi, max(lo, limit))
}
