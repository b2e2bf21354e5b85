package httpapi

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// Idempotency-Key: the same request again answers the first notification;
// a different request (valid or not) is 422 idempotency_key_reused; ten
// concurrent requests make one notification; the same key in two apps
// makes two; a key older than the stated lifetime is forgotten.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := setup(t, db)
		a, b := h.createApp(), h.createApp()
		body := []byte(`{"target": {"user_ids": ["u1"]}, "notification": {"title": "Order shipped", "data": {"order": 7}}}`)
		// The same request, spaced and ordered otherwise.
		same := []byte(`{ "notification": {"data": {"order": 7}, "title": "Order shipped"},
			"target": {"user_ids": ["u1"]} }`)
		post := func(app createdApp, key string, body []byte) response {
			return h.do("POST", "/v1/notifications", body, "Authorization", "Bearer "+app.APIKey, "Idempotency-Key", key)
		}
		first := post(a, "order-7", body)
		if first.status != http.StatusAccepted {
			t.Fatalf("first: %d %s", first.status, first.raw)
		}
		again := post(a, "order-7", same)
		if again.status != http.StatusAccepted || again.body["id"] != first.body["id"] || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: %d %s %v", again.status, again.raw, again.header)
		}
		for name, other := range map[string][]byte{
			"another title": []byte(`{"target": {"user_ids": ["u1"]}, "notification": {"title": "Order lost"}}`),
			"another user":  []byte(`{"target": {"user_ids": ["u2"]}, "notification": {"title": "Order shipped", "data": {"order": 7}}}`),
			"a ttl added":   []byte(`{"target": {"user_ids": ["u1"]}, "notification": {"title": "Order shipped", "data": {"order": 7}}, "ttl": 60}`),
		} {
			if r := post(a, "order-7", other); r.status != http.StatusUnprocessableEntity || r.code() != "idempotency_key_reused" {
				t.Errorf("%s: %d %s", name, r.status, r.raw)
			}
		}
		if r := post(a, "order-7", []byte(`{"target": {}, "notification": {}}`)); r.status < 400 || r.status >= 500 || r.body["id"] != nil {
			t.Errorf("invalid body with a used key: %d %s", r.status, r.raw)
		}
		// The same key in another app is another notification.
		other := post(b, "order-7", body)
		if other.status != http.StatusAccepted || other.body["id"] == first.body["id"] || other.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("other app: %d %s", other.status, other.raw)
		}
		// Ten at once with a fresh key: one notification, all answer it.
		var wg sync.WaitGroup
		ids := make([]any, 10)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := post(a, "burst", body)
				if r.status != http.StatusAccepted {
					t.Errorf("concurrent %d: %d %s", i, r.status, r.raw)
				}
				ids[i] = r.body["id"]
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("concurrent same-key requests answered %v", ids)
			}
		}
		if n := h.count("notifications"); n != 3 {
			t.Fatalf("%d notifications, want 3 (order-7 in each app, burst once)", n)
		}
		// Past the lifetime the key is forgotten: a new notification.
		old := time.Now().Add(-notification.IdempotencyKeyLifetime - time.Hour)
		if err := db.Exec("UPDATE notifications SET created_at = ? WHERE id = ?", old, first.body["id"]).Error; err != nil {
			t.Fatal(err)
		}
		later := post(a, "order-7", []byte(`{"target": {"user_ids": ["u1"]}, "notification": {"title": "Another order"}}`))
		if later.status != http.StatusAccepted || later.body["id"] == first.body["id"] {
			t.Fatalf("expired key: %d %s", later.status, later.raw)
		}
		if r := post(a, "order-7", []byte(`{"target": {"user_ids": ["u1"]}, "notification": {"title": "Another order"}}`)); r.body["id"] != later.body["id"] {
			t.Fatalf("the key now names the new notification: %s", r.raw)
		}
	})
}

func (h *harness) count(table string) int64 {
	h.t.Helper()
	var n int64
	if err := h.db.Table(table).Count(&n).Error; err != nil {
		h.t.Fatal(err)
	}
	return n
}
