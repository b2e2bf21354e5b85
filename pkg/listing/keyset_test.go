package listing_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/listing"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// keysetRow is a row of a table of this test's own.
type keysetRow struct {
	ID    string
	Name  string
	AppID string
}

func (keysetRow) TableName() string { return "keyset_rows" }

func TestKeyset(t *testing.T) {
	t.Parallel()
	db := dbtest.Postgres(t)
	ctx := context.Background()
	if err := db.Exec("CREATE TABLE keyset_rows (id UUID PRIMARY KEY, name TEXT NOT NULL UNIQUE, app_id TEXT NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	var ids []string // in creation (UUIDv7) order
	for i := range 5 {
		r := keysetRow{ID: uuid.Must(uuid.NewV7()).String(), Name: fmt.Sprintf("topic-%d", 4-i), AppID: "a"}
		ids = append(ids, r.ID)
		if err := db.Create(&r).Error; err != nil {
			t.Fatal(err)
		}
	}
	// Another owner's row sorts among them and must never be listed.
	if err := db.Create(&keysetRow{ID: uuid.Must(uuid.NewV7()).String(), Name: "topic-x", AppID: "b"}).Error; err != nil {
		t.Fatal(err)
	}
	id := func(r keysetRow) string { return r.ID }
	// walk reads every page of two rows and returns the keys in page order.
	walk := func(o listing.Order, key func(keysetRow) string) []string {
		t.Helper()
		var got []string
		p := listing.Page{Limit: 2}
		for pages := 0; ; pages++ {
			rows, next, err := listing.Keyset(db.WithContext(ctx).Where("app_id = ?", "a"), p, o, "keyset rows", key)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				got = append(got, key(r))
			}
			if next == "" {
				if pages != 2 {
					t.Fatalf("%d pages before the last, want 2 (5 rows, 2 a page)", pages)
				}
				return got
			}
			if next != key(rows[len(rows)-1]) {
				t.Fatalf("next %q, want the page's last key %q", next, key(rows[len(rows)-1]))
			}
			p.After = next
		}
	}
	if got := walk(listing.Order{Column: "id", ID: "a row id"}, id); !slices.Equal(got, ids) {
		t.Errorf("oldest first: %v, want %v", got, ids)
	}
	newest := slices.Clone(ids)
	slices.Reverse(newest)
	if got := walk(listing.Order{Column: "id", Desc: true, ID: "a row id"}, id); !slices.Equal(got, newest) {
		t.Errorf("newest first: %v, want %v", got, newest)
	}
	// A cursor that is not a UUID is any string's: a name.
	name := func(r keysetRow) string { return r.Name }
	if got := walk(listing.Order{Column: "name"}, name); !slices.Equal(got, []string{"topic-0", "topic-1", "topic-2", "topic-3", "topic-4"}) {
		t.Errorf("by name: %v", got)
	}

	// A UUID cursor that is not one is refused before any query.
	_, _, err := listing.Keyset(db.WithContext(ctx), listing.Page{Limit: 2, After: "topic-1"}, listing.Order{Column: "id", ID: "a row id"}, "keyset rows", id)
	if !errors.Is(err, listing.ErrInvalidCursor("a row id")) {
		t.Errorf("cursor not a UUID: %v, want invalid_cursor", err)
	}
	// A failed read says what it was listing.
	_, _, err = listing.Keyset(db.WithContext(ctx), listing.Page{Limit: 2}, listing.Order{Column: "no_such_column"}, "keyset rows", id)
	if err == nil || !strings.HasPrefix(err.Error(), "list keyset rows: ") {
		t.Errorf("failed read: %v", err)
	}
}
