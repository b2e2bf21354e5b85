package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// benchSegment names three topics and, with the topics seedTopics gives,
// holds every subscription: its fan-out walks the same audience as
// `all`, so the two times compare the queries alone.
const benchSegment = "news && (de || at)"

// fanoutRuns is how many fan-outs of each target the comparison
// alternates; each side reports its median.
const fanoutRuns = 3

// targetingResult compares a segment's fan-out with `all`'s and
// deliveries with frequency caps on and off (BENCH_TARGETING, on unless 0).
type targetingResult struct {
	Workers              int       `json:"workers"`
	Segment              string    `json:"segment"`
	FanoutAllSeconds     []float64 `json:"fanout_all_seconds"`
	FanoutSegmentSeconds []float64 `json:"fanout_segment_seconds"`
	// FanoutRatio is the segment's median fan-out time over all's.
	FanoutRatio float64 `json:"fanout_ratio"`
	// Caps: one broadcast each, caps off then on, the same audience.
	CapsOffPerSec float64 `json:"caps_off_deliveries_per_second"`
	CapsOnPerSec  float64 `json:"caps_on_deliveries_per_second"`
	CapsRatio     float64 `json:"caps_on_over_off"`
}

// runTargeting gives every subscription topics, times fanoutRuns fan-outs
// of `all` and of benchSegment in turn (each cancelled once fanned out,
// its queue flushed), then delivers one broadcast with no frequency cap
// and one under a per-user cap nobody reaches (every message checked in
// Redis, none capped).
func (b *bench) runTargeting(ctx context.Context, workers int) (*targetingResult, error) {
	if err := seedTopics(ctx, b.dbURL, b.api.appID); err != nil {
		return nil, err
	}
	t := &targetingResult{Workers: workers, Segment: benchSegment}
	for range fanoutRuns {
		for _, target := range []map[string]any{{"all": true}, {"segment": benchSegment}} {
			s, err := b.fanoutOnly(ctx, workers, target)
			if err != nil {
				return nil, fmt.Errorf("fan-out of %v: %w", target, err)
			}
			slog.Info("fan-out", "target", target, "seconds", s)
			if target["all"] != nil {
				t.FanoutAllSeconds = append(t.FanoutAllSeconds, s)
			} else {
				t.FanoutSegmentSeconds = append(t.FanoutSegmentSeconds, s)
			}
		}
	}
	if all := median(t.FanoutAllSeconds); all > 0 {
		t.FanoutRatio = median(t.FanoutSegmentSeconds) / all
	}
	for _, caps := range []any{nil, []map[string]any{{"per": "user", "max": 100_000, "window": "1h"}}} {
		if err := b.api.patchApp(ctx, map[string]any{"frequency_caps": caps}); err != nil {
			return nil, err
		}
		slog.Info("broadcast", "frequency_caps", caps != nil, "workers", workers)
		r, err := b.runRound(ctx, workers, broadcastBody(map[string]any{"all": true}))
		if err != nil {
			return nil, err
		}
		if caps == nil {
			t.CapsOffPerSec = r.DeliveriesPerSec
		} else {
			t.CapsOnPerSec = r.DeliveriesPerSec
		}
	}
	if err := b.api.patchApp(ctx, map[string]any{"frequency_caps": nil}); err != nil {
		return nil, err
	}
	if t.CapsOffPerSec > 0 {
		t.CapsRatio = t.CapsOnPerSec / t.CapsOffPerSec
	}
	return t, nil
}

