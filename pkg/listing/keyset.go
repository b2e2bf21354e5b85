package listing

import (
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Order is how a store's listing is sorted: by one unique column, whose
// value in the page's last row is the next page's cursor.
type Order struct {
	// Column is the sort key as the query names it ("id",
	// "subscriptions.id").
	Column string
	// Desc lists the largest key first (newest first, for UUIDv7 ids).
	Desc bool
	// ID, when set, says what the cursor is ("a dead letter id"): the
	// column is a UUID id, so an After that is not one can come from no
	// page and is refused with ErrInvalidCursor(ID) before any query.
	// Empty takes any After (a topic name, say).
	ID string
}

// Keyset reads the page p of the rows q selects, in the order o, through
// an index on o.Column: the rows after the cursor p.After, at most
// p.Limit, and the cursor of the next page ("" after the last). q holds
// the store's filters (and its Model, Select or Joins); what names the
// rows for a failed read ("list dead letters: ...").
func Keyset[T any](q *gorm.DB, p Page, o Order, what string, key func(T) string) ([]T, string, error) {
	order, after := o.Column, o.Column+" > ?"
	if o.Desc {
		order, after = o.Column+" DESC", o.Column+" < ?"
	}
	if p.After != "" {
		if o.ID != "" {
			if _, err := uuid.Parse(p.After); err != nil {
				return nil, "", ErrInvalidCursor(o.ID)
			}
		}
		q = q.Where(after, p.After)
	}
	var rows []T
	if err := q.Order(order).Limit(p.Fetch()).Find(&rows).Error; err != nil {
		return nil, "", fmt.Errorf("list %s: %w", what, err)
	}
	page, next := Trim(rows, p, key)
	return page, next, nil
}
