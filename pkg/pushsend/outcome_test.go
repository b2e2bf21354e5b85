package pushsend

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushendpoint"
)

func TestSendClassifiesSimBehaviors(t *testing.T) {
	e := newEnv(t, true, Config{})
	for _, tc := range []struct {
		behavior   string
		outcome    Outcome
		status     int
		retryAfter time.Duration
	}{
		{"ok", Delivered, 201, 0},
		{"gone", Gone, 410, 0},
		{"not_found", Gone, 404, 0},
		{"always_fail", Retry, 500, 0},
		{"bad_request", Failed, 400, 0},
		{"rate_limit:1:7", Retry, 429, 7 * time.Second},
	} {
		sub := e.mint(t, tc.behavior)
		r := e.sender.Send(context.Background(), e.message(sub, []byte("hi")))
		if r.Outcome != tc.outcome || r.Status != tc.status || r.RetryAfter != tc.retryAfter {
			t.Errorf("%s: got %v %d Retry-After %s, want %v %d %s", tc.behavior, r.Outcome, r.Status, r.RetryAfter, tc.outcome, tc.status, tc.retryAfter)
		}
		if (r.Err == nil) != (tc.outcome == Delivered) {
			t.Errorf("%s: Err = %v", tc.behavior, r.Err)
		}
		if tc.outcome != Delivered && !errors.Is(r.Err, ErrRejected) {
			t.Errorf("%s: Err %v does not wrap ErrRejected", tc.behavior, r.Err)
		}
	}
}

func TestSendTimeoutIsRetry(t *testing.T) {
	e := newEnv(t, true, Config{Timeout: 200 * time.Millisecond})
	sub := e.mint(t, "slow:2000")
	r := e.sender.Send(context.Background(), e.message(sub, []byte("hi")))
	if r.Outcome != Retry || r.Err == nil || r.Status != 0 {
		t.Fatalf("got %v %d %v, want Retry with an error", r.Outcome, r.Status, r.Err)
	}
	if r.Duration > time.Second {
		t.Errorf("took %s; the 200ms timeout did not apply", r.Duration)
	}
}

func TestSendConnectionRefusedIsRetry(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close()
	e := newEnv(t, true, Config{})
	policy, _ := pushendpoint.NewPolicy([]string{url})
	s, err := NewSender(Config{Subject: testSubject, Endpoints: policy})
	if err != nil {
		t.Fatal(err)
	}
	sub := e.mint(t, "ok")
	m := e.message(sub, []byte("hi"))
	m.Endpoint = url + "/push/" + sub.ID
	if r := s.Send(context.Background(), m); r.Outcome != Retry || r.Err == nil {
		t.Fatalf("got %v %v, want Retry with an error", r.Outcome, r.Err)
	}
}

func TestSendSSRF(t *testing.T) {
	e := newEnv(t, true, Config{})
	sub := e.mint(t, "ok")
	unlisted, _ := pushendpoint.NewPolicy(nil)

	// The endpoint's origin is not trusted: refused before any request.
	s, err := NewSender(Config{Subject: testSubject, Endpoints: unlisted})
	if err != nil {
		t.Fatal(err)
	}
	r := s.Send(context.Background(), e.message(sub, []byte("hi")))
	if r.Outcome != Failed || !errors.Is(r.Err, pushendpoint.ErrEndpointNotAllowed) {
		t.Errorf("unlisted endpoint: got %v %v, want Failed endpoint_not_allowed", r.Outcome, r.Err)
	}

	// Accepted by Check but refused at dial time (a name re-pointed at
	// loopback looks like this): the guard in NewClient stops it.
	s, err = NewSender(Config{Subject: testSubject, Endpoints: e.policy, Client: NewClient(Config{Endpoints: unlisted})})
	if err != nil {
		t.Fatal(err)
	}
	r = s.Send(context.Background(), e.message(sub, []byte("hi")))
	if r.Outcome != Failed || !errors.Is(r.Err, pushendpoint.ErrForbiddenAddress) {
		t.Errorf("loopback dial: got %v %v, want Failed ErrForbiddenAddress", r.Outcome, r.Err)
	}
	if st, _ := e.sim.Subscription(sub.ID); st.Received != 0 {
		t.Errorf("sim received %d requests, want 0", st.Received)
	}
}

func TestSendInvalidMessage(t *testing.T) {
	e := newEnv(t, true, Config{})
	sub := e.mint(t, "ok")
	for name, edit := range map[string]func(*Message){
		"no key":      func(m *Message) { m.Key = nil },
		"bad urgency": func(m *Message) { m.Urgency = "urgent" },
		"bad topic":   func(m *Message) { m.Topic = "has space" },
		"long topic":  func(m *Message) { m.Topic = strings.Repeat("a", 33) },
		"bad p256dh":  func(m *Message) { m.P256dh = "AAAA" },
	} {
		m := e.message(sub, []byte("hi"))
		edit(&m)
		if r := e.sender.Send(context.Background(), m); r.Outcome != Failed || !errors.Is(r.Err, ErrInvalidMessage) {
			t.Errorf("%s: got %v %v, want Failed ErrInvalidMessage", name, r.Outcome, r.Err)
		}
	}
	if st, _ := e.sim.Subscription(sub.ID); st.Received != 0 {
		t.Errorf("sim received %d requests, want 0", st.Received)
	}
}
