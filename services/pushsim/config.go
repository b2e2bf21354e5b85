package main

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
)

const defaultAddr = "127.0.0.1:8090"

// loadConfig reads the PUSHSIM_* environment through getenv.
func loadConfig(getenv func(string) string) (pushsim.Config, string, error) {
	addr := getenv("PUSHSIM_ADDR")
	if addr == "" {
		addr = defaultAddr
	}
	cfg := pushsim.Config{
		PublicOrigin: strings.TrimRight(getenv("PUSHSIM_PUBLIC_ORIGIN"), "/"),
		KeepPayloads: true,
	}
	if cfg.PublicOrigin == "" {
		cfg.PublicOrigin = defaultOrigin(addr)
	}
	if v := getenv("PUSHSIM_KEEP_PAYLOADS"); v != "" {
		keep, err := strconv.ParseBool(v)
		if err != nil {
			return pushsim.Config{}, "", fmt.Errorf("PUSHSIM_KEEP_PAYLOADS: %w", err)
		}
		cfg.KeepPayloads = keep
	}
	if v := getenv("PUSHSIM_DELAY_MS"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 0 {
			return pushsim.Config{}, "", fmt.Errorf("PUSHSIM_DELAY_MS: want milliseconds >= 0, got %q", v)
		}
		cfg.Delay = time.Duration(ms) * time.Millisecond
	}
	if v := getenv("PUSHSIM_DEFAULT_BEHAVIOR"); v != "" {
		b, err := pushsim.ParseBehavior(v)
		if err != nil {
			return pushsim.Config{}, "", fmt.Errorf("PUSHSIM_DEFAULT_BEHAVIOR: %w", err)
		}
		cfg.DefaultBehavior = b
	}
	return cfg, addr, nil
}

// defaultOrigin is http://<addr> when addr names a concrete host and port;
// otherwise it is left to pushsim.Listen, which uses the bound address.
func defaultOrigin(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "0" || host == "" {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return ""
	}
	return "http://" + addr
}

func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}
