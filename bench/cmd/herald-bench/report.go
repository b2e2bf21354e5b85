package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

type publicConfig struct {
	N                 int    `json:"n"`
	Workers           []int  `json:"workers"`
	Concurrency       int    `json:"concurrency"`
	FloorN            int    `json:"floor_n"`
	BullMQN           int    `json:"bullmq_n"`
	BullMQConcurrency int    `json:"bullmq_concurrency"`
	Probes            int    `json:"latency_probes"`
	Urgent            int    `json:"urgent_subscriptions"`
	CPUs              int    `json:"cpus"`
	GoVersion         string `json:"go_version"`
	Date              string `json:"date"`
}

func (c config) public() publicConfig {
	return publicConfig{N: c.n, Workers: c.workers, Concurrency: c.concurrency, FloorN: c.floorN, BullMQN: c.bullmqN,
		BullMQConcurrency: c.bullmqConcurrency, Probes: c.probes, Urgent: c.urgent, CPUs: runtime.NumCPU(),
		GoVersion: runtime.Version(), Date: time.Now().UTC().Format(time.RFC3339)}
}

type target struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Limit  string  `json:"limit"`
	Pass   bool    `json:"pass"`
	Scope  string  `json:"scope,omitempty"`
	Absent bool    `json:"absent,omitempty"`
}

type result struct {
	Config publicConfig   `json:"config"`
	Rounds []*roundResult `json:"rounds"`
	Floor  *floorResult   `json:"library_floor"`
	// FloorOwnHeader is the floor with webpush-go's per-call JWT reaching
	// the simulator; informational.
	FloorOwnHeader *floorResult `json:"library_floor_own_header"`
	// FloorRuns are the runs before and after the headline round that
	// Floor averages.
	FloorRuns []*floorResult   `json:"library_floor_runs"`
	BullMQ    *bullmqResult    `json:"bullmq,omitempty"`
	Storage   *storageResult   `json:"storage,omitempty"`
	Targeting *targetingResult `json:"targeting,omitempty"`
	Import    *importResult    `json:"import,omitempty"`
	// Personalized is a personalised broadcast against plain ones.
	Personalized *personalizedResult `json:"personalized,omitempty"`
	Ratios       map[string]float64  `json:"ratios"`
	Targets      []target            `json:"targets"`
}

func (r *result) compute() {
	r.Ratios = map[string]float64{}
	if len(r.Rounds) == 0 { // BENCH_ONLY=targeting
		if t := r.Targeting; t != nil {
			r.Targets = t.targets(fmt.Sprintf("%d subscriptions, %d worker(s)", r.Config.N, t.Workers))
		}
		return
	}
	h := r.Rounds[0]
	if r.Floor != nil && r.Floor.CPUPer1000 > 0 && r.Floor.MessagesPerSec > 0 {
		r.Ratios["cpu_per_delivery_vs_floor"] = h.WorkerCPUPer1000 / r.Floor.CPUPer1000
		r.Ratios["deliveries_per_second_vs_floor"] = h.DeliveriesPerSec / r.Floor.MessagesPerSec
	}
	if r.BullMQ != nil && r.BullMQ.DeliveriesPerSec > 0 {
		r.Ratios["deliveries_per_second_vs_bullmq"] = h.DeliveriesPerSec / r.BullMQ.DeliveriesPerSec
		best := 0.0
		for _, x := range r.Rounds {
			best = max(best, x.DeliveriesPerSec)
		}
		r.Ratios["best_deliveries_per_second_vs_bullmq"] = best / r.BullMQ.DeliveriesPerSec
	}
	const mb = 1 << 20
	scope := fmt.Sprintf("%d subscriptions, %d worker(s)", h.Targeted, h.Workers)
	add := func(name string, v float64, limit string, pass bool) {
		r.Targets = append(r.Targets, target{Name: name, Value: v, Limit: limit, Pass: pass, Scope: scope})
	}
	if v, ok := r.Ratios["cpu_per_delivery_vs_floor"]; ok {
		add("worker CPU per delivery / floor", v, "<= 1.25", v <= 1.25)
		add("deliveries/s / floor", r.Ratios["deliveries_per_second_vs_floor"], ">= 0.85", r.Ratios["deliveries_per_second_vs_floor"] >= 0.85)
	}
	if v, ok := r.Ratios["deliveries_per_second_vs_bullmq"]; ok {
		add("deliveries/s / web-push+BullMQ", v, ">= 3", v >= 3)
	}
	if p := r.Personalized; p != nil && p.PlainPerSec > 0 {
		r.Ratios["personalized_vs_plain_deliveries_per_second"] = p.Ratio
		add("personalised deliveries/s / plain", p.Ratio, ">= 0.85", p.Ratio >= 0.85)
	}
	var apiRSS, workerRSS, redisPeak int64
	fanout := 0.0
	for _, x := range r.Rounds {
		apiRSS = max(apiRSS, x.APIPeakRSS)
		for _, w := range x.WorkerPeakRSS {
			workerRSS = max(workerRSS, w)
		}
		redisPeak = max(redisPeak, x.RedisPeakBytes-x.RedisBaselineBytes)
		fanout = max(fanout, x.FanoutSeconds)
	}
	add("API peak RSS (MB)", float64(apiRSS)/mb, "< 150 (at 1M)", apiRSS < 150*mb)
	add("worker peak RSS (MB)", float64(workerRSS)/mb, "< 250 (at 1M)", workerRSS < 250*mb)
	add("Redis peak above baseline (MB)", float64(redisPeak)/mb, "< 300 (at 1M)", redisPeak < 300*mb)
	add("fan-out seconds (slowest round)", fanout, "< 15 (at 1M)", fanout < 15)
	worst := 0.0
	for _, x := range r.Rounds {
		worst = max(worst, x.UrgentLatencyMs.P99)
	}
	add("urgent accept-to-push p99 ms (worst round)", worst, "< 250", worst > 0 && worst < 250)
	if t := r.Targeting; t != nil {
		r.Targets = append(r.Targets, t.targets(scope)...)
	}
	if im := r.Import; im != nil {
		scope = fmt.Sprintf("import of %d lines", im.Lines)
		add("subscriber import per second", im.PerSec, ">= 20000", im.PerSec >= 20000)
		add("API peak RSS during the import (MB)", float64(im.APIPeakRSS)/mb, "< 150 (at 1M)", im.APIPeakRSS < 150*mb)
	}
}

