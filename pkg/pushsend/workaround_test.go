package pushsend

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/heraldpush/herald/pkg/pushendpoint"
)

// Workaround 3: webpush-go appends into the payload's spare capacity; many
// goroutines sharing one such slice must neither race (go test -race) nor
// see it change, and every message must decrypt right.
func TestSendSharedPayload(t *testing.T) {
	e := newEnv(t, true, Config{})
	const text = `{"title":"shared"}`
	shared := make([]byte, len(text), 4096)
	copy(shared, text)
	spare := shared[len(text):cap(shared)]
	for i := range spare {
		spare[i] = 0xAA
	}

	const workers, each = 16, 4
	subs := make([]string, workers)
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		sub := e.mint(t, "ok")
		subs[w] = sub.ID
		wg.Go(func() {
			for range each {
				if r := e.sender.Send(context.Background(), e.message(sub, shared)); r.Outcome != Delivered {
					errs <- fmt.Errorf("send: %v %v", r.Outcome, r.Err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if !bytes.Equal(spare, bytes.Repeat([]byte{0xAA}, len(spare))) {
		t.Fatal("the shared payload's spare capacity was written to")
	}
	for _, id := range subs {
		ds := e.sim.Deliveries(id)
		if len(ds) != each {
			t.Fatalf("subscription %s got %d deliveries, want %d", id, len(ds), each)
		}
		for _, d := range ds {
			if string(d.Payload) != text {
				t.Fatalf("decrypted %q, want %q", d.Payload, text)
			}
		}
	}
}

// Workaround 5: every body is closed, whatever the answer, and at most 1 KiB
// of it is kept.
func TestSendClosesBodies(t *testing.T) {
	e := newEnv(t, true, Config{})
	long := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write(bytes.Repeat([]byte("x"), 5000))
	}))
	defer long.Close()
	policy, _ := pushendpoint.NewPolicy([]string{e.ts.URL, long.URL})

	base := NewClient(Config{Endpoints: policy})
	ct := &countingTransport{next: base.Transport}
	client := *base
	client.Transport = ct
	s, err := NewSender(Config{Subject: testSubject, Endpoints: policy, Client: &client})
	if err != nil {
		t.Fatal(err)
	}
	defer base.CloseIdleConnections()

	sends := 0
	for _, behavior := range []string{"ok", "gone", "not_found", "always_fail", "bad_request", "rate_limit:1:3"} {
		sub := e.mint(t, behavior)
		for range 3 {
			s.Send(context.Background(), e.message(sub, []byte("hi")))
			sends++
		}
	}
	sub := e.mint(t, "ok")
	m := e.message(sub, []byte("hi"))
	m.Endpoint = long.URL + "/push/x"
	r := s.Send(context.Background(), m)
	sends++
	if r.Outcome != Retry || len(r.Body) != maxBody || strings.Trim(r.Body, "x") != "" {
		t.Errorf("long 503 body: outcome %v, kept %d bytes, want Retry and %d", r.Outcome, len(r.Body), maxBody)
	}

	if got := ct.seen.Load(); got != int64(sends) {
		t.Fatalf("%d responses for %d sends", got, sends)
	}
	if open := ct.open.Load(); open != 0 {
		t.Fatalf("%d response bodies left open", open)
	}
}

// Workaround 1 from webpush-go's side: even the token it signs itself (and
// authClient discards) carries the subject exactly, not "mailto:mailto:".
func TestWebpushSubscriberNotDoubled(t *testing.T) {
	e := newEnv(t, true, Config{})
	sub := e.mint(t, "ok")
	for _, subject := range []string{testSubject, "https://example.com/contact"} {
		s, err := NewSender(Config{Subject: subject, Endpoints: e.policy})
		if err != nil {
			t.Fatal(err)
		}
		k, err := s.key(e.key, "")
		if err != nil {
			t.Fatal(err)
		}
		m := e.message(sub, []byte("hi"))
		capture := &captureClient{}
		if _, err := webpush.SendNotification([]byte("hi"), &webpush.Subscription{
			Endpoint: m.Endpoint, Keys: webpush.Keys{P256dh: m.P256dh, Auth: m.Auth},
		}, options(capture, k, s.subscriber, &m)); !errors.Is(err, errCaptured) {
			t.Fatalf("webpush-go: %v", err)
		}
		if got := jwtSubject(t, capture.authorization); got != subject {
			t.Errorf("subject %q: webpush-go signed sub %q", subject, got)
		}
	}
}

var errCaptured = errors.New("captured")

// captureClient records the Authorization webpush-go built and sends nothing.
type captureClient struct{ authorization string }

func (c *captureClient) Do(req *http.Request) (*http.Response, error) {
	c.authorization = req.Header.Get("Authorization")
	return nil, errCaptured
}

func jwtSubject(t *testing.T, authorization string) string {
	t.Helper()
	rest, ok := strings.CutPrefix(authorization, "vapid t=")
	jwt, _, _ := strings.Cut(rest, ",")
	parts := strings.Split(jwt, ".")
	if !ok || len(parts) != 3 {
		t.Fatalf("Authorization %q is not vapid t=<jwt>, k=...", authorization)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return claims.Sub
}

// Workaround 4: the shared client is used, never a fresh http.Client{}.
func TestSendUsesSharedClient(t *testing.T) {
	e := newEnv(t, true, Config{})
	base := e.sender.Client()
	ct := &countingTransport{next: base.Transport}
	client := *base
	client.Transport = ct
	s, err := NewSender(Config{Subject: testSubject, Endpoints: e.policy, Client: &client})
	if err != nil {
		t.Fatal(err)
	}
	sub := e.mint(t, "ok")
	for range 3 {
		if r := s.Send(context.Background(), e.message(sub, []byte("hi"))); r.Outcome != Delivered {
			t.Fatalf("got %v: %v", r.Outcome, r.Err)
		}
	}
	if got := ct.seen.Load(); got != 3 {
		t.Fatalf("shared client carried %d of 3 sends", got)
	}
}
