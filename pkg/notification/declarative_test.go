package notification_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/engagement"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// noFanout leaves the fan-out unqueued: these tests read the stored payloads.
type noFanout struct{}

func (noFanout) EnqueueFanout(context.Context, *notification.Notification) error { return nil }

// payloadService is a Service signing real event tokens, and an app of it.
func payloadService(t *testing.T) (*notification.Service, string, *database.DB) {
	t.Helper()
	db := dbtest.Postgres(t)
	key, _, _ := masterkey.Generate()
	created, err := app.NewStore(db, key).Create(context.Background(), app.CreateInput{Name: "payloads"})
	if err != nil {
		t.Fatal(err)
	}
	svc := notification.NewService(db, noFanout{}, engagement.NewTokens(db, key), slog.New(slog.NewTextHandler(io.Discard, nil)))
	return svc, created.App.ID, db
}

func send(t *testing.T, svc *notification.Service, appID string, req notification.Request) (*notification.Notification, error) {
	t.Helper()
	req.Target = notification.Target{All: true}
	n, _, err := svc.Create(context.Background(), appID, "", req)
	return n, err
}

// webKitOptions are the members a declarative push message's notification
// may hold: NotificationOptions under their Notifications API names, with
// title and navigate.
var webKitOptions = map[string]bool{"title": true, "navigate": true, "dir": true, "lang": true, "body": true, "tag": true,
	"image": true, "icon": true, "badge": true, "vibrate": true, "timestamp": true, "renotify": true, "silent": true,
	"requireInteraction": true, "data": true, "actions": true}

// checkWebKitShape fails unless p is a Declarative Web Push message as
// WebKit (Safari 18.4) parses it, carrying Herald's members.
func checkWebKitShape(t *testing.T, p map[string]any) map[string]any {
	t.Helper()
	if p["web_push"] != float64(8030) {
		t.Fatalf("web_push = %v, want the number 8030: %v", p["web_push"], p)
	}
	n, ok := p["notification"].(map[string]any)
	if !ok {
		t.Fatalf("no notification object: %v", p)
	}
	if title, _ := n["title"].(string); title == "" {
		t.Fatalf("notification.title missing: %v", n)
	}
	if nav, _ := n["navigate"].(string); !strings.HasPrefix(nav, "https://") && !strings.HasPrefix(nav, "http://") {
		t.Fatalf("notification.navigate = %v, want an absolute URL", n["navigate"])
	}
	for k := range n {
		if !webKitOptions[k] {
			t.Errorf("notification.%s is not a member WebKit reads", k)
		}
	}
	if _, nested := n["app_badge"]; nested {
		t.Error("app_badge nested under notification; it sits at the top level")
	}
	if actions, ok := n["actions"].([]any); ok {
		for _, a := range actions {
			a := a.(map[string]any)
			if a["action"] == "" || a["title"] == "" || a["navigate"] == nil || a["url"] != nil {
				t.Errorf("action %v: want action, title and navigate (no url)", a)
			}
		}
	}
	if p["mutable"] != true {
		t.Errorf("mutable = %v, want true (the service worker may still change it)", p["mutable"])
	}
	if id, _ := p["notification_id"].(string); id == "" {
		t.Error("notification_id missing")
	}
	if tok, _ := p["event_token"].(string); !strings.HasPrefix(tok, "v1.") {
		t.Errorf("event_token = %v", p["event_token"])
	}
	return n
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("payload %q: %v", s, err)
	}
	return m
}

