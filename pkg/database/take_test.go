package database_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// takeRow is a row of a table of this test's own.
type takeRow struct {
	ID    string
	AppID string
}

func (takeRow) TableName() string { return "take_rows" }

var errNoRow = errors.New("no such row")

func TestTakeID(t *testing.T) {
	t.Parallel()
	db := dbtest.Postgres(t)
	ctx := context.Background()
	if err := db.Exec("CREATE TABLE take_rows (id UUID PRIMARY KEY, app_id TEXT NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	mine := takeRow{ID: uuid.Must(uuid.NewV7()).String(), AppID: "a"}
	theirs := takeRow{ID: uuid.Must(uuid.NewV7()).String(), AppID: "b"}
	for _, r := range []*takeRow{&mine, &theirs} {
		if err := db.Create(r).Error; err != nil {
			t.Fatal(err)
		}
	}
	ofA := func() *gorm.DB { return db.WithContext(ctx).Where("app_id = ?", "a") }
	got, err := database.TakeID[takeRow](ofA(), mine.ID, errNoRow, "take row")
	if err != nil || *got != mine {
		t.Fatalf("own row: %+v %v", got, err)
	}
	for what, id := range map[string]string{
		"another owner's row": theirs.ID,
		"no row":              uuid.Must(uuid.NewV7()).String(),
		"not a UUID":          "take-row-1",
	} {
		if got, err := database.TakeID[takeRow](ofA(), id, errNoRow, "take row"); got != nil || !errors.Is(err, errNoRow) {
			t.Errorf("%s: %+v %v, want errNoRow", what, got, err)
		}
	}
	_, err = database.TakeID[takeRow](db.WithContext(ctx).Where("no_such_column = 1"), mine.ID, errNoRow, "take row")
	if err == nil || errors.Is(err, errNoRow) || !strings.HasPrefix(err.Error(), "load take row: ") {
		t.Errorf("failed read: %v", err)
	}
}
