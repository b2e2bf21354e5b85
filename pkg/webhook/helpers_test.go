package webhook

import "github.com/heraldpush/herald/pkg/listing"

func pageOf(n int) listing.Page { return listing.Page{Limit: n} }
