package pushsim

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
)

// webpushSub converts a minted subscription to webpush-go's type.
func webpushSub(s Subscription) *webpush.Subscription {
	return &webpush.Subscription{Endpoint: s.Endpoint, Keys: webpush.Keys{Auth: s.Keys.Auth, P256dh: s.Keys.P256dh}}
}

func vapidOptions(t *testing.T) *webpush.Options {
	t.Helper()
	priv, pub, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	return &webpush.Options{
		Subscriber:      "test@example.com", // webpush-go prefixes mailto:
		VAPIDPublicKey:  pub,
		VAPIDPrivateKey: priv,
		TTL:             3600,
		Urgency:         webpush.UrgencyHigh,
		Topic:           "order-42",
	}
}

func TestInteropWebpushGo(t *testing.T) {
	srv, ts := startSim(t, Config{KeepPayloads: true})
	opts := vapidOptions(t)
	sub := mint(t, srv, "ok")

	payloads := []string{`{"title":"hi","body":"first"}`, "ünïcode ✓", strings.Repeat("x", 3000)}
	for _, p := range payloads {
		resp, err := webpush.SendNotification([]byte(p), webpushSub(sub), opts)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		wantStatus(t, resp, http.StatusCreated)
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, ts.URL+"/m/") {
			t.Fatalf("Location = %q", loc)
		}
	}

	got := srv.Deliveries(sub.ID)
	if len(got) != len(payloads) {
		t.Fatalf("%d deliveries, want %d", len(got), len(payloads))
	}
	for i, d := range got {
		if !bytes.Equal(d.Payload, []byte(payloads[i])) {
			t.Errorf("delivery %d payload %q, want %q", i, d.Payload, payloads[i])
		}
		if d.Claims.Aud != ts.URL || d.Claims.Sub != "mailto:test@example.com" {
			t.Errorf("claims %+v", d.Claims)
		}
		if exp := time.Unix(d.Claims.Exp, 0); time.Until(exp) < 11*time.Hour || time.Until(exp) > 24*time.Hour {
			t.Errorf("exp %v not ~12h ahead", exp)
		}
		if d.VAPIDKey != strings.TrimRight(opts.VAPIDPublicKey, "=") {
			t.Errorf("vapid key %q, want %q", d.VAPIDKey, opts.VAPIDPublicKey)
		}
		if d.TTL != 3600 || d.Urgency != "high" || d.Topic != "order-42" {
			t.Errorf("headers ttl=%d urgency=%q topic=%q", d.TTL, d.Urgency, d.Topic)
		}
	}
	st := srv.Stats()
	if st.Received != 3 || st.Delivered != 3 || st.Duplicates != 2 || st.RejectedTotal != 0 || st.ByStatus[201] != 3 {
		t.Fatalf("stats %+v", st)
	}
	if st.FirstDelivery.IsZero() || st.LastDelivery.Before(st.FirstDelivery) {
		t.Fatalf("delivery times first=%v last=%v", st.FirstDelivery, st.LastDelivery)
	}
}

func TestInteropApplicationServerKey(t *testing.T) {
	srv, _ := startSim(t, Config{KeepPayloads: true})
	opts := vapidOptions(t)
	bound, err := srv.Mint(Behavior{}, opts.VAPIDPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	other := vapidOptions(t)
	otherBound, err := srv.Mint(Behavior{}, other.VAPIDPublicKey)
	if err != nil {
		t.Fatal(err)
	}

	resp, err := webpush.SendNotification([]byte("mine"), webpushSub(bound), opts)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	wantStatus(t, resp, http.StatusCreated)

	resp, err = webpush.SendNotification([]byte("not mine"), webpushSub(otherBound), opts)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	wantStatus(t, resp, http.StatusForbidden)
	if n := srv.Stats().Rejected["key_mismatch"]; n != 1 {
		t.Fatalf("key_mismatch = %d, want 1", n)
	}
}

// TestInteropConcurrent pushes from many goroutines with payloads off, the
// benchmark's configuration; run with -race.
func TestInteropConcurrent(t *testing.T) {
	srv, ts := startSim(t, Config{KeepPayloads: false})
	opts := vapidOptions(t)
	opts.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	subs, err := srv.MintN(50, Behavior{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		if !strings.HasPrefix(s.Endpoint, ts.URL+"/push/") {
			t.Fatalf("endpoint %q", s.Endpoint)
		}
	}
	const perSub = 4
	var wg sync.WaitGroup
	errs := make(chan error, len(subs)*perSub)
	for i := range len(subs) * perSub {
		wg.Go(func() {
			resp, err := webpush.SendNotification(fmt.Appendf(nil, "msg %d", i), webpushSub(subs[i%len(subs)]), opts)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				errs <- fmt.Errorf("status %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := srv.Stats()
	if st.Delivered != 200 || st.Duplicates != 150 || st.Received != 200 {
		t.Fatalf("stats %+v", st)
	}
	state, ok := srv.Subscription(subs[0].ID)
	if !ok || state.DeliveryCount != perSub || len(state.Deliveries) != 0 || len(state.Attempts) != 0 {
		t.Fatalf("state without payloads: count=%d deliveries=%d attempts=%d", state.DeliveryCount, len(state.Deliveries), len(state.Attempts))
	}
}
