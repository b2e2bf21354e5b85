package pushsim

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Server. The zero value is usable once a public origin
// is set.
type Config struct {
	// PublicOrigin is scheme://host[:port] as senders see it: the prefix of
	// every minted endpoint and the exact JWT "aud" required.
	PublicOrigin string
	// KeepPayloads stores every attempt and delivery (plaintext, claims,
	// headers). Off, only counters are kept — for benchmarks.
	KeepPayloads bool
	// DefaultBehavior applies to subscriptions minted with BehaviorDefault;
	// its own zero value means ok.
	DefaultBehavior Behavior
	// Delay is added to every push request before it is answered.
	Delay time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives debug lines about rejected pushes; nil discards.
	Logger *slog.Logger
}

// Server is the simulated push service. It is safe for concurrent use.
type Server struct {
	keepPayloads    bool
	defaultBehavior Behavior
	delay           time.Duration
	now             func() time.Time
	log             *slog.Logger

	origin atomic.Pointer[string]
	subs   *store
	stats  counters
	tokens tokenCache
	bodies sync.Pool // *[]byte of maxPushBody+1, reused across pushes
	mux    *http.ServeMux
	wp     *wpServer // Firefox's push WebSocket protocol (websocket.go)
}

// New builds a Server. See the package comment for setting the origin when
// the listener is created afterwards.
func New(cfg Config) *Server {
	s := &Server{
		keepPayloads:    cfg.KeepPayloads,
		defaultBehavior: cfg.DefaultBehavior,
		delay:           cfg.Delay,
		now:             cfg.Now,
		log:             cfg.Logger,
		subs:            newStore(),
		tokens:          newTokenCache(),
	}
	s.bodies.New = func() any {
		b := make([]byte, maxPushBody+1)
		return &b
	}
	if s.defaultBehavior.Kind == BehaviorDefault {
		s.defaultBehavior = Behavior{Kind: BehaviorOK}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.SetPublicOrigin(cfg.PublicOrigin)
	s.mux = s.routes()
	return s
}

// Listen opens a TCP listener on addr and builds a Server for it. When
// cfg.PublicOrigin is empty it becomes http://<listener address>, with an
// unspecified host (":0", "0.0.0.0") replaced by 127.0.0.1. The caller
// serves: go http.Serve(ln, srv.Handler()).
func Listen(addr string, cfg Config) (*Server, net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	if cfg.PublicOrigin == "" {
		cfg.PublicOrigin = originFor(ln.Addr())
	}
	return New(cfg), ln, nil
}

func originFor(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// SetPublicOrigin changes the origin used for new endpoints and required as
// JWT aud. A trailing slash is dropped.
func (s *Server) SetPublicOrigin(origin string) {
	o := strings.TrimRight(origin, "/")
	s.origin.Store(&o)
}

// PublicOrigin returns the current public origin.
func (s *Server) PublicOrigin() string { return *s.origin.Load() }

// Handler returns the push endpoint and the /_sim/ control API.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /push/{id}", s.handlePush)
	mux.HandleFunc("POST /_sim/subscriptions", s.handleMint)
	mux.HandleFunc("GET /_sim/subscriptions/{id}", s.handleSubscription)
	mux.HandleFunc("GET /_sim/stats", s.handleStats)
	mux.HandleFunc("POST /_sim/reset", s.handleReset)
	s.webpushRoutes(mux)
	mux.HandleFunc("GET /_sim/health", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}

// Stats returns the totals since start or the last reset.
func (s *Server) Stats() Stats {
	st := s.stats.snapshot()
	st.Subscriptions = s.subs.count()
	return st
}

// Reset forgets every subscription and zeroes the stats.
func (s *Server) Reset() {
	s.subs.clear()
	s.stats.reset()
	s.tokens.clear()
}

// ResetStats zeroes the stats and every subscription's history but keeps the
// subscriptions, so a benchmark can reuse a large minted set.
func (s *Server) ResetStats() {
	s.subs.each((*record).clearHistory)
	s.stats.reset()
}
