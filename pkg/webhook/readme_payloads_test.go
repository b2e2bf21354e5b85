package webhook

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// readmePayload is the JSON example the README shows after the marker
// "<!-- webhook payload: <event> -->".
func readmePayload(t *testing.T, event string) any {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "<!-- webhook payload: "+event+" -->\n```json\n")
	block, _, closed := strings.Cut(after, "```")
	if !ok || !closed {
		t.Fatalf("README has no example payload of %s", event)
	}
	var v any
	if err := json.Unmarshal([]byte(block), &v); err != nil {
		t.Fatalf("README's %s example: %v", event, err)
	}
	return v
}

// jsonKeys lists the object keys in v as paths (an array by its first
// element), sorted.
func jsonKeys(v any, at string) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			out = append(out, at+k)
			out = append(out, jsonKeys(sub, at+k+".")...)
		}
	case []any:
		if len(x) > 0 {
			out = jsonKeys(x[0], at+"[].")
		}
	}
	slices.Sort(out)
	return out
}

func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// The README's example bodies have exactly the keys of what Herald sends:
// the types that make notification.completed and the engagement batches
// (every optional field set), and a webhook.test message as SendTest
// queues it.
func TestReadmePayloadsMatchTheTypes(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	click, err := json.Marshal(EngagementEvent{Type: "clicked", NotificationID: "n", Action: "open", SubscriptionID: "s", UserID: "u", At: now})
	if err != nil {
		t.Fatal(err)
	}
	f, _, d, _ := hooked(t, dbtest.Postgres(t), NotificationCompleted)
	endpoints, _, err := d.store.List(context.Background(), f.appID, pageOf(1))
	if err != nil {
		t.Fatal(err)
	}
	test, err := d.store.SendTest(context.Background(), f.appID, endpoints[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var sentTest any
	if err := json.Unmarshal([]byte(test.Payload), &sentTest); err != nil {
		t.Fatal(err)
	}
	for event, sent := range map[string]any{
		NotificationCompleted: asJSON(t, envelope{Type: NotificationCompleted, Timestamp: now, Data: CompletedData{CompletedAt: &now}}),
		NotificationClicked:   asJSON(t, envelope{Type: NotificationClicked, Timestamp: now, Data: BatchData{Count: 1, Events: []json.RawMessage{click}}}),
		Test:                  sentTest,
	} {
		got, want := jsonKeys(readmePayload(t, event), ""), jsonKeys(sent, "")
		if !slices.Equal(got, want) {
			t.Errorf("README's %s example has the keys %v; Herald sends %v", event, got, want)
		}
	}
}
