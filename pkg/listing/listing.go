// Package listing is the one shape of Herald's cursor pagination, shared by
// every store that lists: a page is the rows after a cursor (the sort key of
// the last row of the previous page), at most Limit of them. Stores fetch
// Limit+1 rows and Trim them, so the caller learns whether another page
// exists without a count. The HTTP layer turns a page into
// {"items": [...], "next_after": "..."|null}.
package listing

import (
	"strconv"

	"github.com/heraldpush/herald/pkg/fault"
)

// Bounds of a page's size.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// ErrInvalidLimit refuses a limit out of range.
var ErrInvalidLimit = fault.Invalid("invalid_limit", "limit must be a whole number from 1 to %d", MaxLimit)

// Page asks for the rows after After ("" for the first page), at most Limit.
type Page struct {
	After string
	Limit int
}

// ParsePage reads limit and after as query strings give them; an empty
// limit is DefaultLimit.
func ParsePage(limit, after string) (Page, error) {
	p := Page{After: after, Limit: DefaultLimit}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxLimit {
			return Page{}, ErrInvalidLimit
		}
		p.Limit = n
	}
	return p, nil
}

// Fetch is how many rows a store reads for the page: one more than it
// returns, to know whether another page follows.
func (p Page) Fetch() int { return p.Limit + 1 }

// Trim cuts rows, read with Fetch, to the page and returns the cursor of
// the next page: the key of the page's last row, or "" when rows ended
// within the page.
func Trim[T any](rows []T, p Page, key func(T) string) (page []T, next string) {
	if rows == nil {
		rows = []T{}
	}
	if len(rows) <= p.Limit {
		return rows, ""
	}
	rows = rows[:p.Limit]
	return rows, key(rows[len(rows)-1])
}

// ErrInvalidCursor refuses an after that no page could have given.
func ErrInvalidCursor(what string) error {
	return fault.Invalid("invalid_cursor", "after must be the next_after of a previous page (%s)", what)
}
