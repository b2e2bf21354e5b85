package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
)

// Subscription events end to end: the API's subscribe and unsubscribe and
// the worker's prune (404/410 from herald-pushsim) each reach a verifying
// receiver as one subscription.* event naming the subscription.
func TestWebhooksSubscriptionEvents(t *testing.T) {
	t.Parallel()
	recv := newHookReceiver(t)
	p := startPipelineWith(t, pushsim.Config{}, map[string]string{"HERALD_WEBHOOK_EXTRA_ORIGINS": recv.URL})
	created := p.call("POST", "/v1/webhooks", p.apiKey, map[string]any{
		"url": recv.URL + "/herald", "events": []string{"subscription.created", "subscription.unsubscribed", "subscription.gone"}}, 201)
	recv.setSecret(created["secret"].(string))
	heraldID := func(s pushsim.Subscription) string { return s.ID[strings.LastIndex(s.ID, "|")+1:] }
	ok, gone := p.subscribe(3, "ok"), p.subscribe(2, "gone")
	p.call("DELETE", "/v1/subscriptions/"+heraldID(ok[0]), p.apiKey, nil, 204)
	id := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": "Hello"}}, 202)["id"].(string)
	p.waitCompleted(id, time.Minute)

	var want []string
	for _, s := range append(slices.Clone(ok), gone...) {
		want = append(want, "subscription.created "+heraldID(s))
	}
	want = append(want, "subscription.unsubscribed "+heraldID(ok[0]), "subscription.gone "+heraldID(gone[0]), "subscription.gone "+heraldID(gone[1]))
	slices.Sort(want)
	events := func(reqs []hookRequest) []string {
		var out []string
		for _, hr := range reqs {
			var d struct {
				SubscriptionID string `json:"subscription_id"`
			}
			json.Unmarshal(hr.Data, &d)
			out = append(out, hr.Type+" "+d.SubscriptionID)
		}
		return out
	}
	recv.await(30*time.Second, "subscription events", func(reqs []hookRequest) bool { return len(reqs) >= len(want) })
	time.Sleep(time.Second) // none more comes
	got := events(recv.snapshot())
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("events\n%q\nwant\n%q", got, want)
	}
}
