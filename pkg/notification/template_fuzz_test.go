package notification

import (
	"encoding/json"
	"testing"

	"github.com/heraldpush/herald/pkg/fault"
)

// Personalised content: checking templates answers nil or a fault; what it
// accepts compiles in the worker, and each recipient's rendering (with
// attributes a browser may set) never panics and is valid JSON that fits a
// push record, or says why not.
func FuzzTemplate(f *testing.F) {
	f.Add("Hi {{ name | default: 'there' }}", "{% if vip %}VIP{% endif %} {{ user_id }}", "https://shop.example/{{ sku }}", "name", "Ann", "u1")
	f.Add("{{", "{% for x in (1..3) %}{{x}}{% endfor %}", "{{ url }}", "url", "javascript:alert(1)", "")
	f.Add("{{ a | upcase | append: b }}", "{% raw %}{{{% endraw %}", "/p/{{ id | url_encode }}", "b", "\"}\\u0000", "\xff")
	f.Fuzz(func(t *testing.T, title, body, link, attrKey, attrValue, userID string) {
		c := Content{Title: title, Body: body, URL: link}
		if err := c.checkTemplates(); err != nil {
			if _, ok := fault.As(err); !ok {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		payload, err := json.Marshal(payload{NotificationID: "n", ContentJSON: c.JSON()})
		if err != nil {
			return
		}
		r, err := NewRenderer(&Notification{ID: "n", Payload: string(payload)}, string(payload), "")
		if err != nil {
			t.Fatalf("accepted templates (title %q, body %q, url %q) do not compile: %v", title, body, link, err)
		}
		out, err := r.Render(Recipient{Subscription: map[string]string{attrKey: attrValue}, UserID: userID}, false)
		if err != nil {
			return
		}
		if !json.Valid(out) || len(out) > MaxPayloadBytes {
			t.Fatalf("rendered payload (%d bytes) is not valid JSON within the limit: %q", len(out), out)
		}
	})
}
