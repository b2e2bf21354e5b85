package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// bullmqResult is the web-push + BullMQ pipeline's run.
type bullmqResult struct {
	N                int64   `json:"n"`
	Delivered        int64   `json:"delivered"`
	Concurrency      int     `json:"concurrency"`
	DeliveriesPerSec float64 `json:"deliveries_per_second"`
	CPUSeconds       float64 `json:"cpu_seconds"`
	CPUPer1000       float64 `json:"cpu_seconds_per_1000"`
	PeakRSS          int64   `json:"peak_rss_bytes"`
}

// runBullMQ runs bench/bullmq/bench.js (node) over the first n main
// simulator subscriptions, with its own Redis database, and reads its
// deliveries per second from the simulator like Herald's.
func (b *bench) runBullMQ(ctx context.Context, n, concurrency int) (*bullmqResult, error) {
	if err := b.redis.flush(ctx, 1); err != nil {
		return nil, err
	}
	if err := b.main.resetStats(ctx); err != nil {
		return nil, err
	}
	type pushSub struct {
		Endpoint string            `json:"endpoint"`
		Keys     map[string]string `json:"keys"`
	}
	subs := b.mainSubs[:min(n, len(b.mainSubs))]
	list := make([]pushSub, len(subs))
	for i, s := range subs {
		list[i] = pushSub{Endpoint: s.Endpoint, Keys: map[string]string{"p256dh": s.Keys.P256dh, "auth": s.Keys.Auth}}
	}
	subsFile := filepath.Join(b.dir, "bullmq-subscriptions.json")
	data, err := json.Marshal(list)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(subsFile, data, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "node", filepath.Join("bench", "bullmq", "bench.js"))
	cmd.Env = append(os.Environ(), "BULLMQ_REDIS_URL="+b.redis.url(1), "BULLMQ_SUBS_FILE="+subsFile,
		"BULLMQ_CONCURRENCY="+strconv.Itoa(concurrency), "BULLMQ_PAYLOAD="+b.payload)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("bullmq pipeline: %w: %s", err, out.String())
	}
	var res struct {
		Delivered  int64   `json:"delivered"`
		CPUSeconds float64 `json:"cpu_seconds"`
		PeakRSS    int64   `json:"peak_rss_bytes"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("bullmq output %q: %w", out.String(), err)
	}
	stats, err := b.main.stats(ctx)
	if err != nil {
		return nil, err
	}
	r := &bullmqResult{N: int64(len(subs)), Delivered: stats.Delivered, Concurrency: concurrency,
		CPUSeconds: res.CPUSeconds, PeakRSS: res.PeakRSS}
	if r.Delivered > 0 {
		r.CPUPer1000 = res.CPUSeconds / float64(r.Delivered) * 1000
	}
	if d := stats.LastDelivery.Sub(stats.FirstDelivery).Seconds(); d > 0 {
		r.DeliveriesPerSec = float64(stats.Delivered) / d
	}
	return r, nil
}
