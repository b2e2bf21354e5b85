package database

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/testkit"
)

// Partitioning an existing deliveries table carries its rows over: one
// partition holds every id before tomorrow, day partitions wait ahead, and
// the primary key still refuses a second outcome for the same pair.
func TestPartitioningCarriesDeliveriesOver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := Open(ctx, Config{URL: testkit.PostgresURL(t)}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.migrate(ctx, migrations[:partitioningStep()]); err != nil {
		t.Fatal(err)
	}
	appID, notificationID := uuid.NewString(), uuid.Must(uuid.NewV7()).String()
	now := time.Now().UTC()
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO apps (id, name, identity_secret_sealed, created_at, updated_at) VALUES (?, 'a', '\x00', ?, ?)`, []any{appID, now, now}},
		{`INSERT INTO notifications (id, app_id, status, target_kind, content, payload, ttl, created_at, updated_at)
			VALUES (?, ?, 'completed', 'all', '{}', '{}', 60, ?, ?)`, []any{notificationID, appID, now, now}},
	} {
		if err := db.Exec(stmt.sql, stmt.args...).Error; err != nil {
			t.Fatal(err)
		}
	}
	for range 50 {
		if err := db.Exec(`INSERT INTO deliveries (notification_id, subscription_id, status, attempts, last_status, created_at)
			VALUES (?, ?, 'delivered', 1, 201, ?)`, notificationID, uuid.NewString(), now).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := db.Raw("SELECT COUNT(*) FROM " + "deliveries_before_" + Day(now).Add(24*time.Hour).Format("20060102")).Scan(&n).Error; err != nil || n != 50 {
		t.Fatalf("the partition of older ids holds %d rows (%v), want 50", n, err)
	}
	parts, err := NewDayPartitions(db, "deliveries").List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 1+PartitionDaysAhead+1 || !parts[0].From.IsZero() || !parts[len(parts)-1].From.Equal(Day(now).Add((PartitionDaysAhead+1)*24*time.Hour)) {
		t.Fatalf("partitions %+v", parts)
	}
	var sub string
	if err := db.Raw("SELECT subscription_id FROM deliveries LIMIT 1").Scan(&sub).Error; err != nil {
		t.Fatal(err)
	}
	var inserted []string
	if err := db.Raw(`INSERT INTO deliveries (notification_id, subscription_id, status, attempts, last_status, created_at)
		VALUES (?, ?, 'dead', 8, 503, ?) ON CONFLICT (notification_id, subscription_id) DO NOTHING RETURNING subscription_id`,
		notificationID, sub, now).Scan(&inserted).Error; err != nil || len(inserted) != 0 {
		t.Fatalf("a second outcome for one pair: inserted %v, %v", inserted, err)
	}
	// Ahead again: nothing new while every day ahead exists; a gap starts tomorrow.
	if err := NewDayPartitions(db, "deliveries").EnsureAhead(ctx, now.Add(30*24*time.Hour), 2); err != nil {
		t.Fatal(err)
	}
	after, _ := NewDayPartitions(db, "deliveries").List(ctx)
	if got := after[len(after)-1].From; !got.Equal(Day(now).Add(32 * 24 * time.Hour)) {
		t.Fatalf("newest partition after a gap starts %s", got)
	}
}

// partitioningStep is the index of the migration that partitions deliveries.
func partitioningStep() int {
	for i, m := range migrations {
		if m.postgres != nil {
			return i
		}
	}
	panic("no migration partitions deliveries")
}
