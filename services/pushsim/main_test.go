package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, addr, err := loadConfig(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if addr != "127.0.0.1:8090" || cfg.PublicOrigin != "http://127.0.0.1:8090" || !cfg.KeepPayloads || cfg.Delay != 0 {
		t.Fatalf("defaults: addr=%q cfg=%+v", addr, cfg)
	}
}

func TestLoadConfigFromEnv(t *testing.T) {
	cfg, addr, err := loadConfig(envOf(map[string]string{
		"PUSHSIM_ADDR":             ":9000",
		"PUSHSIM_PUBLIC_ORIGIN":    "https://push.staging.example/",
		"PUSHSIM_KEEP_PAYLOADS":    "false",
		"PUSHSIM_DELAY_MS":         "25",
		"PUSHSIM_DEFAULT_BEHAVIOR": "fail_first:2",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := pushsim.Behavior{Kind: pushsim.BehaviorFailFirst, Count: 2}
	if addr != ":9000" || cfg.PublicOrigin != "https://push.staging.example" || cfg.KeepPayloads ||
		cfg.Delay != 25*time.Millisecond || cfg.DefaultBehavior != want {
		t.Fatalf("addr=%q cfg=%+v", addr, cfg)
	}
	// A wildcard address leaves the origin to the listener.
	cfg, _, _ = loadConfig(envOf(map[string]string{"PUSHSIM_ADDR": "0.0.0.0:9000"}))
	if cfg.PublicOrigin != "" {
		t.Fatalf("origin for wildcard addr = %q", cfg.PublicOrigin)
	}
}

func TestLoadConfigRejectsBadValues(t *testing.T) {
	for _, env := range []map[string]string{
		{"PUSHSIM_KEEP_PAYLOADS": "perhaps"},
		{"PUSHSIM_DELAY_MS": "-5"},
		{"PUSHSIM_DELAY_MS": "soon"},
		{"PUSHSIM_DEFAULT_BEHAVIOR": "explode"},
	} {
		if _, _, err := loadConfig(envOf(env)); err == nil {
			t.Errorf("loadConfig(%v) succeeded", env)
		}
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	t.Setenv("PUSHSIM_ADDR", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop")
	}
}

func TestHelpPrintsUsage(t *testing.T) {
	var out, errOut strings.Builder
	if code, stop := checkArgs([]string{"--help"}, &out, &errOut); code != 0 || !stop || !strings.Contains(out.String(), "PUSHSIM_ADDR") {
		t.Fatalf("--help: exit %d, stop %v, printed %q", code, stop, out.String())
	}
	if code, stop := checkArgs([]string{"--port=1"}, &out, &errOut); code != 2 || !stop || !strings.Contains(errOut.String(), "usage:") {
		t.Fatalf("unknown argument: exit %d, stop %v, stderr %q", code, stop, errOut.String())
	}
	if _, stop := checkArgs(nil, &out, &errOut); stop {
		t.Fatal("no arguments stopped the simulator")
	}
}
