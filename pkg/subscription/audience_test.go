package subscription

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/segment"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// segmentTopics are the topics of the reference population; some need
// quoting in an expression.
var segmentTopics = []string{"news", "de", "at", "ch", "muted", "sport", "lang:fr", "sale 50%", `say "hi"`, "beta"}

// populate stores n subscriptions (a tenth inactive, a few of another
// app) with random overlapping topics and returns each active one's topics.
func populate(t *testing.T, db *database.DB, s *Store, appID, keyID string, n int) map[string]map[string]bool {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 11))
	now := time.Now().UTC()
	subs := make([]Subscription, 0, n)
	var topics []topicRow
	active := map[string]map[string]bool{}
	for i := range n {
		id := uuid.Must(uuid.NewV7()).String()
		status := Active
		if i%10 == 3 {
			status = Unsubscribed
		}
		subs = append(subs, Subscription{ID: id, AppID: appID, VAPIDKeyID: keyID, Endpoint: "https://fcm.googleapis.com/fcm/send/" + id,
			P256dh: "k", Auth: "a", Status: status, CreatedAt: now, UpdatedAt: now})
		has := map[string]bool{}
		for _, tp := range segmentTopics {
			if r.IntN(100) < 35 {
				has[tp] = true
				topics = append(topics, topicRow{SubscriptionID: id, AppID: appID, Topic: tp})
			}
		}
		if status == Active {
			active[id] = has
		}
	}
	if err := db.CreateInBatches(subs, 1000).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.CreateInBatches(topics, 2000).Error; err != nil {
		t.Fatal(err)
	}
	return active
}

// A segment over 10,000 subscriptions with overlapping topics reaches
// exactly the set a reference evaluation of the expression computes, page
// by page in id order; its count agrees; another app's subscriptions with
// the same topics are never in it.
func TestSegmentAudienceMatchesReference(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.Postgres(t)
	s, appID, keyID := setup(t, db)
	active := populate(t, db, s, appID, keyID, 10000)
	_, otherApp, otherKey := setup(t, db)
	populate(t, db, s, otherApp, otherKey, 300)

	for _, text := range []string{
		"news && (de || at) && !muted",
		`!news || "sale 50%" && !(beta || sport)`,
		`"say \"hi\"" && lang:fr`,
		"!(news || de || at || ch || muted || sport || lang:fr || beta)",
		"news || !news",
		"muted && !muted",
	} {
		expr, err := segment.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for id, has := range active {
			if expr.Eval(func(tp string) bool { return has[tp] }) {
				want = append(want, id)
			}
		}
		slices.Sort(want)
		a := Audience{AppID: appID, Kind: AudienceSegment, Segment: expr}
		var got []string
		after := ""
		for {
			page, err := s.AudiencePage(ctx, a, after, 777)
			if err != nil {
				t.Fatalf("%s: %v", text, err)
			}
			got = append(got, page...)
			if len(page) < 777 {
				break
			}
			after = page[len(page)-1]
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: audience of %d differs from the reference's %d (first difference %s)", text, len(got), len(want), firstDiff(got, want))
		}
		if n, err := s.CountAudience(ctx, a, MaxPreviewCount); err != nil || n != int64(len(want)) {
			t.Fatalf("%s: count %d, %v; want %d", text, n, err, len(want))
		}
		if n, _ := s.CountAudience(ctx, a, 10); len(want) >= 10 && n != 10 {
			t.Fatalf("%s: bounded count %d, want 10", text, n)
		}
		t.Logf("%s: %d of %d", text, len(want), len(active))
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("at %d: %s vs %s", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("lengths %d vs %d", len(a), len(b))
}

// The same on SQLite, the development database, at a smaller size.
func TestSegmentAudienceOnSQLite(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	s, appID, keyID := setup(t, db)
	active := populate(t, db, s, appID, keyID, 500)
	expr, _ := segment.Parse("news && (de || at) && !muted")
	want := 0
	for _, has := range active {
		if expr.Eval(func(tp string) bool { return has[tp] }) {
			want++
		}
	}
	ids, err := s.AudiencePage(context.Background(), Audience{AppID: appID, Kind: AudienceSegment, Segment: expr}, "", 1000)
	if err != nil || len(ids) != want {
		t.Fatalf("%d, %v; want %d", len(ids), err, want)
	}
}
