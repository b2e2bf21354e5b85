package webhook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// The Standard Webhooks specification's published example: this secret,
// id, timestamp and body sign to this signature.
func TestSignMatchesSpecificationVector(t *testing.T) {
	wh, err := standardwebhooks.NewWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got, err := sign([]*standardwebhooks.Webhook{wh}, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
}

type fixture struct {
	db    *database.DB
	key   masterkey.Key
	appID string
	rdb   *redis.Client // the job queue's, once queue made it
}

func setup(t *testing.T, db *database.DB) *fixture {
	t.Helper()
	key, _, _ := masterkey.Generate()
	created, err := app.NewStore(db, key).Create(context.Background(), app.CreateInput{Name: "webhooks"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, key: key, appID: created.App.ID}
}

func policy(t *testing.T, origins ...string) *pushendpoint.Policy {
	t.Helper()
	p, err := pushendpoint.NewPolicy(origins)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// receiver answers with the statuses fail gives it, in turn, then 200, and
// records every request.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	fail     []int
	requests []*http.Request
	bodies   [][]byte
	at       []time.Time
}

func newReceiver(t *testing.T, fail ...int) *receiver {
	r := &receiver{fail: fail}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.requests, r.bodies, r.at = append(r.requests, req), append(r.bodies, body), append(r.at, time.Now())
		if len(r.fail) > 0 {
			status := r.fail[0]
			r.fail = r.fail[1:]
			w.WriteHeader(status)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.requests)
}

func TestEndpointURLsPassTheSSRFGuard(t *testing.T) {
	t.Parallel()
	f := setup(t, dbtest.Postgres(t))
	store := NewStore(f.db, f.key, policy(t, "http://127.0.0.1:8999"))
	ctx := context.Background()
	for url, code := range map[string]string{
		"https://127.0.0.1/hook":                   "webhook_url_not_allowed",
		"https://10.0.0.1/hook":                    "webhook_url_not_allowed",
		"https://192.168.1.20:8443/hook":           "webhook_url_not_allowed",
		"https://169.254.169.254/latest/meta-data": "webhook_url_not_allowed",
		"https://[::1]/hook":                       "webhook_url_not_allowed",
		"https://[::ffff:10.0.0.1]/hook":           "webhook_url_not_allowed",
		"https://localhost/hook":                   "webhook_url_not_allowed",
		"http://127.0.0.1:8998/hook":               "webhook_url_not_allowed", // a port not listed
		"http://hooks.example.com/herald":          "webhook_url_not_allowed", // plain http
		"ftp://hooks.example.com/":                 "invalid_webhook_url",
		"/relative":                                "invalid_webhook_url",
		"https://user:pw@hooks.example.com/":       "invalid_webhook_url",
	} {
		_, _, err := store.Create(ctx, f.appID, url, []string{NotificationCompleted})
		if f, ok := fault.As(err); !ok || f.Code != code {
			t.Errorf("%s: %v, want %s", url, err, code)
		}
	}
	for _, url := range []string{"https://hooks.example.com/herald", "http://127.0.0.1:8999/hook"} {
		if _, secret, err := store.Create(ctx, f.appID, url, []string{NotificationCompleted}); err != nil || !strings.HasPrefix(secret, "whsec_") {
			t.Errorf("%s: %v (secret %q)", url, err, secret)
		}
	}
	_, _, err := store.Create(ctx, f.appID, "https://hooks.example.com/x", []string{"notification.sent"})
	if f, ok := fault.As(err); !ok || f.Code != "invalid_webhook_events" {
		t.Errorf("unknown event: %v", err)
	}
}

// An endpoint accepted once (its origin was listed then, or its name
// pointed elsewhere) is still never dialed on an internal address: the
// dispatcher's dialer checks the address after DNS.
func TestDispatcherNeverDialsInternalAddresses(t *testing.T) {
	t.Parallel()
	f := setup(t, dbtest.Postgres(t))
	r := newReceiver(t)
	ctx := context.Background()
	e, _, err := NewStore(f.db, f.key, policy(t, r.URL)).Create(ctx, f.appID, r.URL+"/hook", []string{NotificationCompleted})
	if err != nil {
		t.Fatal(err)
	}
	d := NewDispatcher(DispatcherConfig{DB: f.db, Key: f.key, Jobs: f.queue(t), Origins: policy(t), BackoffBase: time.Hour})
	m, err := d.store.SendTest(ctx, f.appID, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.work(t, d); err != nil {
		t.Fatal(err)
	}
	if n := r.count(); n != 0 {
		t.Fatalf("receiver on loopback got %d requests", n)
	}
	msgs, _, err := d.store.Messages(ctx, f.appID, e.ID, pageOf(10))
	if err != nil || len(msgs) != 1 || msgs[0].ID != m.ID {
		t.Fatalf("messages %v %v", msgs, err)
	}
	if got := msgs[0]; got.Status != Pending || got.Attempts != 1 || !strings.Contains(got.LastError, "loopback") {
		t.Fatalf("after a refused dial: %+v", got)
	}
}
