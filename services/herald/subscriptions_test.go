package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
	"github.com/heraldpush/herald/pkg/vapid"
)

// useApp creates an app (with body's fields) and makes it the one the
// pipeline's calls act for; it returns the app.
func (p *pipeline) useApp(body map[string]any) map[string]any {
	p.t.Helper()
	created := p.call("POST", "/v1/apps", testAdminToken, body, 201)
	p.apiKey = created["api_key"].(string)
	return created
}

// checkEachReceived checks that every subscription got exactly one
// message, decrypted by the simulator, signed with the key it was made with.
func (p *pipeline) checkEachReceived(subs []pushsim.Subscription, notificationID, title string) {
	p.t.Helper()
	if st := p.sim.Stats(); st.RejectedTotal != 0 || st.DecryptFailed != 0 || st.Duplicates != 0 {
		p.t.Fatalf("simulator rejected %v, failed to decrypt %d, saw %d duplicates", st.Rejected, st.DecryptFailed, st.Duplicates)
	}
	for _, s := range subs {
		ds := p.sim.Deliveries(s.ID)
		if len(ds) != 1 {
			p.t.Fatalf("subscription %s got %d messages, want 1", s.ID, len(ds))
		}
		var payload map[string]any
		if err := json.Unmarshal(ds[0].Payload, &payload); err != nil || payload["title"] != title || payload["notification_id"] != notificationID {
			p.t.Fatalf("subscription %s decrypted %q (%v)", s.ID, ds[0].Payload, err)
		}
		if ds[0].VAPIDKey != s.ApplicationServerKey {
			p.t.Fatalf("subscription %s made with key %s was signed with %s", s.ID, s.ApplicationServerKey, ds[0].VAPIDKey)
		}
	}
}

func (p *pipeline) broadcast(title string) string {
	p.t.Helper()
	n := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": title},
	}, 202)
	return n["id"].(string)
}

// A team moving from web-push + a database brings its VAPID pair and its
// subscription rows ({"endpoint", "keys"}, one per line); after the import
// a broadcast reaches every imported browser, signed with the imported key
// (the simulator binds each subscription to it and refuses any other) and
// encrypted so that each browser's own key decrypts it. Refused lines are
// reported by number and store nothing.
func TestImportWebPushDumpThenSend(t *testing.T) {
	t.Parallel()
	p := startPipeline(t)
	pair, err := vapid.Generate()
	if err != nil {
		t.Fatal(err)
	}
	p.useApp(map[string]any{"name": "migrated", "vapid_public_key": pair.PublicKey(), "vapid_private_key": pair.PrivateKey()})
	var dump bytes.Buffer
	var subs []pushsim.Subscription
	badLines := map[int]string{3: `{"endpoint": "https://fcm.googleapis.com/fcm/send/x", "keys": {"p256dh": "short", "auth": "short"}}`, 57: `{"endpoint": `}
	for line := 1; line <= 152; line++ {
		if bad, ok := badLines[line]; ok {
			dump.WriteString(bad + "\n")
			continue
		}
		s, err := p.sim.Mint(pushsim.Behavior{}, pair.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
		row, _ := json.Marshal(map[string]any{"endpoint": s.Endpoint, "keys": s.Keys})
		dump.Write(append(row, '\n'))
	}
	req, _ := http.NewRequest("POST", p.apiURL+"/v1/subscriptions/import", &dump)
	req.Header.Set("Authorization", "Bearer "+p.apiKey)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Refused []struct {
			Line int
			Code string
		}
	}
	var answer map[string]any
	raw := new(bytes.Buffer)
	raw.ReadFrom(resp.Body)
	resp.Body.Close()
	json.Unmarshal(raw.Bytes(), &res)
	json.Unmarshal(raw.Bytes(), &answer)
	if resp.StatusCode != 200 || answer["created"] != float64(150) || answer["updated"] != float64(0) || len(res.Refused) != 2 ||
		res.Refused[0].Line != 3 || res.Refused[0].Code != "invalid_p256dh" || res.Refused[1].Line != 57 || res.Refused[1].Code != "invalid_json" {
		t.Fatalf("import: %d %s", resp.StatusCode, raw)
	}
	if list := p.call("GET", "/v1/subscriptions?limit=1000", p.apiKey, nil, 200); len(list["items"].([]any)) != 150 {
		t.Fatalf("%d subscriptions listed after the import, want 150", len(list["items"].([]any)))
	}

	id := p.broadcast("Moved to Herald")
	n := p.waitCompleted(id, 2*time.Minute)
	if got, want := counts(n), "targeted=150 delivered=150 gone=0 dead=0 pending=0"; got != want {
		t.Fatalf("counts: %s, want %s", got, want)
	}
	p.checkEachReceived(subs, id, "Moved to Herald")

	// A send that reaches nobody completes, and says so.
	if w := n["warnings"].([]any); len(w) != 0 {
		t.Fatalf("warnings on a delivered broadcast: %v", w)
	}
	none := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"user_ids": []string{"nobody"}}, "notification": map[string]any{"title": "x"}}, 202)
	n = p.waitCompleted(none["id"].(string), time.Minute)
	if w := n["warnings"].([]any); len(w) != 1 || w[0] != "no_recipients" {
		t.Fatalf("warnings on a send to nobody: %v", n)
	}
}

// A VAPID rotation loses no subscriber: the 100 browsers subscribed with
// the old key keep receiving, signed with the old key (the simulator, like
// a push service, refuses any other for them), while browsers subscribing
// after the rotation get and are signed with the new key.
func TestVAPIDRotationKeepsOldSubscriptionsReceiving(t *testing.T) {
	t.Parallel()
	p := startPipeline(t)
	created := p.useApp(map[string]any{"name": "rotating"})
	appID, oldKey := created["id"].(string), created["vapid_public_key"].(string)
	subscribeWith := func(n int, key string) []pushsim.Subscription {
		var out []pushsim.Subscription
		for range n {
			s, err := p.sim.Mint(pushsim.Behavior{}, key)
			if err != nil {
				t.Fatal(err)
			}
			p.call("POST", "/v1/subscriptions", p.apiKey, map[string]any{"subscription": s.ToJSON()}, 201)
			out = append(out, s)
		}
		return out
	}
	old := subscribeWith(100, oldKey)
	rotated := p.call("POST", "/v1/apps/"+appID+"/vapid-keys", testAdminToken, nil, 201)
	newKey := rotated["public_key"].(string)
	if got := p.call("GET", "/v1/apps/"+appID+"/vapid-public-key", "", nil, 200)["public_key"]; got != newKey || newKey == oldKey {
		t.Fatalf("pages get %v after the rotation, want the new key %s", got, newKey)
	}
	fresh := subscribeWith(20, newKey)
	keys := p.call("GET", "/v1/apps/"+appID+"/vapid-keys", testAdminToken, nil, 200)["items"].([]any)
	holders := map[string]float64{}
	for _, k := range keys {
		m := k.(map[string]any)
		holders[m["public_key"].(string)] = m["active_subscriptions"].(float64)
	}
	if holders[oldKey] != 100 || holders[newKey] != 20 {
		t.Fatalf("keys hold %v, want 100 on the old and 20 on the new", holders)
	}

	id := p.broadcast("After the rotation")
	n := p.waitCompleted(id, 2*time.Minute)
	if got, want := counts(n), "targeted=120 delivered=120 gone=0 dead=0 pending=0"; got != want {
		t.Fatalf("counts: %s, want %s", got, want)
	}
	p.checkEachReceived(append(old, fresh...), id, "After the rotation")
}
