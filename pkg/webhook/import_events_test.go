package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// imported lists the subscription.imported events in the outbox, oldest first.
func (f *lifecycleFixture) imported(t *testing.T) []ImportedData {
	t.Helper()
	var msgs []Message
	if err := f.db.Where("endpoint_id = ? AND event_type = ?", f.endpoint, SubscriptionImported).Order("id").Find(&msgs).Error; err != nil {
		t.Fatal(err)
	}
	out := make([]ImportedData, len(msgs))
	for i, m := range msgs {
		var body struct {
			Type string       `json:"type"`
			Data ImportedData `json:"data"`
		}
		if err := json.Unmarshal([]byte(m.Payload), &body); err != nil || body.Type != SubscriptionImported || body.Data.At.IsZero() {
			t.Fatalf("message %s: %v", m.Payload, err)
		}
		out[i] = body.Data
	}
	return out
}

// Each committed batch of an import queues one subscription.imported with
// what it stored and the refusals it carries, in its transaction: a batch
// rolled back after the event was written queues none and stores nothing.
func TestImportBatchesAnnounceThemselves(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newLifecycleFixture(t, db, SubscriptionImported)
		ctx := context.Background()
		vk, err := app.NewStore(db, f.key).ActiveVAPIDKey(ctx, f.appID)
		if err != nil {
			t.Fatal(err)
		}
		rows := func(from, to int) []subscription.ImportRow {
			var out []subscription.ImportRow
			for i := from; i < to; i++ {
				out = append(out, subscription.ImportRow{VAPIDKeyID: vk.ID,
					Valid: &subscription.Valid{Endpoint: fmt.Sprintf("https://fcm.googleapis.com/fcm/send/%d", i), P256dh: "p", Auth: "a", Topics: []string{"news"}}})
			}
			return out
		}
		// A tap after the webhooks' fails: the transaction, with the
		// event already written in it, rolls back.
		failing := subscription.NewStore(db, f.hooks.TapSubscriptions, func(context.Context, *database.DB, []subscription.Event) error {
			return errors.New("rolled back")
		})
		if _, err := failing.ImportBatch(ctx, f.appID, rows(0, 3), subscription.ImportReport{ImportID: "i-0", Refused: 1}); err == nil {
			t.Fatal("the failing tap did not fail the batch")
		}
		if got := f.imported(t); len(got) != 0 {
			t.Fatalf("a rolled-back batch queued %+v", got)
		}
		var n int64
		if err := db.Model(&subscription.Subscription{}).Count(&n).Error; err != nil || n != 0 {
			t.Fatalf("a rolled-back batch stored %d subscriptions (%v)", n, err)
		}

		steps := []struct {
			rows    []subscription.ImportRow
			refused int64
			want    ImportedData
		}{
			{rows(0, 3), 2, ImportedData{ImportID: "i-1", Created: 3, Refused: 2}},
			{rows(2, 5), 0, ImportedData{ImportID: "i-1", Created: 2, Updated: 1}},
			{nil, 0, ImportedData{}}, // nothing stored: no event
		}
		for i, s := range steps {
			c, err := f.subs.ImportBatch(ctx, f.appID, s.rows, subscription.ImportReport{ImportID: "i-1", Refused: s.refused})
			if err != nil {
				t.Fatal(err)
			}
			if c.Created != s.want.Created || c.Updated != s.want.Updated {
				t.Fatalf("step %d counted %+v, want %+v", i, c, s.want)
			}
		}
		got := f.imported(t)
		if len(got) != 2 {
			t.Fatalf("%d events, want 2: %+v", len(got), got)
		}
		for i, want := range steps[:2] {
			g := got[i]
			g.At = want.want.At
			if g != want.want {
				t.Errorf("event %d is %+v, want %+v", i, got[i], want.want)
			}
		}
	})
}
