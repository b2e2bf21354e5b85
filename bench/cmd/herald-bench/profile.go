package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
)

// startProfile takes a CPU profile of the first worker during the first
// round, when BENCH_PPROF names a directory (the worker serves pprof with
// HERALD_PPROF=1). The returned channel closes when it is written.
func (b *bench) startProfile(ctx context.Context, workers int) <-chan struct{} {
	done := make(chan struct{})
	if b.cfg.pprofDir == "" || b.profiled {
		close(done)
		return done
	}
	b.profiled = true
	go func() {
		defer close(done)
		if err := b.profile(ctx, workers); err != nil {
			slog.Warn("worker profile", "err", err)
		}
	}()
	return done
}

func (b *bench) profile(ctx context.Context, workers int) error {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", b.workerAddr, b.cfg.pprofSeconds)
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	if err := os.MkdirAll(b.cfg.pprofDir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(b.cfg.pprofDir, fmt.Sprintf("worker-%dw.pprof", workers))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		return err
	}
	slog.Info("worker CPU profile written", "path", path)
	return nil
}
