package main

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/heraldclient"
	"github.com/heraldpush/herald/pkg/pushsim"
	"github.com/heraldpush/herald/pkg/vapid"
)

// The Go client against a real Herald (API and worker on PostgreSQL and
// Redis, a push simulator behind): every admin route.
func TestGoClientAdminRoutes(t *testing.T) {
	t.Parallel()
	p, _ := startOpsPipeline(t, pushsim.Config{KeepPayloads: true})
	ctx := t.Context()
	admin := heraldclient.New(p.apiURL, heraldclient.WithAdminToken(testAdminToken), heraldclient.WithHTTPClient(typeCheckedClient(t)))

	created, err := admin.CreateApp(ctx, &heraldclient.CreateAppRequest{Name: "Shop", AllowedOrigins: []string{"https://shop.example"},
		Settings: map[string]any{"default_ttl": 600}})
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == "" || created.APIKey == "" || created.VAPIDPublicKey == "" || string(created.Settings["default_ttl"]) != "600" {
		t.Fatalf("created %+v", created)
	}
	page, err := admin.ListApps(ctx, heraldclient.ListOptions{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.NextAfter == "" || len(page.Items[0].JSON()) == 0 {
		t.Fatalf("first page of one %+v", page)
	}
	next, err := admin.ListApps(ctx, heraldclient.ListOptions{After: page.NextAfter})
	if err != nil {
		t.Fatal(err)
	}
	if len(next.Items) != 1 || next.Items[0].ID == page.Items[0].ID || next.NextAfter != "" {
		t.Fatalf("second page %+v after %+v", next, page)
	}
	name, origins := "Shop (EU)", []string{"https://shop.example", "https://eu.shop.example"}
	updated, err := admin.UpdateApp(ctx, created.ID, &heraldclient.AppUpdate{Name: &name, AllowedOrigins: &origins,
		Settings: map[string]any{"default_ttl": nil}})
	if err != nil {
		t.Fatal(err)
	}
	if updated.Name != name || !slices.Equal(updated.AllowedOrigins, origins) || string(updated.Settings["default_ttl"]) != "null" {
		t.Fatalf("updated %+v (settings %s)", updated, updated.JSON())
	}
	got, err := admin.GetApp(ctx, created.ID)
	if err != nil || got.Name != name {
		t.Fatalf("get %+v, %v", got, err)
	}

	// A second key works beside the first; the first, revoked, no longer does.
	key2, err := admin.CreateAPIKey(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := admin.ListAPIKeys(ctx, created.ID)
	if err != nil || len(keys.Items) != 2 {
		t.Fatalf("keys %+v, %v", keys, err)
	}
	if _, err := heraldclient.New(p.apiURL, heraldclient.WithAPIKey(key2.APIKey)).Stats(ctx); err != nil {
		t.Fatalf("second key: %v", err)
	}
	if err := admin.RevokeAPIKey(ctx, created.ID, created.APIKeyID); err != nil {
		t.Fatal(err)
	}
	if _, err := heraldclient.New(p.apiURL, heraldclient.WithAPIKey(created.APIKey)).Stats(ctx); !heraldclient.IsCode(err, "invalid_api_key") {
		t.Fatalf("revoked key: err = %v", err)
	}

	// VAPID: rotate, import a pair as `heraldctl vapid generate` makes it,
	// list, delete a retired key no subscription holds.
	rotated, err := admin.RotateVAPIDKey(ctx, created.ID)
	if err != nil || !rotated.Active || rotated.PublicKey == created.VAPIDPublicKey {
		t.Fatalf("rotated %+v, %v", rotated, err)
	}
	pair, err := vapid.Generate()
	if err != nil {
		t.Fatal(err)
	}
	imported, err := admin.ImportVAPIDKey(ctx, created.ID, pair.PublicKey(), pair.PrivateKey())
	if err != nil || imported.PublicKey != pair.PublicKey() {
		t.Fatalf("imported %+v, %v", imported, err)
	}
	if pub, err := admin.VAPIDPublicKey(ctx, created.ID); err != nil || pub != pair.PublicKey() {
		t.Fatalf("public key %q, %v", pub, err)
	}
	vkeys, err := admin.ListVAPIDKeys(ctx, created.ID)
	if err != nil || len(vkeys.Items) != 3 {
		t.Fatalf("vapid keys %+v, %v", vkeys, err)
	}
	if err := admin.DeleteVAPIDKey(ctx, created.ID, rotated.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ImportVAPIDKey(ctx, created.ID, created.VAPIDPublicKey, pair.PrivateKey()); heraldclient.StatusOf(err) != 422 {
		t.Fatalf("mismatched pair: err = %v", err)
	}

	deleted, err := admin.DeleteApp(ctx, created.ID, false)
	if err != nil || deleted.ID != created.ID || deleted.Deleted.APIKeys != 1 || deleted.Deleted.VAPIDKeys != 2 {
		t.Fatalf("deleted %+v, %v", deleted, err)
	}
	if _, err := admin.GetApp(ctx, created.ID); !heraldclient.IsCode(err, "app_not_found") {
		t.Fatalf("deleted app: err = %v", err)
	}
	// An API key on an admin route is told so.
	var apiErr *heraldclient.Error
	_, err = heraldclient.New(p.apiURL, heraldclient.WithAdminToken(p.apiKey)).ListApps(ctx, heraldclient.ListOptions{})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("API key as admin token: err = %v", err)
	}
}

// Every server-to-server route: subscribe, send and wait, idempotent
// replays, dead letters and their retry, cancel, stats, segment previews.
func TestGoClientServerRoutes(t *testing.T) {
	t.Parallel()
	p, _ := startOpsPipeline(t, pushsim.Config{KeepPayloads: true})
	ctx := t.Context()
	c := heraldclient.New(p.apiURL, heraldclient.WithAPIKey(p.apiKey), heraldclient.WithAdminToken(testAdminToken),
		heraldclient.WithHTTPClient(typeCheckedClient(t)))

	var ids []string
	for i, behavior := range []string{"ok", "ok", "always_fail"} {
		b, _ := pushsim.ParseBehavior(behavior)
		sim, err := p.sim.Mint(b, "")
		if err != nil {
			t.Fatal(err)
		}
		req := &heraldclient.SubscribeRequest{Subscription: heraldclient.PushSubscription{Endpoint: sim.Endpoint,
			Keys: heraldclient.PushKeys{P256dh: sim.Keys.P256dh, Auth: sim.Keys.Auth}}, UserID: "u1", Topics: []string{"news"}}
		if i == 2 {
			req.UserID, req.Topics = "u2", []string{"sports"}
		}
		s, err := c.Subscribe(ctx, req)
		if err != nil || !s.Created {
			t.Fatalf("subscribe: %+v, %v", s, err)
		}
		again, err := c.Subscribe(ctx, req)
		if err != nil || again.Created || again.ID != s.ID {
			t.Fatalf("subscribe again: %+v, %v (first %s)", again, err, s.ID)
		}
		ids = append(ids, s.ID)
	}
	sub, err := c.GetSubscription(ctx, ids[0])
	if err != nil || sub.Status != heraldclient.SubscriptionActive || *sub.UserID != "u1" {
		t.Fatalf("subscription %+v, %v", sub, err)
	}

	preview, err := c.PreviewSegment(ctx, "news || sports")
	if err != nil || preview.Audience != 3 {
		t.Fatalf("preview %+v, %v", preview, err)
	}

	req := &heraldclient.SendRequest{Target: heraldclient.Target{All: true}, Notification: heraldclient.Content{Title: "Hello", Body: "from the Go client"},
		IdempotencyKey: heraldclient.NewIdempotencyKey()}
	sent, err := c.Send(ctx, req)
	if err != nil || sent.Replayed {
		t.Fatalf("send %+v, %v", sent, err)
	}
	replay, err := c.Send(ctx, req)
	if err != nil || !replay.Replayed || replay.ID != sent.ID {
		t.Fatalf("replayed send %+v, %v (first %s)", replay, err, sent.ID)
	}
	var polls int
	done, err := c.WaitCompleted(ctx, sent.ID, 100*time.Millisecond, func(*heraldclient.Notification) { polls++ })
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != heraldclient.StatusCompleted || done.Counts.Targeted != 3 || done.Counts.Delivered != 2 || done.Counts.Dead != 1 || polls == 0 {
		t.Fatalf("completed %+v after %d polls", done, polls)
	}

	letters, err := c.ListDeadLetters(ctx, heraldclient.ListOptions{})
	if err != nil || len(letters.Items) != 1 || letters.Items[0].SubscriptionID != ids[2] || letters.Items[0].LastError == "" {
		t.Fatalf("dead letters %+v, %v", letters, err)
	}
	recent, err := c.RecentDeadLetters(ctx, 10)
	if err != nil || len(recent) != 1 || recent[0].AppID == "" {
		t.Fatalf("recent dead letters %+v, %v", recent, err)
	}
	retried, err := c.RetryDeadLetter(ctx, letters.Items[0].ID)
	if err != nil || retried.RetriedAt == nil {
		t.Fatalf("retry %+v, %v", retried, err)
	}
	if _, err := c.AdminRetryDeadLetter(ctx, letters.Items[0].ID); !heraldclient.IsCode(err, "dead_letter_retried") {
		t.Fatalf("second retry: err = %v", err)
	}
	again, err := c.WaitCompleted(ctx, sent.ID, 100*time.Millisecond, nil)
	if err != nil || again.Counts.Dead != 1 || again.Counts.Delivered != 2 {
		t.Fatalf("after the retry %+v, %v", again, err)
	}
	// All of a notification's dead letters at once: the one dead again.
	if n, err := c.RetryNotificationDeadLetters(ctx, sent.ID); err != nil || n != 1 {
		t.Fatalf("retry all: %d, %v", n, err)
	}
	if n, err := c.AdminRetryNotificationDeadLetters(ctx, sent.ID); err != nil || n != 0 {
		t.Fatalf("retry all again, nothing left: %d, %v", n, err)
	}
	if _, err := c.RetryNotificationDeadLetters(ctx, "not-a-uuid"); !heraldclient.IsCode(err, "notification_not_found") {
		t.Fatalf("retry all of no notification: err = %v", err)
	}
	if _, err := c.WaitCompleted(ctx, sent.ID, 100*time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	history, err := c.RecentNotifications(ctx, 5)
	if err != nil || len(history) != 1 || history[0].ID != sent.ID || history[0].Title != "Hello" || history[0].Counts.Delivered != 2 {
		t.Fatalf("history %+v, %v", history, err)
	}

	// Scheduled notifications: one cancelled by id, one by its cancel key.
	later := time.Now().Add(time.Hour)
	scheduled, err := c.Send(ctx, &heraldclient.SendRequest{Target: heraldclient.Target{UserIDs: []string{"u1"}},
		Notification: heraldclient.Content{Title: "Later"}, SendAt: &later})
	if err != nil || scheduled.Status != heraldclient.StatusScheduled {
		t.Fatalf("scheduled %+v, %v", scheduled, err)
	}
	cancelled, err := c.CancelNotification(ctx, scheduled.ID)
	if err != nil || cancelled.Status != heraldclient.StatusCancelled {
		t.Fatalf("cancelled %+v, %v", cancelled, err)
	}
	if _, err := c.Send(ctx, &heraldclient.SendRequest{Target: heraldclient.Target{Topics: []string{"sports"}},
		Notification: heraldclient.Content{Title: "Later"}, SendAt: &later, CancelKey: "match-7"}); err != nil {
		t.Fatal(err)
	}
	if n, err := c.CancelByKey(ctx, "match-7"); err != nil || n != 1 {
		t.Fatalf("cancel by key: %d, %v", n, err)
	}

	stats, err := c.Stats(ctx)
	if err != nil || len(stats.Queues) == 0 {
		t.Fatalf("stats %+v, %v", stats, err)
	}
	all, err := c.AdminStats(ctx)
	if err != nil || all.Counts.Notifications["completed"] < 1 || all.BucketSeconds == 0 {
		t.Fatalf("admin stats %+v, %v", all, err)
	}

	if err := c.Unsubscribe(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	if sub, err := c.GetSubscription(ctx, ids[1]); err != nil || sub.Status != heraldclient.SubscriptionUnsubscribed {
		t.Fatalf("unsubscribed %+v, %v", sub, err)
	}
	if _, err := c.GetNotification(ctx, "0190f5c2-0000-7000-8000-000000000000"); !heraldclient.IsCode(err, "notification_not_found") {
		t.Fatalf("unknown notification: err = %v", err)
	}
	_, err = c.Send(ctx, &heraldclient.SendRequest{Target: heraldclient.Target{All: true}, Notification: heraldclient.Content{Title: "x"},
		Extra: map[string]any{"no_such_field": 1}})
	if !heraldclient.IsCode(err, "unknown_field") {
		t.Fatalf("unknown field: err = %v", err)
	}
}
