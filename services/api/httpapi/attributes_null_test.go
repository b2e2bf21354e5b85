package httpapi

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/subscription"
)

// nullCouponTemplates are a personalised payload's templated fields: the
// title names coupon with a default, the body tells a coupon that is
// there (even "", which Liquid takes as true) from one that is not.
const nullCouponTemplates = `{"title": "{{ coupon | default: \"none\" }}",
	"body": "{% if coupon %}coupon [{{ coupon }}]{% else %}no coupon{% endif %}, plan {{ plan }}"}`

// A null attribute value on a route that sets attributes names no key, as
// applying the attributes as a JSON merge patch to none (RFC 7396) gives:
// the key is not stored, whatever was stored before, and a template does
// not see it. Each route first stores coupon, then sets
// {"plan": "pro", "coupon": null} over it.
func TestNullAttributeValueIsNoKeyWhereAttributesAreSet(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, h *harness) {
		a := h.createApp()
		auth := []string{"Authorization", "Bearer " + a.APIKey}
		set := map[string]any{"plan": "pro", "coupon": nil}
		for i, c := range []struct {
			route  string
			ofUser bool // the route sets the user's attributes, not its subscription's
			// setAttributes stores attrs where the route does, for the
			// subscription sub of user userID.
			setAttributes func(sub map[string]any, userID string, attrs map[string]any) response
		}{
			{"POST /v1/subscriptions", false, func(sub map[string]any, userID string, attrs map[string]any) response {
				return h.do("POST", "/v1/subscriptions", map[string]any{"subscription": sub, "user_id": userID, "attributes": attrs}, auth...)
			}},
			{"POST /v1/apps/{app_id}/subscriptions", false, func(sub map[string]any, userID string, attrs map[string]any) response {
				return h.do("POST", "/v1/apps/"+a.ID+"/subscriptions", map[string]any{"subscription": sub, "user_id": userID,
					"user_hash": app.UserHash(a.IdentitySecret, userID), "attributes": attrs}, "Origin", pageOrigin)
			}},
			{"POST /v1/subscriptions/import", false, func(sub map[string]any, userID string, attrs map[string]any) response {
				r := h.importLines(a.APIKey, ndjson(t, merge(merge(sub, "user_id", userID), "attributes", attrs)))
				if r.status == 200 && r.body["refused_count"] != float64(0) {
					t.Errorf("import refused the line: %s", r.raw)
				}
				return r
			}},
			{"PUT /v1/users/{user_id}/attributes", true, func(_ map[string]any, userID string, attrs map[string]any) response {
				return h.do("PUT", "/v1/users/"+url.PathEscape(userID)+"/attributes", map[string]any{"attributes": attrs}, auth...)
			}},
		} {
			userID := fmt.Sprintf("user-%d", i)
			sub := browserSubscription(t, fmt.Sprintf("https://fcm.googleapis.com/fcm/send/null-%d", i))
			if r := h.do("POST", "/v1/subscriptions", map[string]any{"subscription": sub, "user_id": userID}, auth...); r.status != 201 {
				t.Fatalf("%s: subscribe: %d %s", c.route, r.status, r.raw)
			}
			for _, attrs := range []map[string]any{{"coupon": "OLD", "plan": "free"}, set} {
				if r := c.setAttributes(sub, userID, attrs); r.status >= 300 {
					t.Fatalf("%s: set %v: %d %s", c.route, attrs, r.status, r.raw)
				}
			}
			ofSubscription, ofUser, rendered := storedAndRendered(t, h, a, userID)
			stored, other := ofSubscription, ofUser
			if c.ofUser {
				stored, other = ofUser, ofSubscription
			}
			if stored != "map[plan:pro]" || other != "map[]" {
				t.Errorf("%s: %v stored as %s, want map[plan:pro] (no coupon); the other attributes %s, want none", c.route, set, stored, other)
			}
			if want := (map[string]string{"title": "none", "body": "no coupon, plan pro"}); fmt.Sprint(rendered) != fmt.Sprint(want) {
				t.Errorf("%s: rendered %v, want %v", c.route, rendered, want)
			}
		}
	})
}

// storedAndRendered reads back what is stored for userID's one
// subscription, its attributes and its user's as GET answers them, and
// renders nullCouponTemplates for it as a worker fills them (pkg/delivery):
// from the user's attributes under the subscription's, loaded from the tables.
func storedAndRendered(t *testing.T, h *harness, a createdApp, userID string) (ofSubscription, ofUser string, rendered map[string]string) {
	t.Helper()
	list := h.do("GET", "/v1/subscriptions?user_id="+url.QueryEscape(userID), nil, "Authorization", "Bearer "+a.APIKey)
	items, _ := list.body["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("subscriptions of %s: %s", userID, list.raw)
	}
	item := items[0].(map[string]any)
	user := h.do("GET", "/v1/users/"+url.PathEscape(userID)+"/attributes", nil, "Authorization", "Bearer "+a.APIKey)
	ofSubscription, ofUser = fmt.Sprint(item["attributes"]), fmt.Sprint(user.body["attributes"])

	store := subscription.NewStore(h.db)
	s, err := store.Get(t.Context(), a.ID, item["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	users, err := store.AttributesOfUsers(t.Context(), a.ID, []string{userID})
	if err != nil {
		t.Fatal(err)
	}
	r, err := notification.NewRenderer(&notification.Notification{ID: "null-coupon"}, nullCouponTemplates, "")
	if err != nil {
		t.Fatal(err)
	}
	payload, err := r.Render(notification.Recipient{UserID: userID, User: users[userID], Subscription: s.Attributes()}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(payload, &rendered); err != nil {
		t.Fatalf("rendered payload %s: %v", payload, err)
	}
	return ofSubscription, ofUser, rendered
}
