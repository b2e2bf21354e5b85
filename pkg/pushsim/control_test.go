package pushsim

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
)

func doJSON(t *testing.T, method, url, body string, wantCode int, into any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantCode {
		t.Fatalf("%s %s: status %d (%s), want %d", method, url, resp.StatusCode, raw, wantCode)
	}
	if into != nil {
		if err := json.Unmarshal(raw, into); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
	}
}

func TestControlAPIRoundTrip(t *testing.T) {
	srv, ts := startSim(t, Config{KeepPayloads: true})
	opts := vapidOptions(t)

	var minted struct {
		Subscriptions []Subscription `json:"subscriptions"`
	}
	doJSON(t, "POST", ts.URL+"/_sim/subscriptions",
		`{"count": 3, "behavior": "fail_first:1", "application_server_key": "`+opts.VAPIDPublicKey+`"}`, http.StatusCreated, &minted)
	if len(minted.Subscriptions) != 3 {
		t.Fatalf("minted %d", len(minted.Subscriptions))
	}
	seen := map[string]bool{}
	for _, s := range minted.Subscriptions {
		if seen[s.ID] || s.Endpoint != ts.URL+"/push/"+s.ID || s.Behavior.String() != "fail_first:1" || s.ExpirationTime != nil {
			t.Fatalf("subscription %+v", s)
		}
		seen[s.ID] = true
		if p, err := base64.RawURLEncoding.DecodeString(s.Keys.P256dh); err != nil || len(p) != 65 || p[0] != 4 {
			t.Fatalf("p256dh %q", s.Keys.P256dh)
		}
		if a, err := base64.RawURLEncoding.DecodeString(s.Keys.Auth); err != nil || len(a) != 16 {
			t.Fatalf("auth %q", s.Keys.Auth)
		}
	}
	// The browser's toJSON() shape is there, expirationTime included.
	var raw []map[string]any
	doJSON(t, "POST", ts.URL+"/_sim/subscriptions", `{}`, http.StatusCreated, &struct {
		Subscriptions *[]map[string]any `json:"subscriptions"`
	}{&raw})
	if _, ok := raw[0]["expirationTime"]; !ok || raw[0]["behavior"] != "ok" || len(raw) != 1 {
		t.Fatalf("default mint %v", raw)
	}

	sub := minted.Subscriptions[0]
	for _, want := range []int{500, 201} {
		resp, err := webpush.SendNotification([]byte(`{"n":1}`), webpushSub(sub), opts)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		wantStatus(t, resp, want)
	}

	var state SubscriptionState
	doJSON(t, "GET", ts.URL+"/_sim/subscriptions/"+sub.ID, "", http.StatusOK, &state)
	if state.ID != sub.ID || state.AttemptCount != 2 || state.DeliveryCount != 1 || len(state.Attempts) != 2 ||
		state.Attempts[0].Status != 500 || state.Attempts[1].Status != 201 {
		t.Fatalf("state %+v", state)
	}
	d := state.Deliveries[0]
	if string(d.Payload) != `{"n":1}` || d.Claims.Aud != ts.URL || d.Claims.Sub != "mailto:test@example.com" || d.TTL != 3600 {
		t.Fatalf("delivery %+v", d)
	}
	var rawState map[string]any
	doJSON(t, "GET", ts.URL+"/_sim/subscriptions/"+sub.ID, "", http.StatusOK, &rawState)
	if p := rawState["deliveries"].([]any)[0].(map[string]any)["payload"]; p != `{"n":1}` {
		t.Fatalf("payload as JSON string = %v", p)
	}

	var st Stats
	doJSON(t, "GET", ts.URL+"/_sim/stats", "", http.StatusOK, &st)
	if st.Subscriptions != 4 || st.Received != 2 || st.Delivered != 1 || st.ByStatus[500] != 1 || st.ByStatus[201] != 1 {
		t.Fatalf("stats %+v", st)
	}
	var rawStats map[string]any
	doJSON(t, "GET", ts.URL+"/_sim/stats", "", http.StatusOK, &rawStats)
	if _, err := time.Parse(time.RFC3339Nano, rawStats["first_delivery"].(string)); err != nil {
		t.Fatalf("first_delivery: %v", err)
	}

	doJSON(t, "POST", ts.URL+"/_sim/reset?keep_subscriptions=true", "", http.StatusNoContent, nil)
	doJSON(t, "GET", ts.URL+"/_sim/subscriptions/"+sub.ID, "", http.StatusOK, &state)
	if state.AttemptCount != 0 || len(state.Deliveries) != 0 {
		t.Fatalf("history survived reset: %+v", state)
	}
	if st := srv.Stats(); st.Received != 0 || st.Subscriptions != 4 || !st.FirstDelivery.IsZero() {
		t.Fatalf("stats after reset %+v", st)
	}

	doJSON(t, "POST", ts.URL+"/_sim/reset", "", http.StatusNoContent, nil)
	doJSON(t, "GET", ts.URL+"/_sim/subscriptions/"+sub.ID, "", http.StatusNotFound, nil)
	if n := srv.Stats().Subscriptions; n != 0 {
		t.Fatalf("%d subscriptions after full reset", n)
	}
}

func TestControlAPIRejectsBadRequests(t *testing.T) {
	_, ts := startSim(t, Config{})
	for _, body := range []string{
		`{"count": 100001}`,
		`{"count": -1}`,
		`{"behavior": "explode"}`,
		`{"application_server_key": "not-a-key"}`,
		`{"unknown_field": 1}`,
		`not json`,
	} {
		doJSON(t, "POST", ts.URL+"/_sim/subscriptions", body, http.StatusBadRequest, nil)
	}
	doJSON(t, "POST", ts.URL+"/_sim/reset?keep_subscriptions=maybe", "", http.StatusBadRequest, nil)
	doJSON(t, "GET", ts.URL+"/_sim/health", "", http.StatusOK, nil)
}

func TestListenFillsOrigin(t *testing.T) {
	srv, ln, err := Listen("127.0.0.1:0", Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if want := "http://" + ln.Addr().String(); srv.PublicOrigin() != want {
		t.Fatalf("origin %q, want %q", srv.PublicOrigin(), want)
	}
	go func() { _ = http.Serve(ln, srv.Handler()) }()
	sub := mint(t, srv, "ok")
	key := newVAPIDKey(t)
	wantStatus(t, send(t, sub.Endpoint, validPush(t, sub, key, srv.PublicOrigin(), time.Now(), "hi")), http.StatusCreated)

	srv2, ln2, err := Listen("127.0.0.1:0", Config{PublicOrigin: "https://push.example.com/"})
	if err != nil {
		t.Fatal(err)
	}
	ln2.Close()
	if srv2.PublicOrigin() != "https://push.example.com" {
		t.Fatalf("explicit origin became %q", srv2.PublicOrigin())
	}
}
