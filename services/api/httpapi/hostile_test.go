package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/engagement"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// The tables a request could write to; a refused request changes none.
var hostileTables = []string{"apps", "api_keys", "vapid_keys", "subscriptions", "subscription_topics",
	"notifications", "notification_events", "dead_letters", "webhook_endpoints", "webhook_messages", "webhook_events"}

// hostileFixture is an API with everything wired (events, previews) and an
// app, a subscription and a notification to name in paths and bodies.
type hostileFixture struct {
	*harness
	app            createdApp
	subID, notifID string
	token          string
	endpoint       string
}

func newHostileFixture(t *testing.T, db *database.DB) *hostileFixture {
	key, _, _ := masterkey.Generate()
	tokens := engagement.NewTokens(db, key)
	h := setupWith(t, db, func(d *Deps, rdb *redis.Client) {
		d.Browser.Events = engagement.NewStore(db, tokens)
		d.Segments = subscription.NewSegmentCounter(d.Subscriptions)
		ops, err := NewOpsDeps(db, rdb, d.Metrics, d.Log)
		if err != nil {
			t.Fatal(err)
		}
		d.Ops = ops
	})
	f := &hostileFixture{harness: h, app: h.createApp(), endpoint: "https://fcm.googleapis.com/fcm/send/hostile-fixture"}
	r := h.do("POST", "/v1/subscriptions", map[string]any{"subscription": browserSubscription(t, f.endpoint), "user_id": "u1",
		"topics": []string{"news"}}, "Authorization", "Bearer "+f.app.APIKey)
	if r.status != http.StatusCreated {
		t.Fatalf("fixture subscription: %d %s", r.status, r.raw)
	}
	f.subID = r.body["id"].(string)
	f.notifID = h.sendNotification(f.app)
	_, recipient, err := tokens.Recipients(context.Background(), f.notifID)
	if err != nil {
		t.Fatal(err)
	}
	f.token = recipient(f.subID)
	return f
}