func TestDeclarativePayloadHasWebKitShape(t *testing.T) {
	t.Parallel()
	svc, appID, _ := payloadService(t)
	badge := 7
	n, err := send(t, svc, appID, notification.Request{Format: notification.FormatDeclarative, AppBadge: &badge,
		App: notification.AppDefaults{Origin: "https://shop.example"},
		Notification: notification.Content{Title: "Order shipped", Body: "Arrives Tuesday", URL: "/orders/42", Lang: "en-GB", Dir: "ltr",
			Tag: "order", Icon: "/icon.png", Silent: true, RequireInteraction: true, Data: json.RawMessage(`{"order":42}`),
			Actions: []notification.Action{{Action: "track", Title: "Track", URL: "https://track.example/42"}, {Action: "later", Title: "Later"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, service := range []pushendpoint.Service{pushendpoint.Apple, pushendpoint.FCM, pushendpoint.Mozilla} {
		if n.PayloadFor(service) != n.Payload {
			t.Fatalf("format declarative: %s gets another payload", service)
		}
	}
	p := decode(t, n.Payload)
	d := checkWebKitShape(t, p)
	if p["notification_id"] != n.ID || p["app_badge"] != float64(7) {
		t.Errorf("top level: %v", p)
	}
	want := map[string]any{"title": "Order shipped", "body": "Arrives Tuesday", "navigate": "https://shop.example/orders/42",
		"lang": "en-GB", "dir": "ltr", "tag": "order", "icon": "https://shop.example/icon.png", "silent": true,
		"requireInteraction": true, "data": map[string]any{"order": float64(42)}}
	for k, v := range want {
		if b1, _ := json.Marshal(d[k]); string(b1) != mustJSON(v) {
			t.Errorf("notification.%s = %s, want %s", k, b1, mustJSON(v))
		}
	}
	actions := d["actions"].([]any)
	if actions[0].(map[string]any)["navigate"] != "https://track.example/42" || actions[1].(map[string]any)["navigate"] != "https://shop.example/orders/42" {
		t.Errorf("actions: %v (one without a url opens the notification's target)", actions)
	}
	if n.Format != notification.FormatDeclarative || n.AppBadge == nil || *n.AppBadge != 7 {
		t.Errorf("stored format %q badge %v", n.Format, n.AppBadge)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestFormatPerPushService(t *testing.T) {
	t.Parallel()
	svc, appID, _ := payloadService(t)
	content := notification.Content{Title: "Hi", URL: "https://shop.example/"}
	isDeclarative := func(s string) bool { _, ok := decode(t, s)["web_push"]; return ok }

	// auto (the default): Apple's push service gets Declarative Web Push,
	// the others Herald's standard JSON.
	n, err := send(t, svc, appID, notification.Request{Notification: content})
	if err != nil {
		t.Fatal(err)
	}
	if n.Format != notification.FormatAuto || !isDeclarative(n.PayloadFor(pushendpoint.Apple)) {
		t.Fatalf("auto: Apple gets %s", n.PayloadFor(pushendpoint.Apple))
	}
	checkWebKitShape(t, decode(t, n.PayloadFor(pushendpoint.Apple)))
	for _, s := range []pushendpoint.Service{pushendpoint.FCM, pushendpoint.Mozilla, pushendpoint.WNS, pushendpoint.Other} {
		if p := decode(t, n.PayloadFor(s)); p["web_push"] != nil || p["title"] != "Hi" || p["url"] != "https://shop.example/" {
			t.Fatalf("auto: %s gets %v, want the standard payload", s, p)
		}
	}
	// The app's default applies; the notification's own format wins.
	n, _ = send(t, svc, appID, notification.Request{Notification: content, App: notification.AppDefaults{Format: notification.FormatStandard}})
	if n.Format != notification.FormatStandard || isDeclarative(n.PayloadFor(pushendpoint.Apple)) {
		t.Fatalf("app default standard: Apple gets %s", n.PayloadFor(pushendpoint.Apple))
	}
	n, _ = send(t, svc, appID, notification.Request{Notification: content, Format: notification.FormatDeclarative,
		App: notification.AppDefaults{Format: notification.FormatStandard}})
	if !isDeclarative(n.PayloadFor(pushendpoint.FCM)) {
		t.Fatalf("format declarative over an app default: FCM gets %s", n.PayloadFor(pushendpoint.FCM))
	}

	// No url and no origin to go to: auto falls back to the standard payload
	// for Apple; declarative asked for is refused with what to do.
	n, err = send(t, svc, appID, notification.Request{Notification: notification.Content{Title: "Nowhere"}})
	if err != nil || isDeclarative(n.PayloadFor(pushendpoint.Apple)) {
		t.Fatalf("auto without a url: %v, Apple gets %s", err, n.PayloadFor(pushendpoint.Apple))
	}
	_, err = send(t, svc, appID, notification.Request{Notification: notification.Content{Title: "Nowhere"}, Format: notification.FormatDeclarative})
	if !errors.Is(err, notification.ErrNoNavigate) {
		t.Fatalf("declarative without a url: %v", err)
	}
	n, _ = send(t, svc, appID, notification.Request{Notification: notification.Content{Title: "Home"}, Format: notification.FormatDeclarative,
		App: notification.AppDefaults{Origin: "https://shop.example"}})
	if d := decode(t, n.Payload)["notification"].(map[string]any); d["navigate"] != "https://shop.example/" {
		t.Fatalf("declarative without a url opens the app's origin: %v", d["navigate"])
	}

	for _, req := range []notification.Request{
		{Notification: content, Format: "webkit"},
		{Notification: content, AppBadge: ptr(-1)},
		{Notification: notification.Content{Title: "x", Dir: "up"}},
		{Notification: notification.Content{Title: "x", Lang: "en GB"}},
	} {
		if _, err := send(t, svc, appID, req); kindOf(err) != fault.KindInvalid {
			t.Errorf("%+v: %v, want invalid", req, err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// The size limit applies to each payload as it is encrypted: a body that
// fits the standard JSON but not the (larger) declarative one is refused
// when Apple's subscriptions would get the declarative one.
func TestPayloadSizeCheckedPerFormat(t *testing.T) {
	t.Parallel()
	svc, appID, _ := payloadService(t)
	std, err := send(t, svc, appID, notification.Request{Notification: notification.Content{Title: "x", URL: "https://shop.example/"}, Format: notification.FormatStandard})
	if err != nil {
		t.Fatal(err)
	}
	// A body that brings the standard payload to exactly the limit (two-byte
	// characters: a body holds at most 2,000 characters).
	n := notification.MaxPayloadBytes - len(std.Payload) - len(`,"body":""`)
	body := strings.Repeat("é", n/2) + strings.Repeat("b", n%2)
	content := notification.Content{Title: "x", Body: body, URL: "https://shop.example/"}
	full, err := send(t, svc, appID, notification.Request{Notification: content, Format: notification.FormatStandard})
	if err != nil {
		t.Fatalf("standard at the limit: %v", err)
	}
	if len(full.Payload) != notification.MaxPayloadBytes {
		t.Fatalf("standard payload of %d bytes, want %d", len(full.Payload), notification.MaxPayloadBytes)
	}
	for _, f := range []notification.Format{notification.FormatAuto, notification.FormatDeclarative} {
		_, err := send(t, svc, appID, notification.Request{Notification: content, Format: f})
		if kindOf(err) != fault.KindTooLarge || !strings.Contains(err.Error(), "Declarative") {
			t.Fatalf("format %s: %v, want payload_too_large naming the declarative payload", f, err)
		}
	}
}

func kindOf(err error) fault.Kind {
	if f, ok := fault.As(err); ok {
		return f.Kind
	}
	return 0
}