func (r *result) print(out io.Writer) {
	const mb = 1 << 20
	fmt.Fprintf(out, "\nHerald end-to-end benchmark: %d subscriptions (+%d latency probes), concurrency %d per worker, %d CPUs, %s\n\n",
		r.Config.N, r.Config.Probes+r.Config.Urgent, r.Config.Concurrency, r.Config.CPUs, r.Config.Date)
	if len(r.Rounds) > 0 { // none with BENCH_ONLY=targeting
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "workers\tdelivered\tdeliv/s\tfan-out s\tdone s\tp50 ms\tp95 ms\tp99 ms\turgent p50\turgent p99\turgent n\tp99 in fan-out\tCPU s/1000\tworker RSS MB\tAPI RSS MB\tRedis peak MB\t")
		for _, x := range r.Rounds {
			var rss []string
			for _, w := range x.WorkerPeakRSS {
				rss = append(rss, fmt.Sprintf("%.0f", float64(w)/mb))
			}
			inFanout := "-" // no urgent notification was posted before the fan-out ended
			if x.UrgentFanoutLatencyMs.N > 0 {
				inFanout = fmt.Sprintf("%.0f", x.UrgentFanoutLatencyMs.P99)
			}
			fmt.Fprintf(tw, "%d\t%d\t%.0f\t%.2f\t%.2f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%d\t%s\t%.3f\t%s\t%.0f\t%.1f\t\n",
				x.Workers, x.Delivered, x.DeliveriesPerSec, x.FanoutSeconds, x.CompleteSeconds,
				x.LatencyMs.P50, x.LatencyMs.P95, x.LatencyMs.P99, x.UrgentLatencyMs.P50, x.UrgentLatencyMs.P99, x.UrgentLatencyMs.N, inFanout,
				x.WorkerCPUPer1000, strings.Join(rss, "/"), float64(x.APIPeakRSS)/mb, float64(x.RedisPeakBytes-x.RedisBaselineBytes)/mb)
		}
		tw.Flush()
		fmt.Fprintln(out)
	}
	if f := r.Floor; f != nil {
		fmt.Fprintf(out, "library floor (webpush-go loop, %d msgs, concurrency %d, mean of the runs before and after the first round): %.0f msgs/s, %.3f CPU s/1000\n", f.N, f.Concurrency, f.MessagesPerSec, f.CPUPer1000)
		for _, x := range r.FloorRuns {
			fmt.Fprintf(out, "  run: %.0f msgs/s, %.3f CPU s/1000\n", x.MessagesPerSec, x.CPUPer1000)
		}
	}
	if f := r.FloorOwnHeader; f != nil {
		fmt.Fprintf(out, "  same loop, webpush-go's own JWT per message reaching the simulator: %.0f msgs/s, %.3f CPU s/1000 (informational)\n", f.MessagesPerSec, f.CPUPer1000)
	}
	if q := r.BullMQ; q != nil {
		fmt.Fprintf(out, "web-push + BullMQ (%d msgs, concurrency %d): %.0f deliveries/s, %.3f CPU s/1000, peak RSS %.0f MB\n", q.N, q.Concurrency, q.DeliveriesPerSec, q.CPUPer1000, float64(q.PeakRSS)/mb)
	}
	if r.Storage != nil {
		fmt.Fprintln(out, r.Storage)
	}
	if t := r.Targeting; t != nil {
		t.print(out)
	}
	if r.Import != nil {
		r.Import.print(out)
	}
	if p := r.Personalized; p != nil {
		p.print(out)
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "targets (reported, not asserted):")
	for _, t := range r.Targets {
		mark := "FAIL"
		if t.Pass {
			mark = "pass"
		}
		fmt.Fprintf(out, "  %-4s  %-45s %10.2f  %s\n", mark, t.Name, t.Value, t.Limit)
	}
	fmt.Fprintln(out)
}

func (r *result) write(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Printf("JSON written to %s\n", path)
	return nil
}
