package subscription

import (
	"context"
	"fmt"
	"testing"

	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// A delivery batch's users' attributes come in one query, by the table's
// key (no table scan), and only for the users that have some.
func TestAttributesOfUsersIsOneIndexedQuery(t *testing.T) {
	t.Parallel()
	rec := dbtest.Record(dbtest.Postgres(t))
	s, appID, _ := setup(t, rec.DB)
	ctx := context.Background()
	for i := range 20 {
		if _, err := s.SetUserAttributes(ctx, appID, fmt.Sprintf("u%d", i), map[string]string{"n": fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	ids := make([]string, 0, 500)
	for i := range 500 {
		ids = append(ids, fmt.Sprintf("u%d", i*2))
	}
	rec.Take()
	got, err := s.AttributesOfUsers(ctx, appID, ids)
	if err != nil {
		t.Fatal(err)
	}
	statements := rec.Take()
	if len(statements) != 1 {
		t.Fatalf("%d statements for a batch's users, want 1: %v", len(statements), statements)
	}
	rec.AssertNoTableScan(t, "a batch's users' attributes", statements)
	if len(got) != 10 || got["u4"]["n"] != "4" || got["u3"] != nil {
		t.Fatalf("users' attributes: %v", got)
	}
}
