package main

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/heraldclient"
	"github.com/heraldpush/herald/pkg/pushsim"
)

// The Go client's webhook calls and a send's personalization and A/B
// variants against a real Herald, their answers checked against the
// client's types: an endpoint created, listed, got, rotated, tested (the
// receiver verifies the test with the rotated secret), its deliveries
// listed with their attempts and one re-sent, then deleted; a send whose
// variants' templates are filled from the request's personalization.
func TestGoClientWebhooksAndVariants(t *testing.T) {
	t.Parallel()
	recv := newHookReceiver(t)
	p := startPipelineWith(t, pushsim.Config{KeepPayloads: true}, map[string]string{"HERALD_WEBHOOK_EXTRA_ORIGINS": recv.URL})
	ctx := t.Context()
	c := heraldclient.New(p.apiURL, heraldclient.WithAPIKey(p.apiKey), heraldclient.WithHTTPClient(typeCheckedClient(t)))

	if _, err := c.CreateWebhook(ctx, "https://10.0.0.1/hook", []string{"notification.completed"}); !heraldclient.IsCode(err, "webhook_url_not_allowed") {
		t.Fatalf("a private URL: err = %v", err)
	}
	hook, err := c.CreateWebhook(ctx, recv.URL+"/herald", []string{"notification.completed"})
	if err != nil || hook.Secret == "" || !hook.Enabled {
		t.Fatalf("create %+v, %v", hook, err)
	}
	if page, err := c.ListWebhooks(ctx, heraldclient.ListOptions{}); err != nil || len(page.Items) != 1 || page.Items[0].Secret != "" {
		t.Fatalf("list %+v, %v", page, err)
	}
	if got, err := c.GetWebhook(ctx, hook.ID); err != nil || got.URL != recv.URL+"/herald" {
		t.Fatalf("get %+v, %v", got, err)
	}
	rotated, err := c.UpdateWebhook(ctx, hook.ID, &heraldclient.WebhookUpdate{RotateSecret: true,
		Events: []string{"notification.completed", "notification.clicked"}})
	if err != nil || rotated.Secret == "" || rotated.Secret == hook.Secret || rotated.PreviousSecretUntil == nil || len(rotated.Events) != 2 {
		t.Fatalf("rotate %+v, %v", rotated, err)
	}
	recv.setSecret(rotated.Secret)
	test, err := c.TestWebhook(ctx, hook.ID)
	if err != nil || test.EventType != "webhook.test" || test.Status != heraldclient.WebhookPending {
		t.Fatalf("test %+v, %v", test, err)
	}
	delivered := func(what string) *heraldclient.WebhookDelivery {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			page, err := c.ListWebhookDeliveries(ctx, hook.ID, heraldclient.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range page.Items {
				if d.ID == test.ID && d.Status == heraldclient.WebhookDelivered && len(d.RecentAttempts) == d.Attempts {
					return &d
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: deliveries %+v", what, page.Items)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	first := delivered("the test")
	if first.Attempts != 1 || first.RecentAttempts[0].Status != 200 || first.LastStatus != 200 {
		t.Fatalf("the test's delivery %+v", first)
	}
	if again, err := c.RetryWebhookDelivery(ctx, hook.ID, test.ID); err != nil || again.Status != heraldclient.WebhookPending {
		t.Fatalf("re-send %+v, %v", again, err)
	}
	for resent := delivered("the re-send"); resent.Attempts != 2; resent = delivered("the re-send") {
		time.Sleep(100 * time.Millisecond)
	}

	subs, err := p.sim.MintN(2, pushsim.Behavior{})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range subs {
		if _, err := c.Subscribe(ctx, &heraldclient.SubscribeRequest{Subscription: heraldclient.PushSubscription{Endpoint: s.Endpoint,
			Keys: heraldclient.PushKeys{P256dh: s.Keys.P256dh, Auth: s.Keys.Auth}}, UserID: []string{"ann", "bob"}[i]}); err != nil {
			t.Fatal(err)
		}
	}
	off := false
	sent, err := c.Send(ctx, &heraldclient.SendRequest{Target: heraldclient.Target{All: true},
		Notification:    heraldclient.Content{Body: "Your {{ item }} is back", RequireInteraction: true},
		Personalization: map[string]map[string]any{"ann": {"first_name": "Ann", "item": "kettle"}, "bob": {"first_name": "Bob", "item": "lamp"}},
		Variants: []heraldclient.Variant{
			// a turns off what the top level turns on; b keeps it.
			{Name: "a", Weight: 50, Notification: heraldclient.VariantContent{Content: heraldclient.Content{Title: "Hi {{ first_name }}"}, RequireInteraction: &off}},
			{Name: "b", Weight: 50, Notification: heraldclient.VariantContent{Content: heraldclient.Content{Title: "Hello {{ first_name }}"}}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.WaitCompleted(ctx, sent.ID, 100*time.Millisecond, nil)
	if err != nil || done.Counts.Delivered != 2 || len(done.Variants) != 2 || done.Variants[0].Counts.Final+done.Variants[1].Counts.Final != 2 {
		t.Fatalf("completed %+v, %v", done, err)
	}
	for i, want := range []string{"Ann", "Bob"} {
		payload := onlyPayload(t, p, subs[i].ID, i)
		if title := payload["title"]; title != "Hi "+want && title != "Hello "+want {
			t.Errorf("%s's title %q", want, title)
		}
		if sticky := payload["require_interaction"] == true; sticky != strings.HasPrefix(payload["title"].(string), "Hello ") {
			t.Errorf("%s's payload %v: require_interaction should be on for b only", want, payload)
		}
		if body := payload["body"]; body != "Your "+[]string{"kettle", "lamp"}[i]+" is back" {
			t.Errorf("%s's body %q", want, body)
		}
	}

	if err := c.DeleteWebhook(ctx, hook.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetWebhook(ctx, hook.ID); !heraldclient.IsCode(err, "webhook_not_found") {
		t.Fatalf("after delete: err = %v", err)
	}
}
