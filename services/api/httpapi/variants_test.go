package httpapi

import (
	"testing"

	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// A variant's "require_interaction": false (renotify, silent alike) turns
// off what the top-level notification turns on; a variant not giving one
// keeps the top-level value.
func TestVariantSwitchesOff(t *testing.T) {
	t.Parallel()
	h := setup(t, dbtest.Postgres(t))
	a := h.createApp()
	r := h.do("POST", "/v1/notifications", map[string]any{"target": map[string]any{"all": true},
		"notification": map[string]any{"title": "Sale", "tag": "sale", "require_interaction": true, "renotify": true, "silent": true},
		"variants": []any{
			map[string]any{"name": "quiet", "weight": 1, "notification": map[string]any{"require_interaction": false, "renotify": false, "silent": false}},
			map[string]any{"name": "kept", "weight": 1, "notification": map[string]any{"body": "B"}}}},
		"Authorization", "Bearer "+a.APIKey)
	if r.status != 202 {
		t.Fatalf("send: %d %s", r.status, r.raw)
	}
	got := h.do("GET", "/v1/notifications/"+r.body["id"].(string), nil, "Authorization", "Bearer "+a.APIKey)
	vs, _ := got.body["variants"].([]any)
	if len(vs) != 2 {
		t.Fatalf("variants %s", got.raw)
	}
	for i, want := range []any{nil, true} {
		content := vs[i].(map[string]any)["notification"].(map[string]any)
		for _, field := range []string{"require_interaction", "renotify", "silent"} {
			if content[field] != want {
				t.Errorf("variant %d %s: %v, want %v (absent: false)", i, field, content[field], want)
			}
		}
	}
}
