package heraldclient

import (
	"encoding/json"
	"net/url"
	"strconv"
)

// ListOptions pages through a list: Limit items (the server's default when
// 0) after the cursor After (a previous page's NextAfter).
type ListOptions struct {
	Limit int
	After string
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.After != "" {
		q.Set("after", o.After)
	}
	return q
}

// Page is one page of a list; NextAfter is "" after the last page.
type Page[T any] struct {
	Raw
	Items     []T    `json:"items"`
	NextAfter string `json:"next_after"`
}

// keepItemsRaw gives each item the JSON it was decoded from.
func (p *Page[T]) keepItemsRaw(data []byte) {
	var items struct {
		Items []json.RawMessage `json:"items"`
	}
	if json.Unmarshal(data, &items) != nil || len(items.Items) != len(p.Items) {
		return
	}
	for i := range p.Items {
		if k, ok := any(&p.Items[i]).(rawKeeper); ok {
			k.setRaw(items.Items[i])
		}
	}
}
