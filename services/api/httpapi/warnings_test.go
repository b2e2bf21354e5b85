package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// A payload Firefox for Android would refuse (over about 3,070 encrypted
// bytes) is accepted with a warning naming Mozilla's push service and the
// limit; a small one has no warnings.
func TestNotificationWarnsOverFirefoxAndroidLimit(t *testing.T) {
	t.Parallel()
	h := setup(t, dbtest.Postgres(t))
	a := h.createApp()
	send := func(body string) response {
		r := h.do("POST", "/v1/notifications", map[string]any{"target": map[string]any{"all": true},
			"notification": map[string]any{"title": "Hi", "body": body}}, "Authorization", "Bearer "+a.APIKey)
		if r.status != http.StatusAccepted {
			t.Fatalf("send: %d %s", r.status, r.raw)
		}
		return r
	}
	if small := send("short"); len(small.body["warnings"].([]any)) != 0 {
		t.Fatalf("a small notification: %s, want no warnings", small.raw)
	}
	// 1,500 two-byte characters: about 3,200 bytes of JSON, under the
	// 3,993-byte limit of one record, over Firefox for Android's.
	r := send(strings.Repeat("é", 1500))
	w, _ := r.body["warnings"].([]any)
	if len(w) != 1 {
		t.Fatalf("a large notification: %s, want one warning", r.raw)
	}
	first := w[0].(map[string]any)
	if first["code"] != "payload_over_safe_size" || first["service"] != "mozilla" ||
		!strings.Contains(first["message"].(string), "Firefox for Android") || !strings.Contains(first["message"].(string), "3070") {
		t.Fatalf("warning %v", first)
	}
}
