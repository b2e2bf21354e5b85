package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// roundResult is one broadcast with a given number of worker processes.
type roundResult struct {
	Workers          int       `json:"workers"`
	Targeted         int64     `json:"targeted"`
	Delivered        int64     `json:"delivered_main_sim"`
	Rejected         int64     `json:"rejected"`
	FanoutSeconds    float64   `json:"fanout_seconds"`
	CompleteSeconds  float64   `json:"complete_seconds"`
	DeliveriesPerSec float64   `json:"deliveries_per_second"`
	LatencyMs        latencies `json:"latency_ms"`
	UrgentLatencyMs  latencies `json:"urgent_latency_ms"`
	// UrgentFanoutLatencyMs: the urgent notifications posted before the
	// broadcast's fan-out was done.
	UrgentFanoutLatencyMs latencies `json:"urgent_latency_during_fanout_ms"`
	WorkerCPUSeconds      float64   `json:"worker_cpu_seconds"`
	WorkerCPUPer1000      float64   `json:"worker_cpu_seconds_per_1000"`
	WorkerPeakRSS         []int64   `json:"worker_peak_rss_bytes"`
	APIPeakRSS            int64     `json:"api_peak_rss_bytes"`
	RedisPeakBytes        int64     `json:"redis_peak_used_memory_bytes"`
	RedisBaselineBytes    int64     `json:"redis_baseline_used_memory_bytes"`
	fanoutDoneAt          time.Time
}

type latencies struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func summarize(ms []float64) latencies {
	if len(ms) == 0 {
		return latencies{}
	}
	slices.Sort(ms)
	at := func(q float64) float64 { return ms[min(len(ms)-1, int(q*float64(len(ms))))] }
	return latencies{N: len(ms), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: ms[len(ms)-1]}
}

