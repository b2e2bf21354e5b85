package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/listing"
)

// listView is the one shape of every list Herald answers: a page of items
// and the cursor of the next page, null after the last. A new list route
// reads its page with readPage, asks its store with it (the store returns
// listing.Trim's next cursor) and answers with writeList.
type listView[T any] struct {
	Items     []T     `json:"items"`
	NextAfter *string `json:"next_after"`
}

// readPage reads ?limit= (1 to 1000, default 100) and ?after=.
func readPage(c *gin.Context) (listing.Page, error) {
	return listing.ParsePage(c.Query("limit"), c.Query("after"))
}

// writeList answers 200 with items and the next page's cursor ("" when
// there is none).
func writeList[T any](c *gin.Context, items []T, next string) {
	v := listView[T]{Items: items}
	if v.Items == nil {
		v.Items = []T{}
	}
	if next != "" {
		v.NextAfter = &next
	}
	c.JSON(http.StatusOK, v)
}

// mapItems converts rows to their views.
func mapItems[R, V any](rows []R, view func(R) V) []V {
	out := make([]V, len(rows))
	for i, r := range rows {
		out[i] = view(r)
	}
	return out
}
