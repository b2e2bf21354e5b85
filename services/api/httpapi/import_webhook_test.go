package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
	"github.com/heraldpush/herald/pkg/webhook"
)

// An import announces itself with subscription.imported events, one per
// committed batch, never one per row: they name the import the answer
// names and add up to the answer's counts, refusals included.
func TestImportSendsSubscriptionImported(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := setupWith(t, db, func(d *Deps, _ *redis.Client) {
			d.Subscriptions = subscription.NewStore(db, d.Webhooks.TapSubscriptions)
		})
		a := h.createApp()
		auth := []string{"Authorization", "Bearer " + a.APIKey}
		hook := h.do("POST", "/v1/webhooks", map[string]any{"url": listedOrigin + "/hook", "events": []string{webhook.SubscriptionImported}}, auth...)
		if hook.status != http.StatusCreated {
			t.Fatalf("create webhook: %d %s", hook.status, hook.raw)
		}
		sub := func(n int) map[string]any { return browserSubscription(t, fmt.Sprintf("%s/push/%d", listedOrigin, n)) }
		bad := `{"endpoint": `
		// sub(1) again makes its lane store a batch before the end, so
		// the import has two batches at least.
		r := h.importLines(a.APIKey, ndjson(t, sub(1), bad, sub(2), sub(1), bad, bad, sub(3), bad))
		if r.status != 200 || r.body["created"] != float64(3) || r.body["updated"] != float64(1) || r.body["refused_count"] != float64(4) {
			t.Fatalf("import: %d %s", r.status, r.raw)
		}
		importID, _ := r.body["import_id"].(string)
		deliveries := h.do("GET", "/v1/webhooks/"+hook.body["id"].(string)+"/deliveries", nil, auth...)
		items, _ := deliveries.body["items"].([]any)
		var sum webhook.ImportedData
		for _, it := range items {
			raw, _ := json.Marshal(it.(map[string]any)["payload"])
			var body struct {
				Type string               `json:"type"`
				Data webhook.ImportedData `json:"data"`
			}
			if err := json.Unmarshal(raw, &body); err != nil || body.Type != webhook.SubscriptionImported || body.Data.ImportID != importID {
				t.Fatalf("delivery %s of import %q: %v", raw, importID, err)
			}
			sum.Created, sum.Updated, sum.Refused = sum.Created+body.Data.Created, sum.Updated+body.Data.Updated, sum.Refused+body.Data.Refused
		}
		if len(items) < 2 || len(items) > 3 || sum.Created != 3 || sum.Updated != 1 || sum.Refused != 4 {
			t.Fatalf("%d events adding up to %+v, want 2 or 3 (one per batch) adding up to the answer: %s", len(items), sum, deliveries.raw)
		}
		// Every line refused: nothing stored, nothing told.
		if r := h.importLines(a.APIKey, ndjson(t, bad, bad)); r.status != 422 {
			t.Fatalf("all refused: %d %s", r.status, r.raw)
		}
		again := h.do("GET", "/v1/webhooks/"+hook.body["id"].(string)+"/deliveries", nil, auth...)
		if n, _ := again.body["items"].([]any); len(n) != len(items) {
			t.Fatalf("an import that stored nothing was told: %s", again.raw)
		}
	})
}
