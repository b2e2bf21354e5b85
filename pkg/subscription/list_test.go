package subscription

import (
	"context"
	"fmt"
	"testing"

	"github.com/heraldpush/herald/pkg/listing"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// Every listing reads by an index: with sequential scans priced out (as a
// large table prices them), no plan of a listing, a topic count, a user's
// topics change or an export page reads a whole table.
func TestListingsReadIndexes(t *testing.T) {
	t.Parallel()
	rec := dbtest.Record(dbtest.Postgres(t))
	s, appID, keyID := setup(t, rec.DB)
	ctx := context.Background()
	for i := range 30 {
		v := valid(t, fmt.Sprintf("https://fcm.googleapis.com/fcm/send/x%d", i), "news", fmt.Sprintf("t%d", i%3))
		user := fmt.Sprintf("u%d", i%5)
		v.UserID = &user
		if _, _, err := s.Upsert(ctx, appID, keyID, v); err != nil {
			t.Fatal(err)
		}
	}
	rec.Take()
	page := listing.Page{Limit: 10, After: "01900000-0000-7000-8000-000000000000"}
	for name, f := range map[string]Filter{
		"all": {}, "status": {Status: Gone}, "user": {UserID: "u1"}, "user and status": {UserID: "u1", Status: Active},
		"topic": {Topic: "news"}, "topic and status": {Topic: "t1", Status: Unsubscribed}, "topic and user": {Topic: "t1", UserID: "u2"},
	} {
		for _, p := range []listing.Page{{Limit: 10}, page} {
			if _, _, err := s.List(ctx, appID, f, p); err != nil {
				t.Fatal(err)
			}
			rec.AssertNoTableScan(t, "listing by "+name, rec.Take())
		}
	}
	if _, _, err := s.TopicCounts(ctx, appID, listing.Page{Limit: 10, After: "n"}); err != nil {
		t.Fatal(err)
	}
	rec.AssertNoTableScan(t, "topic counts", rec.Take())
	if _, err := s.ChangeUserTopics(ctx, appID, "u3", []string{"sport"}, []string{"news"}); err != nil {
		t.Fatal(err)
	}
	rec.AssertNoTableScan(t, "a user's topics", rec.Take())
}
