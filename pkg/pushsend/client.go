package pushsend

import (
	"crypto/tls"
	"net"
	"net/http"
	"time"

	"github.com/heraldpush/herald/pkg/pushendpoint"
)

const (
	// DefaultTimeout bounds one push request, body included.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxConnsPerHost caps connections to one push service host, so a
	// burst cannot open thousands of TLS sessions to FCM at once.
	DefaultMaxConnsPerHost = 512
)

// Config configures NewClient and NewSender.
type Config struct {
	// Subject is the VAPID "sub", e.g. mailto:ops@example.com or an https URL.
	Subject string
	// Endpoints decides which endpoints are delivered to and guards dials;
	// nil accepts only the built-in push services.
	Endpoints *pushendpoint.Policy
	// Timeout bounds one request, body included; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxConnsPerHost caps connections per push host; 0 means DefaultMaxConnsPerHost.
	MaxConnsPerHost int
	// TokenTTL is the VAPID JWT lifetime; 0 means vapid.DefaultTTL.
	TokenTTL time.Duration
	// WebpushGo encrypts and posts through webpush-go, the reference
	// implementation, instead of Herald's own RFC 8291 code (aes128gcm.go):
	// the same bytes on the wire, plus a VAPID JWT that webpush-go signs per
	// message and Herald discards.
	WebpushGo bool
	// Client, if set, is used instead of NewClient(cfg), e.g. to share one
	// client between senders; it must carry its own dial guard.
	Client *http.Client
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxConnsPerHost <= 0 {
		c.MaxConnsPerHost = DefaultMaxConnsPerHost
	}
	return c
}

// NewClient returns the HTTP client for pushing: long-lived keep-alive
// connections (HTTP/2 where the service offers it), bounded per host, with
// every dial vetted by cfg.Endpoints so an endpoint's DNS cannot point Herald
// at internal addresses. Share one per process.
func NewClient(cfg Config) *http.Client {
	cfg = cfg.withDefaults()
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		// No proxy: the dial guard would vet the proxy, not the push service.
		Proxy:                 nil,
		DialContext:           cfg.Endpoints.DialContext(dialer),
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxConnsPerHost:       cfg.MaxConnsPerHost,
		MaxIdleConnsPerHost:   cfg.MaxConnsPerHost,
		MaxIdleConns:          4 * cfg.MaxConnsPerHost, // few hosts: FCM, Mozilla, Apple, WNS shards
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   cfg.Timeout,
		// Push services answer, they do not redirect (RFC 8030); following one
		// would post to a URL Policy.Check never saw.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
