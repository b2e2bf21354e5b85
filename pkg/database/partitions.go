package database

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Day partitions: on PostgreSQL a table keyed by a UUIDv7 (a notification's
// id) is partitioned by RANGE over that key, one partition per UTC day of
// the ids' time, so what expires is dropped a day at a time instead of
// deleted row by row (no bloat, no vacuum debt, no long locks). Their names
// say their range: <table>_pYYYYMMDD holds the ids of that day,
// <table>_before_YYYYMMDD every id before it (the rows a table held when it
// was partitioned), <table>_default whatever no range holds (ids of days no
// partition was made for, ids that are not UUIDv7). Herald makes them
// itself; no extension is involved.

// partitionDDLTimeout bounds how long creating or dropping a partition
// waits for the parent table's lock: it queues behind running queries and
// everything else queues behind it, so it gives up quickly and tries again
// on the next pass rather than stall the table.
const partitionDDLTimeout = "3s"

// Partition is one range partition of a day-partitioned table.
type Partition struct {
	Name string
	From time.Time // zero for the partition of every id before To
	To   time.Time
}

// DayPartitions manages the partitions of one day-partitioned table.
type DayPartitions struct {
	db    *DB
	table string
}

// NewDayPartitions returns the manager of table's partitions.
func NewDayPartitions(db *DB, table string) *DayPartitions {
	return &DayPartitions{db: db, table: table}
}

// Day is the UTC day holding t.
func Day(t time.Time) time.Time {
	return t.UTC().Truncate(24 * time.Hour)
}

// DefaultPartition is the name of table's default partition.
func DefaultPartition(table string) string { return table + "_default" }

func dayName(table string, day time.Time) string { return table + "_p" + day.Format("20060102") }

// List returns the range partitions, oldest first (the default partition
// is not among them).
func (p *DayPartitions) List(ctx context.Context) ([]Partition, error) {
	var names []string
	err := p.db.WithContext(ctx).Raw(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = CAST(? AS regclass)`, p.table).Scan(&names).Error
	if err != nil {
		return nil, fmt.Errorf("list partitions of %s: %w", p.table, err)
	}
	var out []Partition
	for _, name := range names {
		if part, ok := parsePartition(p.table, name); ok {
			out = append(out, part)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].To.Before(out[j].To) })
	return out, nil
}

func parsePartition(table, name string) (Partition, bool) {
	if rest, ok := strings.CutPrefix(name, table+"_p"); ok {
		day, err := time.Parse("20060102", rest)
		return Partition{Name: name, From: day, To: day.Add(24 * time.Hour)}, err == nil
	}
	if rest, ok := strings.CutPrefix(name, table+"_before_"); ok {
		day, err := time.Parse("20060102", rest)
		return Partition{Name: name, To: day}, err == nil
	}
	return Partition{}, false
}

// EnsureAhead makes the day partitions from the end of the newest one until
// days after today, and the default partition, so that new ids always have
// a partition waiting. After a gap (no pass for longer than days) it starts
// from tomorrow: today's ids went to the default partition, and a partition
// cannot be made over rows the default one holds.
func (p *DayPartitions) EnsureAhead(ctx context.Context, now time.Time, days int) error {
	parts, err := p.List(ctx)
	if err != nil {
		return err
	}
	from := Day(now).Add(24 * time.Hour)
	if len(parts) > 0 && parts[len(parts)-1].To.After(from) {
		from = parts[len(parts)-1].To
	}
	return p.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return ensureDays(tx, p.table, from, Day(now).Add(time.Duration(days)*24*time.Hour))
	})
}

// ensureDays creates the day partitions of [from, until] and the default
// partition, waiting at most partitionDDLTimeout for each lock.
func ensureDays(tx *gorm.DB, table string, from, until time.Time) error {
	if err := tx.Exec("SET LOCAL lock_timeout = '" + partitionDDLTimeout + "'").Error; err != nil {
		return err
	}
	for day := Day(from); !day.After(until); day = day.Add(24 * time.Hour) {
		stmt := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')`,
			dayName(table, day), table, IDFloor(day), IDFloor(day.Add(24*time.Hour)))
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("create partition %s: %w", dayName(table, day), err)
		}
	}
	stmt := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF %s DEFAULT`, DefaultPartition(table), table)
	if err := tx.Exec(stmt).Error; err != nil {
		return fmt.Errorf("create partition %s: %w", DefaultPartition(table), err)
	}
	return nil
}

// partitionByDay turns table, whose key column is a UUIDv7, into a
// day-partitioned table with the same columns and primary key and the same
// rows, inside the migration's transaction: create names the new parent's
// SQL (given the table's name, ending in PARTITION BY RANGE (key)); the old
// rows are copied into one partition of every id before tomorrow (dropped
// whole once all of it expires) or, ids that are not UUIDv7 aside, the
// default partition.
func partitionByDay(tx *gorm.DB, table string, create func(name string) string, columns string, now time.Time, ahead int) error {
	old := table + "_unpartitioned"
	tomorrow := Day(now).Add(24 * time.Hour)
	stmts := []string{
		fmt.Sprintf(`ALTER TABLE %s RENAME TO %s`, table, old),
		fmt.Sprintf(`ALTER INDEX %s_pkey RENAME TO %s_pkey`, table, old),
		create(table),
		fmt.Sprintf(`CREATE TABLE %s_before_%s PARTITION OF %s FOR VALUES FROM (MINVALUE) TO ('%s')`,
			table, tomorrow.Format("20060102"), table, IDFloor(tomorrow)),
	}
	for _, stmt := range stmts {
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("partition %s: %w", table, err)
		}
	}
	if err := ensureDays(tx, table, tomorrow, tomorrow.Add(time.Duration(ahead)*24*time.Hour)); err != nil {
		return err
	}
	for _, stmt := range []string{
		fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM %s`, table, columns, columns, old),
		fmt.Sprintf(`DROP TABLE %s`, old),
	} {
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("partition %s: %w", table, err)
		}
	}
	return nil
}

// Drop drops a partition whole, waiting at most partitionDDLTimeout for the
// parent table's lock.
func (p *DayPartitions) Drop(ctx context.Context, part Partition) error {
	return p.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL lock_timeout = '" + partitionDDLTimeout + "'").Error; err != nil {
			return err
		}
		if err := tx.Exec(fmt.Sprintf(`DROP TABLE %s`, part.Name)).Error; err != nil {
			return fmt.Errorf("drop partition %s: %w", part.Name, err)
		}
		return nil
	})
}