func (f *hostileFixture) rows() map[string]int64 {
	out := map[string]int64{}
	for _, table := range hostileTables {
		var n int64
		if err := f.db.Table(table).Count(&n).Error; err != nil {
			f.t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// validBodies are a well-formed body of each route that takes one, the
// start of the generated hostile bodies.
func (f *hostileFixture) validBodies() map[string]map[string]any {
	sub := func() map[string]any {
		return browserSubscription(f.t, "https://fcm.googleapis.com/fcm/send/valid-body")
	}
	subscribe := map[string]any{"subscription": sub(), "user_id": "u2", "topics": []string{"news"}, "timezone": "Europe/Paris",
		"attributes": map[string]any{"first_name": "Ann", "plan": "pro"}}
	// A browser sets attributes only with its user's hash.
	public := map[string]any{"subscription": sub(), "user_id": "u2", "user_hash": app.UserHash(f.app.IdentitySecret, "u2"),
		"topics": []string{"news"}, "attributes": map[string]any{"first_name": "Ann"}}
	return map[string]map[string]any{
		"POST /v1/apps":                               {"name": "Shop", "allowed_origins": []any{pageOrigin}},
		"PATCH /v1/apps/:app_id":                      {"name": "Shop", "allowed_origins": []any{pageOrigin}, "default_ttl": 60, "public_topics": []any{"news"}, "default_timezone": "Europe/Paris", "quiet_hours": map[string]any{"start": "22:00", "end": "08:00"}, "frequency_caps": []any{map[string]any{"per": "user", "max": 3, "window": "1h"}}, "throttle_per_minute": 100},
		"POST /v1/apps/:app_id/vapid-keys":            {"public_key": f.app.VAPIDPublicKey, "private_key": "x"},
		"POST /v1/apps/:app_id/subscriptions":         public,
		"POST /v1/subscriptions":                      subscribe,
		"POST /v1/apps/:app_id/subscriptions/replace": {"old_endpoint": f.endpoint, "subscription": sub()},
		"POST /v1/notifications": {"target": map[string]any{"user_ids": []any{"u1"}},
			"notification": map[string]any{"title": "Hi", "body": "there", "url": "https://shop.example/x", "tag": "t",
				"actions": []any{map[string]any{"action": "open", "title": "Open", "url": "/o"}}, "data": map[string]any{"k": "v"}},
			"ttl": 60, "urgency": "high", "topic": "t1", "send_at": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339), "category": "c", "cancel_key": "k",
			// Templates, per-user data and A/B variants over the content
			// above, each of its fields used by a variant.
			"personalization": map[string]any{"u1": map[string]any{"first_name": "Ann", "coupon": "SAVE10"}},
			"variants": []any{
				map[string]any{"name": "a", "weight": 70, "notification": map[string]any{"title": "Hi {{ first_name | default: 'there' }}",
					"body": "{% if coupon %}Use {{ coupon }}{% endif %}", "url": "https://shop.example/{{ coupon | url_encode }}"}},
				map[string]any{"name": "b", "weight": 30, "notification": map[string]any{"image": "https://shop.example/b.png",
					"actions": []any{map[string]any{"action": "buy", "title": "Buy {{ coupon }}", "url": "/buy"}}}},
			}},
		"POST /v1/events":           {"notification_id": f.notifID, "token": f.token, "type": "clicked", "action": "open", "event_id": "e1"},
		"POST /v1/segments/preview": {"segment": "news && !sales"},
		"POST /v1/webhooks":         {"url": "https://hooks.shop.example/in", "events": []any{"notification.completed", "notification.clicked"}},
		"PATCH /v1/webhooks/:id":    {"url": "https://hooks.shop.example/in", "events": []any{"notification.dismissed"}, "enabled": true, "rotate_secret": true},
	}
}

// hostileStrings always fail: NUL, raw invalid UTF-8 (sent as bytes), and
// text far past every field's limit.
var hostileStrings = []string{"a\x00b", "\x00", "caf\xe9", "\xff\xfe", strings.Repeat("x", 20000)}

// hostileNumbers are numbers no field takes.
var hostileNumbers = []any{1e300, -1e300, 1e17, -1, 9007199254740993.0, "12"}

// mutations returns body with each leaf replaced in turn by each hostile
// value (strings for strings, numbers for numbers, a wrong type for both).
func mutations(body any) []any {
	var out []any
	var walk func(v any, set func(any))
	walk = func(v any, set func(any)) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(x) {
				old := x[k]
				walk(old, func(n any) { x[k] = n; out = append(out, deepCopy(body)); x[k] = old })
			}
		case []any:
			for i := range x {
				old := x[i]
				walk(old, func(n any) { x[i] = n; out = append(out, deepCopy(body)); x[i] = old })
			}
		case []string:
			for i := range x {
				old := x[i]
				walk(old, func(n any) { x[i] = n.(string); out = append(out, deepCopy(body)); x[i] = old })
			}
		case string:
			for _, s := range hostileStrings {
				set(s)
			}
		case float64, int, bool:
			for _, n := range hostileNumbers {
				set(n)
			}
		}
	}
	walk(body, nil)
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// deepCopy encodes v as JSON by hand, keeping invalid UTF-8 as raw bytes
// (encoding/json would replace it), so the server sees what an attacker sends.
func deepCopy(v any) []byte {
	var b bytes.Buffer
	var enc func(v any)
	enc = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			b.WriteByte('{')
			for i, k := range sortedKeys(x) {
				if i > 0 {
					b.WriteByte(',')
				}
				enc(k)
				b.WriteByte(':')
				enc(x[k])
			}
			b.WriteByte('}')
		case []any:
			b.WriteByte('[')
			for i, e := range x {
				if i > 0 {
					b.WriteByte(',')
				}
				enc(e)
			}
			b.WriteByte(']')
		case []string:
			items := make([]any, len(x))
			for i, s := range x {
				items[i] = s
			}
			enc(items)
		case string:
			b.WriteByte('"')
			for i := 0; i < len(x); i++ {
				switch c := x[i]; {
				case c == '"' || c == '\\':
					b.WriteByte('\\')
					b.WriteByte(c)
				case c < 0x20:
					fmt.Fprintf(&b, `\u%04x`, c)
				default:
					b.WriteByte(c)
				}
			}
			b.WriteByte('"')
		case nil:
			b.WriteString("null")
		default:
			fmt.Fprint(&b, x)
		}
	}
	enc(v)
	return b.Bytes()
}

// structural are bodies no route takes.
var structural = [][]byte{
	[]byte(`[]`), []byte(`"x"`), []byte(`{"a":`), []byte(`{} {}`), []byte("\xff{}"),
	[]byte(strings.Repeat("[", 100000)), []byte(`{"` + strings.Repeat("k", 70000) + `":1}`),
	[]byte(`{"x":"\u0000"}`), []byte(`{"x":"\ud800"}`),
}

// Every route, with generated hostile bodies, path parameters, query
// strings and headers, answers 4xx with a stable code and stores nothing.
func TestHostileInputOnEveryRoute(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) { hostileInputOnEveryRoute(t, newHostileFixture(t, db)) })
}

