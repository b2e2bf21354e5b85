package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// storageResult is what the deliveries cost on disk after the rounds:
// every delivery of every round is a row of deliveries (partitioned by
// day on PostgreSQL), with its primary-key index.
type storageResult struct {
	Deliveries      int64 `json:"deliveries"`
	DeliveriesBytes int64 `json:"deliveries_bytes"` // the table, its partitions and indexes
	SchemaBytes     int64 `json:"schema_bytes"`     // every table and index of the schema
	// BytesPerDelivery is DeliveriesBytes / Deliveries; times 1M, the
	// database size per million deliveries.
	BytesPerDelivery       float64 `json:"bytes_per_delivery"`
	SchemaBytesPerDelivery float64 `json:"schema_bytes_per_delivery"`
}

// measureStorage reads the sizes of schema's tables after a VACUUM
// (ANALYZE), so that the figures count live rows and their pages.
func measureStorage(ctx context.Context, dbURL, schema string) (*storageResult, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "VACUUM (ANALYZE) deliveries"); err != nil {
		return nil, fmt.Errorf("vacuum: %w", err)
	}
	s := &storageResult{}
	err = conn.QueryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM deliveries),
		(SELECT COALESCE(SUM(pg_total_relation_size(i.inhrelid)), 0) FROM pg_inherits i WHERE i.inhparent = 'deliveries'::regclass)
			+ pg_total_relation_size('deliveries'::regclass),
		(SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = $1 AND c.relkind = 'r')`, schema).Scan(&s.Deliveries, &s.DeliveriesBytes, &s.SchemaBytes)
	if err != nil {
		return nil, fmt.Errorf("table sizes: %w", err)
	}
	if s.Deliveries > 0 {
		s.BytesPerDelivery = float64(s.DeliveriesBytes) / float64(s.Deliveries)
		s.SchemaBytesPerDelivery = float64(s.SchemaBytes) / float64(s.Deliveries)
	}
	return s, nil
}

func (s *storageResult) String() string {
	const mb = 1 << 20
	return fmt.Sprintf("storage: %d deliveries; deliveries table %.0f bytes per delivery (%.0f MB per 1M deliveries); "+
		"whole database %.0f bytes per delivery (%.0f MB per 1M, subscriptions and the rest included)",
		s.Deliveries, s.BytesPerDelivery, s.BytesPerDelivery*1e6/mb, s.SchemaBytesPerDelivery, s.SchemaBytesPerDelivery*1e6/mb)
}
