package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
)

// A personalised broadcast to 1,000 subscriptions with attributes: each
// simulated browser decrypts the text rendered for it (its attributes, its
// user's personalization, the default for those without); a template with
// a syntax error is refused when the notification is accepted.
func TestPersonalisedBroadcast(t *testing.T) {
	t.Parallel()
	p := startPipeline(t)
	const n = 1000
	b, _ := pushsim.ParseBehavior("ok")
	subs, err := p.sim.MintN(n, b)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range subs {
		body := map[string]any{"subscription": s.ToJSON(), "user_id": fmt.Sprintf("user-%04d", i)}
		if i%10 != 0 { // every tenth has no attributes
			body["attributes"] = map[string]string{"first_name": fmt.Sprintf("Name%04d", i), "plan": []string{"free", "pro"}[i%2]}
		}
		p.call("POST", "/v1/subscriptions", p.apiKey, body, 201)
	}
	got := p.call("GET", "/v1/subscriptions/"+p.call("POST", "/v1/subscriptions", p.apiKey,
		map[string]any{"subscription": subs[1].ToJSON(), "user_id": "user-0001"}, 200)["id"].(string), p.apiKey, nil, 200)
	if got["attributes"].(map[string]any)["first_name"] != "Name0001" {
		t.Fatalf("a re-post without attributes keeps them: %v", got["attributes"])
	}

	bad := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{"target": map[string]any{"all": true},
		"notification": map[string]any{"title": "Hi {{ first_name | default: \"there\" "}}, 422)
	if e := bad["error"].(map[string]any); e["code"] != "invalid_template" || !strings.Contains(e["message"].(string), "position 3") {
		t.Fatalf("syntax error: %v", bad)
	}

	id := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"all": true},
		"notification": map[string]any{
			"title": `Hi {{ first_name | default: "there" }}`,
			"body":  `{% if plan == "pro" %}Your pro perks{% else %}Try pro{% endif %}{% if coupon %}: {{ coupon }}{% endif %}`,
			"url":   "/welcome/{{ user_id }}",
		},
		"personalization": map[string]any{"user-0003": map[string]any{"coupon": "SAVE3"}, "user-0010": map[string]any{"first_name": "Ten"}},
	}, 202)["id"].(string)
	if c := counts(p.waitCompleted(id, 3*time.Minute)); c != "targeted=1000 delivered=1000 gone=0 dead=0 pending=0" {
		t.Fatalf("counts %s", c)
	}
	for i, s := range subs {
		payload := onlyPayload(t, p, s.ID, i)
		title, body := fmt.Sprintf("Hi Name%04d", i), []string{"Try pro", "Your pro perks"}[i%2]
		switch {
		case i == 10:
			title, body = "Hi Ten", "Try pro"
		case i%10 == 0:
			title, body = "Hi there", "Try pro"
		case i == 3:
			body += ": SAVE3"
		}
		if payload["title"] != title || payload["body"] != body || payload["url"] != fmt.Sprintf("/welcome/user-%04d", i) || payload["notification_id"] != id {
			t.Fatalf("subscription %d decrypted %v, want title %q body %q", i, payload, title, body)
		}
	}
}

// onlyPayload is the decrypted payload of the one message simulated
// subscription id (the i-th) got.
func onlyPayload(t *testing.T, p *pipeline, id string, i int) map[string]any {
	t.Helper()
	ds := p.sim.Deliveries(id)
	if len(ds) != 1 {
		t.Fatalf("subscription %d got %d messages", i, len(ds))
	}
	var payload map[string]any
	if err := json.Unmarshal(ds[0].Payload, &payload); err != nil {
		t.Fatal(err)
	}
	return payload
}