func hostileInputOnEveryRoute(t *testing.T, f *hostileFixture) {
	before := f.rows()
	valid := f.validBodies()
	routes := f.handler.(*gin.Engine).Routes()
	if len(routes) < 30 {
		t.Fatalf("only %d routes found", len(routes))
	}
	auths := [][]string{
		{"Authorization", "Bearer " + adminToken, "Origin", pageOrigin},
		{"Authorization", "Bearer " + f.app.APIKey, "Origin", pageOrigin},
	}
	params := map[string]string{":app_id": f.app.ID, ":id": f.notifID, ":key_id": "k", "*any": "x"}
	fill := func(path string, hostile string) string {
		parts := strings.Split(path, "/")
		for i, p := range parts {
			if v, ok := params[p]; ok {
				parts[i] = v
				if hostile != "" {
					parts[i] = hostile
				}
			}
		}
		return strings.Join(parts, "/")
	}
	requests := 0
	send := func(method, path string, body []byte, headers []string) {
		t.Helper()
		requests++
		req, err := http.NewRequest(method, f.url+path, bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Errorf("%s %.120q with %.200q: %d %s", method, path, body, resp.StatusCode, raw)
		}
		if resp.StatusCode >= 400 && !bytes.Contains(raw, []byte(`"code"`)) {
			t.Errorf("%s %.120q: %d without an error code: %.200s", method, path, resp.StatusCode, raw)
		}
		if resp.StatusCode < 400 && method != "GET" && method != "OPTIONS" && len(body) > 0 {
			t.Errorf("%s %.120q accepted hostile %.200q: %d %s", method, path, body, resp.StatusCode, raw)
		}
	}
	noBody := map[string]bool{"POST /v1/apps/:app_id/api-keys": true, "POST /v1/dead-letters/:id/retry": true,
		"POST /v1/admin/dead-letters/:id/retry": true, "POST /v1/notifications/:id/dead-letters/retry": true,
		"POST /v1/admin/notifications/:id/dead-letters/retry": true}
	for _, route := range routes {
		if route.Method == "GET" || route.Method == "OPTIONS" || route.Method == "DELETE" || noBody[route.Method+" "+route.Path] {
			continue // no body; their paths and queries are below
		}
		bodies := append([][]byte{}, structural...)
		if template, ok := valid[route.Method+" "+route.Path]; ok {
			for _, m := range mutations(template) {
				bodies = append(bodies, m.([]byte))
			}
		}
		for _, body := range bodies {
			for _, auth := range auths {
				send(route.Method, fill(route.Path, ""), body, auth)
			}
		}
	}
	hostileParams := []string{"%00", "%ff%fe", "a%0Ab", strings.Repeat("x", 4000), "..%2F..%2Fapps", "%E9", "0190a000-0000-7000-8000-00000000000%00"}
	query := "?limit=%00&after=%ff&user_id=%00&topic=a%0Ab&status=%00&cancel_key=%00&force=%ff"
	for _, route := range routes {
		if route.Method != "GET" && route.Method != "DELETE" && !noBody[route.Method+" "+route.Path] {
			continue
		}
		for _, p := range hostileParams {
			for _, auth := range auths {
				send(route.Method, fill(route.Path, p), nil, auth)
			}
		}
		if route.Method == "GET" {
			for _, auth := range auths {
				send(route.Method, fill(route.Path, "")+query, nil, auth)
			}
		}
	}
	for _, key := range []string{"caf\xe9", strings.Repeat("k", 300), "a\tb", " "} {
		body := deepCopy(valid["POST /v1/notifications"])
		send("POST", "/v1/notifications", body, []string{"Authorization", "Bearer " + f.app.APIKey, "Idempotency-Key", key})
	}
	for _, xff := range []string{"not-an-ip", "1.2.3.4, \xff", strings.Repeat("9", 2000)} {
		send("POST", fill("/v1/apps/:app_id/subscriptions", ""), []byte(`{"x":"\u0000"}`), []string{"Origin", pageOrigin, "X-Forwarded-For", xff})
	}
	after := f.rows()
	for _, table := range hostileTables {
		if after[table] != before[table] {
			t.Errorf("table %s: %d rows before, %d after hostile requests", table, before[table], after[table])
		}
	}
	t.Logf("%d hostile requests over %d routes", requests, len(routes))
	checkSamplesAccepted(t, f, valid, auths, fill)
}

// samplesRefusedAsSent are the valid bodies the fixture cannot make
// acceptable as they are: a VAPID private key it would have to generate,
// and a webhook patch whose :id names the notification.
var samplesRefusedAsSent = map[string]bool{"POST /v1/apps/:app_id/vapid-keys": true, "PATCH /v1/webhooks/:id": true}

// checkSamplesAccepted sends each valid body as it is, after the hostile
// requests: one the route refuses would have its mutations refused for
// what the sample already got wrong, reaching nothing past it.
func checkSamplesAccepted(t *testing.T, f *hostileFixture, valid map[string]map[string]any, auths [][]string, fill func(string, string) string) {
	t.Helper()
	// The replacement goes last: it moves the subscription the event's
	// token names.
	const replace = "POST /v1/apps/:app_id/subscriptions/replace"
	routes := append(slices.DeleteFunc(sortedKeys(anyMap(valid)), func(r string) bool { return r == replace }), replace)
	for _, route := range routes {
		if samplesRefusedAsSent[route] {
			continue
		}
		method, path, _ := strings.Cut(route, " ")
		var answers []string
		for _, auth := range auths {
			r := f.send(method, fill(path, ""), deepCopy(valid[route]), auth...)
			if r.status < 400 {
				answers = nil
				break
			}
			answers = append(answers, fmt.Sprintf("%d %.200s", r.status, r.raw))
		}
		if answers != nil {
			t.Errorf("%s refuses its valid sample, so its mutations prove nothing: %v", route, answers)
		}
	}
}

func anyMap[V any](m map[string]V) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
