package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// verifySpec checks a Standard Webhooks signature as the specification
// describes it, written here from the text and checked against its
// published example, so it shares no code with Herald's signer: the HMAC-
// SHA256, keyed with the base64 secret after "whsec_", of
// "<webhook-id>.<webhook-timestamp>.<body>", base64, in any of the
// space-separated "v1,<sig>" entries; the timestamp within 5 minutes.
func verifySpec(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return fmt.Errorf("secret: %w", err)
	}
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("missing headers: id=%q timestamp=%q signature=%q", id, ts, sigs)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", ts, err)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %s is %s off", ts, d)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.", id, ts)
	mac.Write(body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, s := range strings.Fields(sigs) {
		if v, sig, ok := strings.Cut(s, ","); ok && v == "v1" && hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("no v1 signature matches")
}

func TestSpecVerifierOnThePublishedExample(t *testing.T) {
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,bm9ldHUjKzFob2VudXRob2VodWUzMjRvdWVvdW9ldQo= v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	secret, body, at := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", []byte(`{"test": 2432232314}`), time.Unix(1614265330, 0)
	if err := verifySpec(secret, h, body, at); err != nil {
		t.Fatal(err)
	}
	if err := verifySpec(secret, h, []byte(`{"test": 2432232315}`), at); err == nil {
		t.Fatal("a changed body verified")
	}
}

// hookRequest is one request the receiver got.
type hookRequest struct {
	ID     string // webhook-id
	Type   string
	Data   json.RawMessage
	At     time.Time
	Status int // what the receiver answered
}

// hookReceiver is a product backend's webhook endpoint: it verifies every
// request with the reference library and with verifySpec (a request that
// fails either fails the test), and answers 500 while failing is set.
type hookReceiver struct {
	*httptest.Server
	t        *testing.T
	mu       sync.Mutex
	secret   string
	failing  bool
	requests []hookRequest
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{t: t}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	wh, err := standardwebhooks.NewWebhook(r.secret)
	if err == nil {
		err = wh.Verify(body, req.Header)
	}
	if err == nil {
		err = verifySpec(r.secret, req.Header, body, time.Now())
	}
	if err != nil {
		r.t.Errorf("webhook request %s does not verify: %v", req.Header.Get("webhook-id"), err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var env struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		r.t.Errorf("webhook body %s: %v", body, err)
	}
	hr := hookRequest{ID: req.Header.Get("webhook-id"), Type: env.Type, Data: env.Data, At: time.Now(), Status: http.StatusOK}
	if r.failing {
		hr.Status = http.StatusInternalServerError
	}
	r.requests = append(r.requests, hr)
	w.WriteHeader(hr.Status)
}

func (r *hookReceiver) setSecret(s string) { r.mu.Lock(); r.secret = s; r.mu.Unlock() }
func (r *hookReceiver) setFailing(f bool)  { r.mu.Lock(); r.failing = f; r.mu.Unlock() }

func (r *hookReceiver) snapshot() []hookRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookRequest(nil), r.requests...)
}

// await polls the requests until done says they are enough.
func (r *hookReceiver) await(timeout time.Duration, what string, done func([]hookRequest) bool) []hookRequest {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := r.snapshot()
		if done(got) {
			return got
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("webhook receiver: no %s after %s; got %d requests", what, timeout, len(got))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// completedFor finds the accepted notification.completed of notification id.
func completedFor(reqs []hookRequest, id string) (map[string]any, bool) {
	for _, hr := range reqs {
		if hr.Type != "notification.completed" || hr.Status != http.StatusOK {
			continue
		}
		var d map[string]any
		json.Unmarshal(hr.Data, &d)
		if d["notification_id"] == id {
			return d, true
		}
	}
	return nil, false
}

// clicksIn returns the clicks of the accepted batches, by batch.
func clicksIn(reqs []hookRequest) (batches [][]map[string]any, at []time.Time) {
	for _, hr := range reqs {
		if hr.Type != "notification.clicked" || hr.Status != http.StatusOK {
			continue
		}
		var d struct {
			Count  int              `json:"count"`
			Events []map[string]any `json:"events"`
		}
		json.Unmarshal(hr.Data, &d)
		batches, at = append(batches, d.Events), append(at, hr.At)
	}
	return batches, at
}