// runRound starts `workers` worker processes, sends one broadcast (the
// body given, to every subscription) and, while it runs, urgent notifications to single
// subscriptions; then measures and stops the workers.
func (b *bench) runRound(ctx context.Context, workers int, body map[string]any) (*roundResult, error) {
	if err := b.redis.flush(ctx, 0); err != nil {
		return nil, err
	}
	for _, s := range []sim{b.main, b.probe} {
		if err := s.resetStats(ctx); err != nil {
			return nil, err
		}
	}
	procs, err := b.startWorkers(ctx, workers)
	defer stopAll(procs)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, b.dbURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	rdb := b.redis.client(0)
	defer rdb.Close()

	cpu0 := make([]float64, workers)
	for i, p := range procs {
		cpu0[i], _ = cpuSeconds(p.pid())
	}
	baseline, _ := usedMemory(ctx, rdb)
	r := &roundResult{Workers: workers, RedisBaselineBytes: baseline, RedisPeakBytes: baseline}
	stopSampling := make(chan struct{})
	var sampling sync.WaitGroup
	sampling.Go(func() {
		for {
			if m, err := usedMemory(ctx, rdb); err == nil && m > r.RedisPeakBytes {
				r.RedisPeakBytes = m
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})

	id, err := b.api.notify(ctx, body)
	if err != nil {
		close(stopSampling)
		return nil, fmt.Errorf("broadcast: %w", err)
	}
	b.broadcastID = id
	profileDone := b.startProfile(ctx, workers)
	b.broadcastRunning.Store(true)
	urgentDone := make(chan struct{})
	var urgent []sent
	go func() { defer close(urgentDone); urgent = b.sendUrgent(ctx, workers) }()

	st, err := b.waitComplete(ctx, conn, id, r)
	b.broadcastRunning.Store(false)
	<-urgentDone
	close(stopSampling)
	sampling.Wait()
	<-profileDone
	if err != nil {
		return nil, err
	}
	r.Targeted = st.Targeted
	b.payload = st.Payload
	for i, p := range procs {
		c, _ := cpuSeconds(p.pid())
		r.WorkerCPUSeconds += c - cpu0[i]
		rss, _ := peakRSS(p.pid())
		r.WorkerPeakRSS = append(r.WorkerPeakRSS, rss)
	}
	r.APIPeakRSS, _ = peakRSS(b.apiProc.pid())
	stats, err := b.main.stats(ctx)
	if err != nil {
		return nil, err
	}
	probeStats, _ := b.probe.stats(ctx)
	r.Delivered, r.Rejected = stats.Delivered, stats.RejectedTotal+probeStats.RejectedTotal
	if d := stats.LastDelivery.Sub(stats.FirstDelivery).Seconds(); d > 0 {
		r.DeliveriesPerSec = float64(stats.Delivered) / d
	}
	total := float64(stats.Delivered + probeStats.Delivered)
	if total > 0 {
		r.WorkerCPUPer1000 = r.WorkerCPUSeconds / total * 1000
	}
	broadcast := make([]sent, len(b.probeSubs))
	for i, s := range b.probeSubs {
		broadcast[i] = sent{notificationID: id, sub: s}
	}
	r.LatencyMs = summarize(millis(b.latencies(ctx, conn, broadcast), nil))
	urgentMs := b.latencies(ctx, conn, urgent)
	r.UrgentLatencyMs = summarize(millis(urgentMs, nil))
	r.UrgentFanoutLatencyMs = summarize(millis(urgentMs, func(s sent) bool { return s.at.Before(r.fanoutDoneAt) }))
	return r, nil
}

// startWorkers starts workers herald-worker processes and waits until
// each is ready; the caller stops them (stopAll), even after an error.
func (b *bench) startWorkers(ctx context.Context, workers int) ([]*proc, error) {
	var procs []*proc
	for i := range workers {
		addr, err := freeAddr()
		if err != nil {
			return procs, err
		}
		env := append(slices.Clone(b.heraldEnv), "HERALD_WORKER_ADDR="+addr)
		if i == 0 && b.cfg.pprofDir != "" {
			env = append(env, "HERALD_PPROF=1")
		}
		p, err := startProc(b.dir, fmt.Sprintf("worker-%d-%d", workers, i), b.bin("herald-worker"), env)
		if err != nil {
			return procs, err
		}
		procs = append(procs, p)
		if err := p.waitHTTP(ctx, "http://"+addr+"/readyz", time.Minute); err != nil {
			return procs, err
		}
		if i == 0 {
			b.workerAddr = addr
		}
	}
	return procs, nil
}

func stopAll(procs []*proc) {
	for _, p := range procs {
		p.stop(30 * time.Second)
	}
}

// waitComplete polls the notification until it is completed, noting when
// its fan-out finished.
func (b *bench) waitComplete(ctx context.Context, conn *pgx.Conn, id string, r *roundResult) (notificationState, error) {
	timeout := time.Duration(max(300, b.cfg.n/200)) * time.Second
	deadline := time.Now().Add(timeout)
	lastLog := time.Now()
	for {
		st, err := readNotification(ctx, conn, id)
		if err != nil {
			return st, err
		}
		now := time.Now()
		if st.FanoutDone && r.FanoutSeconds == 0 {
			r.FanoutSeconds = now.Sub(st.CreatedAt).Seconds()
			r.fanoutDoneAt = now
		}
		if st.Status == "completed" {
			r.CompleteSeconds = now.Sub(st.CreatedAt).Seconds()
			return st, nil
		}
		if now.After(deadline) {
			return st, fmt.Errorf("broadcast not completed after %s: %+v", timeout, st)
		}
		if now.Sub(lastLog) > 10*time.Second {
			slog.Info("broadcast running", "targeted", st.Targeted, "final", st.Final, "fanout_done", st.FanoutDone)
			lastLog = now
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sendUrgent sends `urgency: high` notifications, each to one subscription
// (the urgent subscriptions in turn), every 200 ms while the broadcast runs.
func (b *bench) sendUrgent(ctx context.Context, workers int) []sent {
	var out []sent
	time.Sleep(300 * time.Millisecond)
	for i := 0; len(b.urgentSubs) > 0 && b.broadcastRunning.Load(); i++ {
		sub := b.urgentSubs[i%len(b.urgentSubs)]
		at := time.Now()
		id, err := b.api.notify(ctx, map[string]any{
			"target": map[string]any{"subscription_ids": []string{sub.heraldID}}, "urgency": "high", "ttl": 60,
			"notification": map[string]any{"title": "Your code", "body": "Sign-in code " + strconv.Itoa(100000+i) + " (" + strconv.Itoa(workers) + " workers)"},
		})
		if err != nil {
			slog.Warn("urgent notification", "err", err)
			continue
		}
		out = append(out, sent{notificationID: id, sub: sub, at: at})
		time.Sleep(200 * time.Millisecond)
	}
	return out
}

// sent is one notification to one subscription on the probe simulator.
type sent struct {
	notificationID string
	sub            probeSub
	at             time.Time // when it was posted (urgent ones)
}

// measured is a sent message and its latency: its delivery time on the
// probe simulator minus its notification's created_at, in ms.
type measured struct {
	sent
	ms float64
}

// latencies measures each sent message. It waits up to 10 s for late
// deliveries; missing ones are left out (and counted by n).
func (b *bench) latencies(ctx context.Context, conn *pgx.Conn, msgs []sent) []measured {
	created := map[string]time.Time{}
	var out []measured
	deadline := time.Now().Add(10 * time.Second)
	for _, m := range msgs {
		if _, ok := created[m.notificationID]; !ok {
			st, err := readNotification(ctx, conn, m.notificationID)
			if err != nil {
				continue
			}
			created[m.notificationID] = st.CreatedAt
		}
		for {
			ds, _ := b.probe.deliveries(ctx, m.sub.simID)
			if at, ok := deliveredAt(ds, m.notificationID); ok {
				out = append(out, measured{sent: m, ms: float64(at.Sub(created[m.notificationID]).Microseconds()) / 1000})
				break
			}
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return out
}

// millis is the latencies of the messages keep accepts (all when nil).
func millis(ms []measured, keep func(sent) bool) []float64 {
	var out []float64
	for _, m := range ms {
		if keep == nil || keep(m.sent) {
			out = append(out, m.ms)
		}
	}
	return out
}

func deliveredAt(ds []simDelivery, notificationID string) (time.Time, bool) {
	for _, d := range ds {
		if d.Payload != nil && strings.Contains(*d.Payload, notificationID) {
			return d.At, true
		}
	}
	return time.Time{}, false
}

// samplePayload is the payload Herald stores for the broadcast's content:
// what the floor and BullMQ send. It posts such a notification and cancels it.
func (b *bench) samplePayload(ctx context.Context) (string, error) {
	id, err := b.api.notify(ctx, broadcastBody(map[string]any{"subscription_ids": []string{b.urgentSubs[0].heraldID}}))
	if err != nil {
		return "", fmt.Errorf("sample notification: %w", err)
	}
	if err := doJSON(ctx, "DELETE", b.api.base+"/v1/notifications/"+id, b.api.apiKey, nil, nil, http.StatusOK); err != nil {
		slog.Warn("cancel sample notification", "err", err)
	}
	conn, err := pgx.Connect(ctx, b.dbURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	st, err := readNotification(ctx, conn, id)
	return st.Payload, err
}

func broadcastBody(target map[string]any) map[string]any {
	return map[string]any{
		"target": target, "ttl": 3600,
		"notification": map[string]any{"title": "Flash sale", "body": "Everything 20% off until midnight", "url": "https://bench.example/sale"},
	}
}
