package httpapi

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/deadletter"
	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/jobqueue"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/metrics"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
	"github.com/heraldpush/herald/pkg/webhook"
)

const (
	adminToken   = "test-admin-token-0123456789"
	pageOrigin   = "https://shop.example"
	listedOrigin = "http://127.0.0.1:9999"
)

type harness struct {
	t       *testing.T
	db      *database.DB
	url     string
	handler http.Handler
}

// setup starts the API over db, as the real process wires it.
func setup(t *testing.T, db *database.DB) *harness { return setupWith(t, db, nil) }

// setupWith is setup with changes to the dependencies; redis is the test's
// own Redis database.
func setupWith(t *testing.T, db *database.DB, change func(d *Deps, rdb *redis.Client)) *harness {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	key, _, _ := masterkey.Generate()
	policy, err := pushendpoint.NewPolicy([]string{listedOrigin})
	if err != nil {
		t.Fatal(err)
	}
	opts, err := redis.ParseURL(testkit.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	log := testkit.Logger(t)
	jobs := jobqueue.NewClient(rdb)
	enqueuer := delivery.NewEnqueuer(jobs, delivery.NewFanout(db, jobs, log, 0))
	deps := Deps{
		Log:           log,
		Apps:          app.NewStore(db, key),
		Subscriptions: subscription.NewStore(db),
		Notifications: notification.NewService(db, enqueuer, nil, log),
		DeadLetters:   deadletter.NewStore(db),
		Retrier:       delivery.NewDeadLetterRetrier(db, jobs),
		Endpoints:     policy,
		Webhooks:      webhook.NewStore(db, key, policy),
		AdminToken:    adminToken,
		Ready:         db.Ping,
		Metrics:       metrics.NewRegistry(),
	}
	if change != nil {
		change(&deps, rdb)
	}
	handler, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(validating(t, handler))
	t.Cleanup(ts.Close)
	return &harness{t: t, db: db, url: ts.URL, handler: handler}
}

// eachDatabase runs fn against real PostgreSQL and against embedded SQLite.
func eachDatabase(t *testing.T, fn func(t *testing.T, h *harness)) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) { fn(t, setup(t, db)) })
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r response) code() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// do sends body (marshalled unless it is []byte) with optional headers.
func (h *harness) do(method, path string, body any, headers ...string) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

type createdApp struct {
	ID, APIKey, IdentitySecret, VAPIDPublicKey string
}

func (h *harness) createApp() createdApp {
	h.t.Helper()
	r := h.do("POST", "/v1/apps", map[string]any{"name": "Shop", "allowed_origins": []string{pageOrigin}},
		"Authorization", "Bearer "+adminToken)
	if r.status != http.StatusCreated {
		h.t.Fatalf("create app: %d %s", r.status, r.raw)
	}
	return createdApp{
		ID: r.body["id"].(string), APIKey: r.body["api_key"].(string),
		IdentitySecret: r.body["identity_secret"].(string), VAPIDPublicKey: r.body["vapid_public_key"].(string),
	}
}

func (h *harness) countSubscriptions() int64 {
	var n int64
	if err := h.db.Table("subscriptions").Count(&n).Error; err != nil {
		h.t.Fatal(err)
	}
	return n
}

// browserSubscription returns what PushSubscription.toJSON() gives.
func browserSubscription(t testing.TB, endpoint string) map[string]any {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	return map[string]any{
		"endpoint":       endpoint,
		"expirationTime": nil,
		"keys": map[string]any{
			"p256dh": base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()),
			"auth":   base64.RawURLEncoding.EncodeToString(auth),
		},
	}
}
