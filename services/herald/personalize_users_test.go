package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/heraldclient"
	"github.com/heraldpush/herald/pkg/pushsim"
)

// A personalised notification renders, per recipient, its user's own
// attributes under its subscription's (set by the import, then merged by
// PATCH) under the request's personalization; every call goes through the
// Go client, its answers checked against the client's types, and
// herald-pushsim decrypts what each browser got.
func TestPersonalisedFromUserAndImportedAttributes(t *testing.T) {
	t.Parallel()
	p := startPipeline(t)
	ctx := t.Context()
	c := heraldclient.New(p.apiURL, heraldclient.WithAPIKey(p.apiKey), heraldclient.WithHTTPClient(typeCheckedClient(t)))
	const n = 40
	subs, err := p.sim.MintN(n, pushsim.Behavior{})
	if err != nil {
		t.Fatal(err)
	}
	var dump bytes.Buffer
	for i, s := range subs {
		line, _ := json.Marshal(map[string]any{"endpoint": s.Endpoint, "keys": s.Keys, "user_id": fmt.Sprintf("u%d", i),
			"attributes": map[string]string{"first_name": fmt.Sprintf("Sub%d", i), "plan": "free", "lang": fmt.Sprintf("en%d", i)}})
		dump.Write(append(line, '\n'))
	}
	if res, err := c.ImportSubscriptions(ctx, &dump); err != nil || res.Created != n {
		t.Fatalf("import %+v, %v", res, err)
	}
	ids := map[string]string{} // endpoint -> id
	page, err := c.ListSubscriptions(ctx, heraldclient.SubscriptionFilter{}, heraldclient.ListOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range page.Items {
		ids[s.Endpoint] = s.ID
	}
	str := func(s string) *string { return &s }
	for i, s := range subs {
		user := fmt.Sprintf("u%d", i)
		if i%2 == 0 { // even users have attributes of their own
			if _, err := c.SetUserAttributes(ctx, user, map[string]string{"first_name": fmt.Sprintf("User%d", i), "city": fmt.Sprintf("City%d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if i%4 == 0 { // the subscription's first_name goes: the user's shows through
			got, err := c.UpdateSubscription(ctx, ids[s.Endpoint], &heraldclient.SubscriptionUpdate{Attributes: map[string]*string{"first_name": nil, "plan": str("pro")}})
			if err != nil || fmt.Sprint(got.Attributes) != fmt.Sprintf("map[lang:en%d plan:pro]", i) {
				t.Fatalf("patch %d: %v, %v", i, got.Attributes, err)
			}
		}
	}
	if u, err := c.UpdateUserAttributes(ctx, "u2", map[string]*string{"city": nil}); err != nil || fmt.Sprint(u.Attributes) != "map[first_name:User2]" {
		t.Fatalf("user patch: %v, %v", u.Attributes, err)
	}
	if u, err := c.GetUserAttributes(ctx, "u1"); err != nil || len(u.Attributes) != 0 || u.UpdatedAt != nil {
		t.Fatalf("a user without: %+v, %v", u, err)
	}

	sent, err := c.Send(ctx, &heraldclient.SendRequest{Target: heraldclient.Target{All: true},
		Notification: heraldclient.Content{Title: `Hi {{ first_name | default: "there" }} from {{ city | default: "nowhere" }}`, Body: "{{ plan }} {{ lang }}"},
		Extra:        map[string]any{"personalization": map[string]any{"u6": map[string]string{"city": "Request6"}}}})
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.WaitCompleted(ctx, sent.ID, 100*time.Millisecond, nil)
	if err != nil || done.Counts.Delivered != n {
		t.Fatalf("completed %+v, %v", done, err)
	}
	for i, s := range subs {
		name, city, plan := fmt.Sprintf("Sub%d", i), "nowhere", "free"
		if i%2 == 0 {
			city = fmt.Sprintf("City%d", i)
		}
		if i%4 == 0 {
			name, plan = fmt.Sprintf("User%d", i), "pro"
		}
		switch i {
		case 2:
			city = "nowhere"
		case 6:
			city = "Request6"
		}
		payload := onlyPayload(t, p, s.ID, i)
		if want := fmt.Sprintf("Hi %s from %s", name, city); payload["title"] != want || payload["body"] != fmt.Sprintf("%s en%d", plan, i) {
			t.Errorf("subscription %d decrypted %v, want title %q body %q en%d", i, payload, want, plan, i)
		}
	}
}
