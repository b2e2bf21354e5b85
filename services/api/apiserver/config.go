// Package apiserver assembles and runs the API process: its configuration,
// its dependencies in order, and a graceful HTTP server.
package apiserver

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/heraldpush/herald/pkg/bootstrap"
	"github.com/heraldpush/herald/pkg/envconf"
	"github.com/heraldpush/herald/pkg/publiclimit"
)

// Config is the API's own configuration, beside the shared bootstrap.Config.
type Config struct {
	HTTPAddr        string
	AdminToken      string
	ShutdownTimeout time.Duration
	Limits          map[publiclimit.Route]publiclimit.Rules
	TrustedProxies  []string
	// PublicURL is where browsers reach this API (HERALD_PUBLIC_URL): the
	// base of click links. "" means http:// and the listen address, which
	// only suits development.
	PublicURL string
	// MetricsAddr, when set, serves /metrics there instead of on HTTPAddr
	// (HERALD_METRICS_ADDR); MetricsToken, when set, is the bearer token a
	// scrape needs (HERALD_METRICS_TOKEN).
	MetricsAddr  string
	MetricsToken string
}

// ReadConfig reads the API settings; problems are recorded in r.
func ReadConfig(r *envconf.Reader, shared bootstrap.Config) Config {
	c := Config{
		HTTPAddr:        r.String("HERALD_HTTP_ADDR", "127.0.0.1:8080"),
		AdminToken:      r.String("HERALD_ADMIN_TOKEN", ""),
		ShutdownTimeout: r.Duration("HERALD_SHUTDOWN_TIMEOUT", 25*time.Second, time.Second, 10*time.Minute),
		Limits:          readLimits(r),
		TrustedProxies:  readTrustedProxies(r),
		PublicURL:       strings.TrimRight(r.String("HERALD_PUBLIC_URL", ""), "/"),
		MetricsAddr:     r.String("HERALD_METRICS_ADDR", ""),
		MetricsToken:    r.String("HERALD_METRICS_TOKEN", ""),
	}
	if c.MetricsAddr != "" && c.MetricsAddr == c.HTTPAddr && !strings.HasSuffix(c.MetricsAddr, ":0") {
		r.Fail("HERALD_METRICS_ADDR", "must differ from HERALD_HTTP_ADDR (leave it empty to serve /metrics there)")
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		r.Fail("HERALD_METRICS_TOKEN", "must be at least 16 characters (make one with: openssl rand -hex 32)")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			r.Fail("HERALD_PUBLIC_URL", "must be the absolute http(s) URL browsers reach the API at, like https://push.example.com (no query)")
		}
	}
	if c.AdminToken == "" && !shared.DevMode() {
		r.Fail("HERALD_ADMIN_TOKEN", "required outside dev mode: a long random bearer token for admin routes (make one with: openssl rand -hex 32)")
	}
	return c
}

// DevAdminToken returns the admin token kept in dataDir, creating it the
// first time, so a dev server keeps the same token across restarts.
func DevAdminToken(dataDir string) (token string, created bool, err error) {
	path := filepath.Join(dataDir, "admin-token")
	if data, err := os.ReadFile(path); err == nil {
		if t := strings.TrimSpace(string(data)); t != "" {
			return t, false, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", false, fmt.Errorf("read dev admin token: %w", err)
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", false, err
	}
	token = "dev_" + base64.RawURLEncoding.EncodeToString(b)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", false, fmt.Errorf("create data dir: %w", err)
	}
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", false, fmt.Errorf("write dev admin token: %w", err)
	}
	return token, true, nil
}
