package inflight

import (
	"math"
	"runtime/metrics"
	"time"
)

const schedLatencies = "/sched/latencies:seconds"

// SchedLatency reads how long goroutines of this process waited, ready to
// run, for the Go scheduler: the runtime's cumulative histogram, taken as
// the difference between two reads. It is not safe for concurrent use.
type SchedLatency struct {
	quantile float64
	sample   []metrics.Sample
	prev     []uint64
}

// NewSchedLatency reads the given quantile (0 < q <= 1) of the waits.
func NewSchedLatency(q float64) *SchedLatency {
	return &SchedLatency{quantile: q, sample: []metrics.Sample{{Name: schedLatencies}}}
}

// Supported reports whether this runtime keeps the histogram.
func (s *SchedLatency) Supported() bool {
	for _, d := range metrics.All() {
		if d.Name == schedLatencies {
			return d.Kind == metrics.KindFloat64Histogram
		}
	}
	return false
}

// Read returns the quantile of the waits since the previous Read (since the
// process started, the first time) and how many there were. The runtime's
// buckets are a few percent wide; the bucket's upper bound is returned.
func (s *SchedLatency) Read() (time.Duration, int) {
	metrics.Read(s.sample)
	if s.sample[0].Value.Kind() != metrics.KindFloat64Histogram {
		return 0, 0 // not in this runtime
	}
	h := s.sample[0].Value.Float64Histogram()
	if len(s.prev) != len(h.Counts) {
		s.prev = make([]uint64, len(h.Counts))
	}
	// prev becomes this interval's counts for quantile, then the running
	// totals again.
	var total uint64
	for i, c := range h.Counts {
		s.prev[i] = c - s.prev[i]
		total += s.prev[i]
	}
	q := quantile(s.prev, h.Buckets, total, s.quantile)
	copy(s.prev, h.Counts)
	return q, int(total)
}

// quantile of a histogram whose bucket i spans buckets[i] to buckets[i+1].
func quantile(counts []uint64, buckets []float64, total uint64, q float64) time.Duration {
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen >= rank {
			upper := buckets[i+1]
			if math.IsInf(upper, 1) {
				upper = buckets[i]
			}
			return time.Duration(upper * float64(time.Second))
		}
	}
	return time.Duration(buckets[len(buckets)-1] * float64(time.Second))
}
