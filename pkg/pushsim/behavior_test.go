package pushsim

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestParseBehavior(t *testing.T) {
	good := map[string]Behavior{
		"":                {},
		"ok":              {Kind: BehaviorOK},
		"gone":            {Kind: BehaviorGone},
		"not_found":       {Kind: BehaviorNotFound},
		"fail_first:3":    {Kind: BehaviorFailFirst, Count: 3},
		"rate_limit:2:30": {Kind: BehaviorRateLimit, Count: 2, RetryAfter: 30 * time.Second},
		"always_fail":     {Kind: BehaviorAlwaysFail},
		"bad_request":     {Kind: BehaviorBadRequest},
		"slow:250":        {Kind: BehaviorSlow, Delay: 250 * time.Millisecond},
	}
	for in, want := range good {
		got, err := ParseBehavior(in)
		if err != nil || got != want {
			t.Errorf("ParseBehavior(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), in)
		}
	}
	for _, in := range []string{"nope", "ok:1", "fail_first", "fail_first:x", "fail_first:-1", "rate_limit:1", "rate_limit:1:2:3", "slow", "gone:1"} {
		if _, err := ParseBehavior(in); err == nil {
			t.Errorf("ParseBehavior(%q) succeeded", in)
		}
	}
}

// statuses pushes n valid messages and returns the answers.
func statuses(t *testing.T, srv *Server, origin string, sub Subscription, n int, between func()) []int {
	t.Helper()
	key := newVAPIDKey(t)
	var got []int
	for range n {
		resp := send(t, sub.Endpoint, validPush(t, sub, key, origin, srv.now(), "m"))
		got = append(got, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		if between != nil {
			between()
		}
	}
	return got
}

func TestBehaviors(t *testing.T) {
	cases := []struct {
		behavior      string
		want          []int
		delivered     int64
		goneContacted int64
	}{
		{"ok", []int{201, 201}, 2, 0},
		{"gone", []int{410, 410, 410}, 0, 2},
		{"not_found", []int{404, 404}, 0, 1},
		{"fail_first:2", []int{500, 500, 201, 201}, 2, 0},
		{"always_fail", []int{500, 500, 500}, 0, 0},
		{"bad_request", []int{400, 400}, 0, 0},
		{"slow:1", []int{201}, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.behavior, func(t *testing.T) {
			srv, ts := startSim(t, Config{KeepPayloads: true})
			sub := mint(t, srv, tc.behavior)
			got := statuses(t, srv, ts.URL, sub, len(tc.want), nil)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("statuses %v, want %v", got, tc.want)
			}
			st := srv.Stats()
			if st.Delivered != tc.delivered || st.GoneContacted != tc.goneContacted || st.RejectedTotal != 0 {
				t.Fatalf("delivered=%d gone_contacted=%d rejected=%v", st.Delivered, st.GoneContacted, st.Rejected)
			}
			if want := max(tc.delivered-1, 0); st.Duplicates != want {
				t.Fatalf("duplicates=%d want %d", st.Duplicates, want)
			}
			state, _ := srv.Subscription(sub.ID)
			for i, a := range state.Attempts {
				if a.Status != tc.want[i] {
					t.Fatalf("attempt log %+v", state.Attempts)
				}
			}
		})
	}
}

func TestRateLimitEarlyRetries(t *testing.T) {
	clock := newFakeClock()
	srv, ts := startSim(t, Config{Now: clock.Now})
	sub := mint(t, srv, "rate_limit:2:30")

	// 429 at t0; an immediate retry is early and still limited; waiting
	// out Retry-After is not early.
	got := statuses(t, srv, ts.URL, sub, 1, nil)
	got = append(got, statuses(t, srv, ts.URL, sub, 1, func() { clock.Advance(31 * time.Second) })...)
	got = append(got, statuses(t, srv, ts.URL, sub, 2, func() { clock.Advance(time.Second) })...)
	if want := []int{429, 429, 201, 201}; !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	if st := srv.Stats(); st.EarlyRetries != 1 || st.Delivered != 2 || st.ByStatus[429] != 2 {
		t.Fatalf("early_retries=%d delivered=%d by_status=%v", st.EarlyRetries, st.Delivered, st.ByStatus)
	}
}

func TestRateLimitPatientSender(t *testing.T) {
	clock := newFakeClock()
	srv, ts := startSim(t, Config{Now: clock.Now})
	sub := mint(t, srv, "rate_limit:3:10")
	got := statuses(t, srv, ts.URL, sub, 4, func() { clock.Advance(10 * time.Second) })
	if want := []int{429, 429, 429, 201}; !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	if st := srv.Stats(); st.EarlyRetries != 0 {
		t.Fatalf("early_retries=%d, want 0", st.EarlyRetries)
	}
}

func TestSlowHonorsDelayAndCancel(t *testing.T) {
	srv, ts := startSim(t, Config{KeepPayloads: true})
	sub := mint(t, srv, "slow:150")
	key := newVAPIDKey(t)

	start := time.Now()
	wantStatus(t, send(t, sub.Endpoint, validPush(t, sub, key, ts.URL, time.Now(), "m")), http.StatusCreated)
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Fatalf("answered after %v, want >= 150ms", el)
	}

	// A sender that gives up must not get a delivery recorded.
	p := validPush(t, sub, key, ts.URL, time.Now(), "m")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, sub.Endpoint, bytes.NewReader(p.body))
	req.Header.Set("TTL", p.ttl)
	req.Header.Set("Content-Encoding", p.encoding)
	req.Header.Set("Authorization", p.auth)
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for srv.Stats().ByStatus[statusClientClosed] != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("cancelled request not recorded: %+v", srv.Stats().ByStatus)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st := srv.Stats(); st.Delivered != 1 {
		t.Fatalf("delivered=%d, want 1", st.Delivered)
	}
}

func TestGlobalDelayAndDefaultBehavior(t *testing.T) {
	srv, ts := startSim(t, Config{Delay: 80 * time.Millisecond, DefaultBehavior: Behavior{Kind: BehaviorGone}})
	sub := mint(t, srv, "")
	if sub.Behavior.Kind != BehaviorGone {
		t.Fatalf("default behavior not applied: %v", sub.Behavior)
	}
	start := time.Now()
	got := statuses(t, srv, ts.URL, sub, 1, nil)
	if got[0] != http.StatusGone || time.Since(start) < 80*time.Millisecond {
		t.Fatalf("status %v after %v", got, time.Since(start))
	}
	// An explicit behavior overrides the default.
	if got := statuses(t, srv, ts.URL, mint(t, srv, "ok"), 1, nil); got[0] != http.StatusCreated {
		t.Fatalf("explicit ok answered %v", got)
	}
}
