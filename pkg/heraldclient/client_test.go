package heraldclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// The retry policy against a server that answers as told: these tests are
// about the client's transport; the routes are tested against a real
// Herald in services/herald.

type scripted struct {
	mu       sync.Mutex
	answers  []func(w http.ResponseWriter)
	requests []*http.Request
	bodies   []string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, r)
	s.bodies = append(s.bodies, string(body))
	var answer func(http.ResponseWriter)
	if len(s.answers) > 0 {
		answer, s.answers = s.answers[0], s.answers[1:]
	}
	s.mu.Unlock()
	if answer == nil {
		w.WriteHeader(http.StatusTeapot)
		return
	}
	answer(w)
}

// seen returns the requests and bodies so far.
func (s *scripted) seen() ([]*http.Request, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.requests...), append([]string(nil), s.bodies...)
}

func status(code int, retryAfter, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

func hangUp(w http.ResponseWriter) {
	conn, _, _ := w.(http.Hijacker).Hijack()
	conn.Close()
}

const accepted = `{"id":"n1","status":"queued"}`
const tooMany = `{"error":{"code":"rate_limited","message":"slow down"}}`

func serve(t *testing.T, answers ...func(http.ResponseWriter)) (*scripted, string) {
	s := &scripted{answers: answers}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

func TestSendRetries429AfterRetryAfterWithOneIdempotencyKey(t *testing.T) {
	s, url := serve(t, status(429, "1", tooMany), status(202, "", accepted), status(202, "", accepted))
	c := New(url, WithAPIKey("k"), WithRetries(3, 5*time.Second))
	start := time.Now()
	sent, err := c.Send(t.Context(), &SendRequest{Target: Target{All: true}, Notification: Content{Title: "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Fatalf("retried after %v, before the server's Retry-After of 1s", waited)
	}
	reqs, bodies := s.seen()
	if sent.ID != "n1" || len(reqs) != 2 {
		t.Fatalf("sent %+v after %d requests", sent, len(reqs))
	}
	first, second := reqs[0].Header.Get("Idempotency-Key"), reqs[1].Header.Get("Idempotency-Key")
	if first == "" || first != second {
		t.Fatalf("retry sent Idempotency-Key %q after %q: a retried send must repeat its key", second, first)
	}
	if bodies[0] != bodies[1] || bodies[0] == "" {
		t.Fatalf("retry body %q differs from %q", bodies[1], bodies[0])
	}
	if got := reqs[0].Header.Get("Authorization"); got != "Bearer k" {
		t.Fatalf("Authorization %q", got)
	}
	if _, err := c.Send(t.Context(), &SendRequest{Target: Target{All: true}, Notification: Content{Title: "hi"}}); err != nil {
		t.Fatal(err)
	}
	reqs, _ = s.seen()
	if third := reqs[2].Header.Get("Idempotency-Key"); third == first {
		t.Fatal("two sends shared an Idempotency-Key: the second would be taken for a replay")
	}
}

func TestRetries503WithBackoffAndGivesUp(t *testing.T) {
	unavailable := status(503, "", `{"error":{"code":"not_ready","message":"database or Redis unreachable"}}`)
	s, url := serve(t, unavailable, unavailable, unavailable)
	c := New(url, WithAdminToken("a"), WithRetries(2, 20*time.Millisecond))
	_, err := c.ListApps(t.Context(), ListOptions{})
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || apiErr.Code != "not_ready" {
		t.Fatalf("err = %v", err)
	}
	reqs, _ := s.seen()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 1 and 2 retries", len(reqs))
	}
}

func TestRetryAfterBeyondMaxWaitEndsAtOnce(t *testing.T) {
	s, url := serve(t, status(429, "120", tooMany))
	c := New(url, WithAPIKey("k"), WithRetries(3, time.Second))
	_, err := c.Stats(t.Context())
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.RetryAfter != 120*time.Second || !IsCode(err, "rate_limited") {
		t.Fatalf("err = %#v", err)
	}
	reqs, _ := s.seen()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
}

func TestNoAnswerRetriedOnlyWhenSafe(t *testing.T) {
	s, url := serve(t, hangUp, status(200, "", `{"items":[],"next_after":null}`))
	c := New(url, WithAdminToken("a"), WithRetries(2, 20*time.Millisecond))
	if _, err := c.ListApps(t.Context(), ListOptions{}); err != nil {
		t.Fatalf("GET after a hang-up: %v", err)
	}
	s.mu.Lock()
	s.answers = []func(http.ResponseWriter){hangUp, status(201, "", `{"id":"a1"}`)}
	s.mu.Unlock()
	if _, err := c.CreateApp(t.Context(), &CreateAppRequest{Name: "x"}); err == nil {
		t.Fatal("a POST that got no answer was repeated: it may have created the app already")
	}
	reqs, _ := s.seen()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
}

func TestMissingCredentialFailsBeforeAnyRequest(t *testing.T) {
	s, url := serve(t)
	c := New(url)
	if _, err := c.GetNotification(t.Context(), "x"); !errors.Is(err, ErrNoAPIKey) {
		t.Fatalf("err = %v", err)
	}
	if _, err := c.GetApp(t.Context(), "x"); !errors.Is(err, ErrNoAdminToken) {
		t.Fatalf("err = %v", err)
	}
	reqs, _ := s.seen()
	if len(reqs) != 0 {
		t.Fatal("requests were sent")
	}
}

func TestContextEndsTheWait(t *testing.T) {
	_, url := serve(t, status(503, "10", tooMany))
	c := New(url, WithAPIKey("k"))
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Stats(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Fri, 02 Jan 2026 03:04:35 GMT": 30 * time.Second,
		"Fri, 02 Jan 2026 03:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestNonJSONErrorKeepsStatus(t *testing.T) {
	_, url := serve(t, func(w http.ResponseWriter) { w.WriteHeader(502); io.WriteString(w, "bad gateway") })
	_, err := New(url, WithAPIKey("k")).GetSubscription(t.Context(), "s")
	if StatusOf(err) != 502 || !IsCode(err, "http_502") {
		t.Fatalf("err = %v", err)
	}
}
