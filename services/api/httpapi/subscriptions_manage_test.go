package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPatchSubscriptionAndUserTopics(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, h *harness) {
		a := h.createApp()
		auth := []string{"Authorization", "Bearer " + a.APIKey}
		var ids []string
		for i := range 3 {
			body := map[string]any{"subscription": browserSubscription(t, fmt.Sprintf("%s/push/p%d", listedOrigin, i)), "user_id": "ann", "topics": []string{"news"}}
			ids = append(ids, h.do("POST", "/v1/subscriptions", body, auth...).body["id"].(string))
		}
		r := h.do("PATCH", "/v1/subscriptions/"+ids[0], map[string]any{"topics": []string{"sport", "news", "sport"}, "timezone": "Asia/Tokyo"}, auth...)
		if r.status != 200 || r.body["timezone"] != "Asia/Tokyo" || r.body["user_id"] != "ann" || fmt.Sprint(r.body["topics"]) != "[news sport]" {
			t.Fatalf("patch: %d %s", r.status, r.raw)
		}
		r = h.do("PATCH", "/v1/subscriptions/"+ids[0], []byte(`{"user_id": null}`), auth...)
		if r.status != 200 || r.body["user_id"] != nil || r.body["timezone"] != "Asia/Tokyo" {
			t.Fatalf("detach user: %d %s", r.status, r.raw)
		}
		for _, c := range []struct {
			body any
			code string
		}{
			{map[string]any{"timezone": "Mars/Olympus"}, "invalid_timezone"},
			{map[string]any{"user_id": ""}, "invalid_user_id"},
			{[]byte(`{"user_id": 7}`), "invalid_json"},
			{[]byte(`{"topic": ["x"]}`), "unknown_field"},
		} {
			if r := h.do("PATCH", "/v1/subscriptions/"+ids[1], c.body, auth...); r.code() != c.code {
				t.Errorf("patch %s: %d %s", c.body, r.status, r.raw)
			}
		}
		if r := h.do("PATCH", "/v1/subscriptions/"+ids[1], map[string]any{"timezone": "UTC"}, "Authorization", "Bearer "+h.createApp().APIKey); r.status != 404 {
			t.Fatalf("another app's subscription: %d %s", r.status, r.raw)
		}

		// A user's topics change on all the user's subscriptions (ann has two left).
		r = h.do("POST", "/v1/users/ann/topics", map[string]any{"add": []string{"deals"}, "remove": []string{"news"}}, auth...)
		if r.status != 200 || r.body["subscriptions"] != float64(2) {
			t.Fatalf("user topics: %d %s", r.status, r.raw)
		}
		for _, id := range ids[1:] {
			if got := h.do("GET", "/v1/subscriptions/"+id, nil, auth...); fmt.Sprint(got.body["topics"]) != "[deals]" {
				t.Fatalf("%s topics: %s", id, got.raw)
			}
		}
		if r := h.do("POST", "/v1/users/ann/topics", map[string]any{}, auth...); r.code() != "invalid_topics" {
			t.Fatalf("no change: %d %s", r.status, r.raw)
		}
		if r := h.do("POST", "/v1/users/ann/topics", map[string]any{"add": []string{"a"}, "remove": []string{"a"}}, auth...); r.code() != "invalid_topics" {
			t.Fatalf("add and remove: %d %s", r.status, r.raw)
		}

		// Topics with their active followers: news and sport (ids[0]), deals (ids[1]; ids[2] goes).
		h.do("DELETE", "/v1/subscriptions/"+ids[2], nil, auth...)
		r = h.do("GET", "/v1/topics?limit=1", nil, auth...)
		items := r.body["items"].([]any)
		if r.status != 200 || len(items) != 1 || items[0].(map[string]any)["topic"] != "deals" ||
			items[0].(map[string]any)["active_subscriptions"] != float64(1) || r.body["next_after"] != "deals" {
			t.Fatalf("topics: %d %s", r.status, r.raw)
		}
		r = h.do("GET", "/v1/topics?after=deals", nil, auth...)
		if items := r.body["items"].([]any); len(items) != 2 || items[0].(map[string]any)["topic"] != "news" || items[1].(map[string]any)["topic"] != "sport" || r.body["next_after"] != nil {
			t.Fatalf("topics page 2: %s", r.raw)
		}
	})
}

