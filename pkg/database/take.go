package database

import (
	"errors"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// TakeID loads the row with the UUID id among those q selects (q names
// the owner: Where("app_id = ?", appID)). An id that is not a UUID and a
// row that is not there, or is another owner's, are the same notFound:
// an app learns nothing of other apps' ids, and PostgreSQL is never asked
// to compare a uuid column with a string that is not one. Other failures
// are wrapped as "load <what>: ...".
func TakeID[T any](q *gorm.DB, id string, notFound error, what string) (*T, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, notFound
	}
	var row T
	err := q.Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", what, err)
	}
	return &row, nil
}
