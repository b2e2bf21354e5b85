package database

import (
	"context"
	"fmt"
	"time"
)

// IDFloor is the smallest UUIDv7 of time t (to the millisecond), in the
// canonical text form both dialects store and order ids by. Herald's ids
// are UUIDv7, whose first 48 bits are the creation time, so "created
// before t" is the primary-key range id < IDFloor(t): no index on a time
// column, no scan of newer rows.
func IDFloor(t time.Time) string {
	ms := uint64(max(t.UnixMilli(), 0))
	return fmt.Sprintf("%08x-%04x-7000-8000-000000000000", ms>>16, ms&0xffff)
}

// DeleteBatches runs del, a DELETE of at most limit rows, again and again
// until one removes fewer than limit rows (nothing is left) or ctx ends,
// and returns the rows removed. Each batch is its own short statement: no
// lock is held for longer than one batch takes.
func DeleteBatches(ctx context.Context, limit int, del func(ctx context.Context, limit int) (int64, error)) (int64, error) {
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := del(ctx, limit)
		total += n
		if err != nil || n < int64(limit) {
			return total, err
		}
	}
}
