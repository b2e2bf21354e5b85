package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// Each input that once answered 500, or was accepted and broke later,
// answers 4xx with its code and stores nothing.
func TestInputsThatBrokeBefore(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newHostileFixture(t, db)
		server := []string{"Authorization", "Bearer " + f.app.APIKey}
		notify := func(target string) []byte {
			return []byte(`{"target": ` + target + `, "notification": {"title": "Hi"}}`)
		}
		sub := string(deepCopy(browserSubscription(t, "https://fcm.googleapis.com/fcm/send/broke-before")))
		withSub := func(extra string) []byte { return []byte(`{"subscription": ` + sub + extra + `}`) }
		subWith := func(field string) []byte {
			return []byte(`{"subscription": {"endpoint": "https://fcm.googleapis.com/fcm/send/exp", ` + field + `, "keys": ` +
				string(deepCopy(browserSubscription(t, "x")["keys"])) + `}}`)
		}
		event := func(field string) []byte {
			return []byte(`{"notification_id": "` + f.notifID + `", "token": "` + f.token + `", "type": "clicked", ` + field + `}`)
		}
		// personalized is a notification with users of keys each, their
		// values of size characters.
		personalized := func(users, keys, size int) []byte {
			var b strings.Builder
			b.WriteString(`{"target": {"all": true}, "notification": {"title": "Hi {{ k0 }}"}, "personalization": {`)
			for u := range users {
				if u > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, `"u%d": {`, u)
				for k := range keys {
					if k > 0 {
						b.WriteString(",")
					}
					fmt.Fprintf(&b, `"k%d": "%s"`, k, strings.Repeat("v", size))
				}
				b.WriteString("}")
			}
			b.WriteString("}}")
			return []byte(b.String())
		}
		replace := "/v1/apps/" + f.app.ID + "/subscriptions/replace"
		page := []string{"Origin", pageOrigin}
		cases := []struct {
			name, method, path string
			body               []byte
			headers            []string
			status             int
			code               string
		}{
			{"Idempotency-Key not UTF-8", "POST", "/v1/notifications", notify(`{"all": true}`), append([]string{"Idempotency-Key", "caf\xe9"}, server...), 422, "invalid_idempotency_key"},
			{"Idempotency-Key too long", "POST", "/v1/notifications", notify(`{"all": true}`), append([]string{"Idempotency-Key", strings.Repeat("k", 300)}, server...), 422, "invalid_idempotency_key"},
			{"NUL in old_endpoint", "POST", replace, []byte(`{"old_endpoint": "https://fcm.googleapis.com/a\u0000b", "subscription": ` + sub + `}`), page, 422, "invalid_text"},
			{"NUL in action", "POST", "/v1/events", event(`"event_id": "e", "action": "a\u0000b"`), page, 422, "invalid_text"},
			{"NUL in event_id", "POST", "/v1/events", event(`"event_id": "a\u0000b"`), page, 422, "invalid_text"},
			{"newline in event_id", "POST", "/v1/events", event(`"event_id": "a\nb"`), page, 422, "invalid_event"},
			{"tab in action", "POST", "/v1/events", event(`"event_id": "e2", "action": "a\tb"`), page, 422, "invalid_event_action"},
			{"NUL in target.user_ids", "POST", "/v1/notifications", notify(`{"user_ids": ["a\u0000b"]}`), server, 422, "invalid_text"},
			{"newline in target.user_ids", "POST", "/v1/notifications", notify(`{"user_ids": ["a\nb"]}`), server, 422, "invalid_target"},
			{"U+FFFD in target.user_ids", "POST", "/v1/notifications", notify(`{"user_ids": ["a\ud800b"]}`), server, 422, "invalid_target"},
			{"NUL in the title", "POST", "/v1/notifications", []byte(`{"target": {"all": true}, "notification": {"title": "a\u0000"}}`), server, 422, "invalid_text"},
			{"NUL in data", "POST", "/v1/notifications", []byte(`{"target": {"all": true}, "notification": {"title": "a", "data": {"k": "\u0000"}}}`), server, 422, "invalid_text"},
			{"invalid UTF-8 user_id", "POST", "/v1/subscriptions", withSub(`, "user_id": "caf` + "\xe9" + `"`), server, 400, "invalid_utf8"},
			{"lone surrogate user_id", "POST", "/v1/subscriptions", withSub(`, "user_id": "a\ud800"`), server, 422, "invalid_user_id"},
			{"C1 control in topic", "POST", "/v1/subscriptions", withSub(`, "topics": ["a\u0085b"]`), server, 422, "invalid_topics"},
			{"expirationTime 1e17", "POST", "/v1/subscriptions", subWith(`"expirationTime": 1e17`), server, 422, "invalid_expiration_time"},
			{"expirationTime 1e300", "POST", "/v1/subscriptions", subWith(`"expirationTime": 1e300`), server, 422, "invalid_expiration_time"},
			{"expirationTime negative", "POST", "/v1/subscriptions", subWith(`"expirationTime": -5`), server, 422, "invalid_expiration_time"},
			{"integer past int64 in a template", "POST", "/v1/notifications", []byte(`{"target": {"all": true}, "notification": {"title": "{{10000000000000000000}}"}}`), server, 422, "invalid_template"},
			// Under the 4 MiB body cap, over personalization's own 2 MiB.
			{"3 MiB of personalization", "POST", "/v1/notifications", personalized(3000, 2, 500), server, 422, "personalization_too_large"},
			{"65 personalization keys", "POST", "/v1/notifications", personalized(1, 65, 1), server, 422, "personalization_too_large"},
			{"blank Idempotency-Key", "POST", "/v1/notifications", notify(`{"all": true}`), append([]string{"Idempotency-Key", " "}, server...), 422, "invalid_idempotency_key"},
			// dec.More says no more to a stray "}", so the object passed as one.
			{"a } after the body", "POST", "/v1/subscriptions", append(withSub(`, "user_id": "u9"`), '}'), server, 400, "invalid_json"},
			{"send_at 9999-12-31", "POST", "/v1/notifications", []byte(`{"target": {"all": true}, "notification": {"title": "a"}, "send_at": "9999-12-31T00:00:00Z"}`), server, 422, "invalid_send_at"},
		}
		before := f.rows()
		for _, c := range cases {
			r := f.send(c.method, c.path, c.body, c.headers...)
			if r.status != c.status || r.code() != c.code {
				t.Errorf("%s: got %d %q, want %d %q (%.300s)", c.name, r.status, r.code(), c.status, c.code, r.raw)
			}
		}
		after := f.rows()
		for _, table := range hostileTables {
			if after[table] != before[table] {
				t.Errorf("table %s: %d rows before, %d after", table, before[table], after[table])
			}
		}
		// A plausible expirationTime is kept, and read back.
		r := f.send("POST", "/v1/subscriptions", subWith(`"expirationTime": 1893456000000`), server...)
		if r.status != http.StatusCreated {
			t.Fatalf("plausible expirationTime: %d %s", r.status, r.raw)
		}
		got := f.do("GET", "/v1/subscriptions/"+r.body["id"].(string), nil, server...)
		if got.status != 200 || got.body["expiration_time"] != "2030-01-01T00:00:00Z" {
			t.Fatalf("read back: %d %s", got.status, got.raw)
		}
	})
}

// send posts raw bytes as they are (no JSON encoding).
func (h *harness) send(method, path string, body []byte, headers ...string) response {
	h.t.Helper()
	return h.do(method, path, body, headers...)
}
