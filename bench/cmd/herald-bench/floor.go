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
	"syscall"
	"time"
)

// floorResult is the library floor: webpush-go alone.
type floorResult struct {
	SameHeader       bool    `json:"same_authorization_header"`
	N                int64   `json:"n"`
	Delivered        int64   `json:"delivered"`
	Concurrency      int     `json:"concurrency"`
	CPUSeconds       float64 `json:"cpu_seconds"`
	CPUPer1000       float64 `json:"cpu_seconds_per_1000"`
	MessagesPerSec   float64 `json:"messages_per_second"`
	WallMessagesPerS float64 `json:"wall_messages_per_second"`
	PeakRSS          int64   `json:"peak_rss_bytes"`
}

// floorChildEnv makes herald-bench run the floor loop (floorloop.go)
// instead of the benchmark: the loop runs in a process of its own, like a
// worker, so its CPU time and garbage collection are its own.
const floorChildEnv = "HERALD_BENCH_FLOOR_CHILD"

// floorInput is what the parent hands the floor process.
type floorInput struct {
	SimOrigin   string   `json:"sim_origin"`
	Subs        []simSub `json:"subs"`
	Payload     string   `json:"payload"`
	Concurrency int      `json:"concurrency"`
	SameHeader  bool     `json:"same_header"`
}

// floorOutput is what the floor process prints.
type floorOutput struct {
	CPUSeconds  float64 `json:"cpu_seconds"`
	WallSeconds float64 `json:"wall_seconds"`
	Errors      int64   `json:"errors"`
	FirstError  string  `json:"first_error,omitempty"`
	PeakRSS     int64   `json:"peak_rss_bytes"`
}

// runFloor runs the library floor (see runFloorLoop) over the first n main
// simulator subscriptions, with the broadcast's payload, and reads its
// messages per second from the simulator like Herald's.
func (b *bench) runFloor(ctx context.Context, n, concurrency int, sameHeader bool) (*floorResult, error) {
	if err := b.main.resetStats(ctx); err != nil {
		return nil, err
	}
	in := floorInput{SimOrigin: b.main.base, Subs: b.mainSubs[:min(n, len(b.mainSubs))], Payload: b.payload,
		Concurrency: concurrency, SameHeader: sameHeader}
	path := filepath.Join(b.dir, "floor-input.json")
	data, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, path)
	cmd.Env = append(os.Environ(), floorChildEnv+"=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("floor process: %w", err)
	}
	var res floorOutput
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("floor output %q: %w", out.String(), err)
	}
	stats, err := b.main.stats(ctx)
	if err != nil {
		return nil, err
	}
	if stats.Delivered < int64(len(in.Subs)) {
		return nil, fmt.Errorf("floor: %d of %d delivered (%v; %d errors, first: %s)", stats.Delivered, len(in.Subs), stats.Rejected, res.Errors, res.FirstError)
	}
	r := &floorResult{SameHeader: sameHeader, N: int64(len(in.Subs)), Delivered: stats.Delivered, Concurrency: concurrency,
		CPUSeconds: res.CPUSeconds, CPUPer1000: res.CPUSeconds / float64(len(in.Subs)) * 1000,
		WallMessagesPerS: float64(len(in.Subs)) / res.WallSeconds, PeakRSS: res.PeakRSS}
	if d := stats.LastDelivery.Sub(stats.FirstDelivery).Seconds(); d > 0 {
		r.MessagesPerSec = float64(stats.Delivered) / d
	}
	return r, nil
}

// selfCPU is this process's user+system CPU time in seconds.
func selfCPU() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func floorChildMain(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("floor process: want the input file, got %s", strconv.Quote(fmt.Sprint(args)))
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	var in floorInput
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	out, err := runFloorLoop(context.Background(), in)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// meanFloor averages floor runs' rates and CPU per message.
func meanFloor(runs ...*floorResult) *floorResult {
	m := *runs[0]
	m.N, m.Delivered, m.CPUSeconds, m.MessagesPerSec, m.WallMessagesPerS = 0, 0, 0, 0, 0
	for _, r := range runs {
		m.N += r.N
		m.Delivered += r.Delivered
		m.CPUSeconds += r.CPUSeconds
		m.MessagesPerSec += r.MessagesPerSec / float64(len(runs))
		m.WallMessagesPerS += r.WallMessagesPerS / float64(len(runs))
		m.PeakRSS = max(m.PeakRSS, r.PeakRSS)
	}
	m.CPUPer1000 = m.CPUSeconds / float64(m.N) * 1000
	return &m
}
