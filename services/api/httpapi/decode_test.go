package httpapi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/subscription"
)

// Every JSON body is decoded strictly: a field the route does not take is
// 400 unknown_field, naming it and, for a near miss, the right name; and
// nothing is stored.
func TestUnknownFieldsAreRefused(t *testing.T) {
	t.Parallel()
	h := setup(t, sqliteDB(t))
	a := h.createApp()
	bearer := "Bearer " + a.APIKey
	sub := browserSubscription(t, "https://fcm.googleapis.com/fcm/send/strict")
	cases := []struct {
		name, path string
		body       map[string]any
		headers    []string
		field      string // named in the message
		suggest    string // suggested in the message, "" for none
	}{
		{"camelCase user id", "/v1/subscriptions", map[string]any{"subscription": sub, "userId": "42"}, []string{"Authorization", bearer}, "userId", "user_id"},
		{"inside the subscription", "/v1/subscriptions", map[string]any{"subscription": merge(sub, "expiration_time", nil)}, []string{"Authorization", bearer}, "expiration_time", "expirationTime"},
		{"typo", "/v1/apps/" + a.ID + "/subscriptions", map[string]any{"subscription": sub, "topcis": []string{"news"}}, []string{"Origin", pageOrigin}, "topcis", "topics"},
		{"no near miss", "/v1/subscriptions", map[string]any{"subscription": sub, "colour": "red"}, []string{"Authorization", bearer}, "colour", ""},
		{"admin app", "/v1/apps", map[string]any{"name": "x", "allowedOrigins": []string{}}, []string{"Authorization", "Bearer " + adminToken}, "allowedOrigins", "allowed_origins"},
		{"notification", "/v1/notifications", map[string]any{"target": map[string]any{"all": true}, "notification": map[string]any{"titel": "x"}}, []string{"Authorization", bearer}, "titel", "title"},
		{"event", "/v1/events", map[string]any{"notification_id": "x", "token": "y", "type": "received", "eventId": "z"}, nil, "eventId", "event_id"},
	}
	for _, c := range cases {
		r := h.do("POST", c.path, c.body, c.headers...)
		e, _ := r.body["error"].(map[string]any)
		msg, _ := e["message"].(string)
		if r.status != 400 || r.code() != "unknown_field" || !strings.Contains(msg, `"`+c.field+`"`) {
			t.Errorf("%s: got %d %q %q, want 400 unknown_field naming %q", c.name, r.status, r.code(), msg, c.field)
			continue
		}
		if c.suggest != "" && !strings.Contains(msg, `did you mean "`+c.suggest+`"`) {
			t.Errorf("%s: message %q does not suggest %q", c.name, msg, c.suggest)
		}
		if c.suggest == "" && strings.Contains(msg, "did you mean") {
			t.Errorf("%s: message %q suggests a field for a name that is no near miss", c.name, msg)
		}
	}
	if n := h.countSubscriptions(); n != 0 {
		t.Fatalf("refused requests stored %d subscriptions", n)
	}
}

func TestNearestField(t *testing.T) {
	t.Parallel()
	names := []string{"subscription", "endpoint", "keys", "user_id", "topics", "ttl"}
	for name, want := range map[string]string{"userId": "user_id", "USER-ID": "user_id", "topic": "topics", "endpont": "endpoint", "tll": "", "zzz": "", "key": "keys"} {
		if got := nearestField(name, names); got != want {
			t.Errorf("nearestField(%q) = %q, want %q", name, got, want)
		}
	}
}

// The body cap fits the largest documented target, 10,000 user ids of the
// longest allowed length; the public routes keep a small cap.
func TestBodyCapsFitDocumentedLimits(t *testing.T) {
	t.Parallel()
	h := setup(t, sqliteDB(t))
	a := h.createApp()
	ids := make([]string, notification.MaxTargetIDs)
	for i := range ids {
		ids[i] = fmt.Sprintf("%0*d", subscription.MaxUserIDLength, i)
	}
	r := h.do("POST", "/v1/notifications", map[string]any{"target": map[string]any{"user_ids": ids},
		"notification": map[string]any{"title": "Hi"}}, "Authorization", "Bearer "+a.APIKey)
	if r.status != 202 {
		t.Fatalf("10,000 user ids: %d %.300s", r.status, r.raw)
	}
	sub := browserSubscription(t, "https://fcm.googleapis.com/fcm/send/big")
	r = h.do("POST", "/v1/apps/"+a.ID+"/subscriptions", map[string]any{"subscription": sub, "user_agent_hint": strings.Repeat("x", 17<<10)},
		"Origin", pageOrigin)
	if r.status != 413 || r.code() != "body_too_large" {
		t.Fatalf("17 KiB public body: %d %s", r.status, r.raw)
	}
}