func TestNotificationHistoryAndErrors(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, h *harness) {
		a := h.createApp()
		auth := []string{"Authorization", "Bearer " + a.APIKey}
		var ids []string
		for i := range 3 {
			r := h.do("POST", "/v1/notifications", map[string]any{"target": map[string]any{"user_ids": []string{"nobody"}},
				"notification": map[string]any{"title": fmt.Sprint("n", i)}, "send_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, auth...)
			if r.status != 202 {
				t.Fatalf("send: %d %s", r.status, r.raw)
			}
			ids = append(ids, r.body["id"].(string))
		}
		h.do("DELETE", "/v1/notifications/"+ids[0], nil, auth...)
		r := h.do("GET", "/v1/notifications?limit=2", nil, auth...)
		items := r.body["items"].([]any)
		if r.status != 200 || len(items) != 2 || items[0].(map[string]any)["id"] != ids[2] || r.body["next_after"] != ids[1] {
			t.Fatalf("history: %d %s", r.status, r.raw)
		}
		if c := items[0].(map[string]any)["counts"].(map[string]any); c["targeted"] != float64(0) || items[0].(map[string]any)["status"] != "scheduled" {
			t.Fatalf("history item: %v", items[0])
		}
		r = h.do("GET", "/v1/notifications?status=cancelled&since="+time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), nil, auth...)
		if items := r.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != ids[0] {
			t.Fatalf("cancelled since a minute ago: %s", r.raw)
		}
		for q, code := range map[string]string{"status=done": "invalid_status", "since=yesterday": "invalid_since", "after=x": "invalid_cursor"} {
			if r := h.do("GET", "/v1/notifications?"+q, nil, auth...); r.status != http.StatusUnprocessableEntity || r.code() != code {
				t.Errorf("%s: %d %s", q, r.status, r.raw)
			}
		}
		// A bad send_at says what a good one looks like.
		r = h.do("POST", "/v1/notifications", map[string]any{"target": map[string]any{"all": true},
			"notification": map[string]any{"title": "x"}, "send_at": "2026-12-24 09:00"}, auth...)
		if r.status != 400 || r.code() != "invalid_send_at" || !strings.Contains(r.raw2(), "2026-12-24T09:00:00Z") {
			t.Fatalf("bad send_at: %d %s", r.status, r.raw)
		}
	})
}

// PATCH merges attributes as a JSON merge patch: a string sets its key, a
// null removes it, keys not named stay; the result is held to the limits
// of a whole map; concurrent patches of different keys all land.
func TestPatchSubscriptionAttributesMerges(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, h *harness) {
		a := h.createApp()
		auth := []string{"Authorization", "Bearer " + a.APIKey}
		id := h.do("POST", "/v1/subscriptions", map[string]any{"subscription": browserSubscription(t, listedOrigin+"/push/attrs"),
			"attributes": map[string]string{"first_name": "Ada", "plan": "free"}}, auth...).body["id"].(string)
		attrsOf := func(r response) string {
			t.Helper()
			if r.status != 200 {
				t.Fatalf("patch: %d %s", r.status, r.raw)
			}
			return fmt.Sprint(r.body["attributes"])
		}
		if got := attrsOf(h.do("PATCH", "/v1/subscriptions/"+id, []byte(`{"attributes": {"plan": null, "city": "Lyon"}}`), auth...)); got != "map[city:Lyon first_name:Ada]" {
			t.Fatalf("merge: %s", got)
		}
		if got := attrsOf(h.do("PATCH", "/v1/subscriptions/"+id, map[string]any{"timezone": "UTC", "attributes": map[string]any{"missing": nil}}, auth...)); got != "map[city:Lyon first_name:Ada]" {
			t.Fatalf("removing an absent key: %s", got)
		}
		if got := attrsOf(h.do("PATCH", "/v1/subscriptions/"+id, map[string]any{"timezone": "Europe/Paris"}, auth...)); got != "map[city:Lyon first_name:Ada]" {
			t.Fatalf("a patch without attributes keeps them: %s", got)
		}
		many := map[string]any{}
		for i := range 63 {
			many[fmt.Sprintf("k%d", i)] = "v"
		}
		for _, c := range []struct {
			body any
			code string
		}{
			{map[string]any{"attributes": map[string]any{"1st": "x"}}, "invalid_attributes"},
			{map[string]any{"attributes": map[string]any{"long": strings.Repeat("é", 501)}}, "invalid_attributes"},
			{map[string]any{"attributes": many}, "invalid_attributes"}, // 63 new keys beside the 2 stored: 65
			{[]byte(`{"attributes": "x"}`), "invalid_json"},
			{[]byte(`{"attributes": {"n": 5}}`), "invalid_json"},
			{[]byte(`{"attributes": {"plan": "pro"}, "user_id": ""}`), "invalid_user_id"},
		} {
			r := h.do("PATCH", "/v1/subscriptions/"+id, c.body, auth...)
			if r.code() != c.code || !strings.Contains(r.raw2(), "attribute") && c.code == "invalid_attributes" {
				t.Errorf("patch %v: %d %s", c.body, r.status, r.raw)
			}
		}
		if got := h.do("GET", "/v1/subscriptions/"+id, nil, auth...); fmt.Sprint(got.body["attributes"]) != "map[city:Lyon first_name:Ada]" {
			t.Fatalf("a refused patch changed the attributes: %s", got.raw)
		}

		// Patches of different keys at once: each reads the others' keys.
		var wg sync.WaitGroup
		errs := make(chan string, 16)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := h.do("PATCH", "/v1/subscriptions/"+id, map[string]any{"attributes": map[string]any{fmt.Sprintf("c%d", i): "x"}}, auth...)
				if r.status != 200 {
					errs <- string(r.raw)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Fatalf("concurrent patch: %s", e)
		}
		got := h.do("GET", "/v1/subscriptions/"+id, nil, auth...).body["attributes"].(map[string]any)
		if len(got) != 18 {
			t.Fatalf("after 16 concurrent patches of one key each: %d attributes, want 18: %v", len(got), got)
		}
		if got := attrsOf(h.do("PATCH", "/v1/subscriptions/"+id, []byte(`{"attributes": null}`), auth...)); got != "map[]" {
			t.Fatalf("null clears them: %s", got)
		}
	})
}