// fanoutOnly sends a broadcast to target, waits until its fan-out is done
// and returns how long that took from its acceptance; then cancels it and
// flushes the queues, so that nothing of it slows the next.
func (b *bench) fanoutOnly(ctx context.Context, workers int, target map[string]any) (float64, error) {
	if err := b.redis.flush(ctx, 0); err != nil {
		return 0, err
	}
	procs, err := b.startWorkers(ctx, workers)
	defer stopAll(procs)
	if err != nil {
		return 0, err
	}
	conn, err := pgx.Connect(ctx, b.dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	id, err := b.api.notify(ctx, broadcastBody(target))
	if err != nil {
		return 0, err
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		st, err := readNotification(ctx, conn, id)
		if err != nil {
			return 0, err
		}
		if st.FanoutDone {
			seconds := time.Since(st.CreatedAt).Seconds()
			if err := b.api.cancel(ctx, id); err != nil {
				return 0, err
			}
			return seconds, b.redis.flush(ctx, 0)
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("fan-out not done after 5 minutes: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// seedTopics gives each of the app's subscriptions the topic news, and de
// or at in turn (one INSERT ... SELECT each, as an import would leave them).
func seedTopics(ctx context.Context, dbURL, appID string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	start := time.Now()
	for _, q := range []string{
		`INSERT INTO subscription_topics (subscription_id, app_id, topic) SELECT id, app_id, 'news' FROM subscriptions WHERE app_id = $1 ON CONFLICT DO NOTHING`,
		`INSERT INTO subscription_topics (subscription_id, app_id, topic)
			SELECT id, app_id, CASE WHEN row_number() OVER (ORDER BY id) % 2 = 0 THEN 'de' ELSE 'at' END FROM subscriptions WHERE app_id = $1
			ON CONFLICT DO NOTHING`,
	} {
		if _, err := conn.Exec(ctx, q, appID); err != nil {
			return fmt.Errorf("seed topics: %w", err)
		}
	}
	// VACUUM as well as ANALYZE: right after a bulk load no page is marked
	// all-visible yet, so every index probe also visits its table row
	// (and sets its hint bits) until autovacuum has passed; a segment's
	// 2.5 probes a row paid that 2.5 times, all's walk once. The fan-outs
	// are compared as they run once autovacuum has caught up.
	for _, table := range []string{"subscriptions", "subscription_topics"} {
		if _, err := conn.Exec(ctx, "VACUUM (ANALYZE) "+table); err != nil {
			return err
		}
	}
	slog.Info("seeded topics (news, and de or at)", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}

// patchApp changes the benchmark app's settings (PATCH /v1/apps/{id}).
func (a *api) patchApp(ctx context.Context, body map[string]any) error {
	return doJSON(ctx, "PATCH", a.base+"/v1/apps/"+a.appID, a.adminToken, body, nil, http.StatusOK)
}

// cancel cancels a notification (DELETE /v1/notifications/{id}); one
// that completed first (a small BENCH_N) answers 409, which is as good.
func (a *api) cancel(ctx context.Context, id string) error {
	err := doJSON(ctx, "DELETE", a.base+"/v1/notifications/"+id, a.apiKey, nil, nil, http.StatusOK)
	if err != nil && doJSON(ctx, "DELETE", a.base+"/v1/notifications/"+id, a.apiKey, nil, nil, http.StatusConflict) == nil {
		return nil
	}
	return err
}

// targets are the targeting figures against their limits.
func (t *targetingResult) targets(scope string) []target {
	return []target{
		{Name: "segment fan-out / all (3 topics, same audience)", Value: t.FanoutRatio, Limit: "< 2", Pass: t.FanoutRatio > 0 && t.FanoutRatio < 2, Scope: scope},
		{Name: "deliveries/s caps on / off", Value: t.CapsRatio, Limit: ">= 0.9", Pass: t.CapsRatio >= 0.9, Scope: scope},
	}
}

func (t *targetingResult) print(out io.Writer) {
	fmt.Fprintf(out, "targeting (%d workers): fan-out of %q %.2f s vs all %.2f s (medians of %d, ratio %.2f); deliveries/s with caps %.0f vs without %.0f (ratio %.3f)\n",
		t.Workers, t.Segment, median(t.FanoutSegmentSeconds), median(t.FanoutAllSeconds), fanoutRuns, t.FanoutRatio,
		t.CapsOnPerSec, t.CapsOffPerSec, t.CapsRatio)
}
