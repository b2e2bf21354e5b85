package pushsend

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/pushsim"
	"github.com/heraldpush/herald/pkg/vapid"
)

const testSubject = "mailto:ops@example.com"

// env is an in-process push service and a Sender trusting it.
type env struct {
	sim    *pushsim.Server
	ts     *httptest.Server
	policy *pushendpoint.Policy
	sender *Sender
	key    *vapid.KeyPair
	seen   *seenRequests
}

// seenRequests records what reached the push endpoint, past the sender.
type seenRequests struct {
	mu       sync.Mutex
	bodyLens []int
	auths    []string
}

func (s *seenRequests) last() (bodyLen int, auth string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bodyLens[len(s.bodyLens)-1], s.auths[len(s.auths)-1]
}

func newEnv(t testing.TB, keep bool, cfg Config) *env {
	t.Helper()
	e := &env{sim: pushsim.New(pushsim.Config{KeepPayloads: keep}), seen: &seenRequests{}}
	h := e.sim.Handler()
	if !keep {
		// Benchmarks: nothing between the sender and the sim.
		e.ts = httptest.NewServer(h)
	} else {
		e.ts = httptest.NewServer(e.measure(h))
	}
	t.Cleanup(e.ts.Close)
	e.sim.SetPublicOrigin(e.ts.URL)

	var err error
	if e.policy, err = pushendpoint.NewPolicy([]string{e.ts.URL}); err != nil {
		t.Fatal(err)
	}
	if e.key, err = vapid.Generate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Subject == "" {
		cfg.Subject = testSubject
	}
	if cfg.Endpoints == nil {
		cfg.Endpoints = e.policy
	}
	if e.sender, err = NewSender(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.sender.Client().CloseIdleConnections)
	return e
}

// measure wraps h to record each push's wire body length and Authorization.
func (e *env) measure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.seen.mu.Lock()
		e.seen.bodyLens = append(e.seen.bodyLens, len(body))
		e.seen.auths = append(e.seen.auths, r.Header.Get("Authorization"))
		e.seen.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	})
}

// mint makes a subscription bound to the env's VAPID key.
func (e *env) mint(t testing.TB, behavior string) pushsim.Subscription {
	t.Helper()
	b, err := pushsim.ParseBehavior(behavior)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := e.sim.Mint(b, e.key.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func (e *env) message(sub pushsim.Subscription, payload []byte) Message {
	return Message{
		Endpoint: sub.Endpoint, P256dh: sub.Keys.P256dh, Auth: sub.Keys.Auth,
		Key: e.key, Payload: payload, TTL: 60,
	}
}

// countingTransport checks that every response body it hands out is closed.
type countingTransport struct {
	next http.RoundTripper
	open atomic.Int64
	seen atomic.Int64
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	c.open.Add(1)
	c.seen.Add(1)
	resp.Body = &closeCounter{ReadCloser: resp.Body, open: &c.open}
	return resp, nil
}

type closeCounter struct {
	io.ReadCloser
	open *atomic.Int64
	once sync.Once
}

func (b *closeCounter) Close() error {
	b.once.Do(func() { b.open.Add(-1) })
	return b.ReadCloser.Close()
}
