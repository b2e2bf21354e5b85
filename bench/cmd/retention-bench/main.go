// Command retention-bench shows that retention stops the database from
// growing (`make bench-retention`). On a fresh schema of the machine's
// PostgreSQL it simulates days: each day a retention pass runs with the
// clock at that day (making the partitions ahead, dropping the expired
// ones), then the day's notifications are stored, completed, with one
// delivery row per recipient. It prints the size of deliveries and of the
// whole schema after each day: it grows for the retention period, then
// stays flat.
//
// Environment (all optional): BENCH_RETENTION_DAYS (24 simulated days),
// BENCH_RETENTION_PER_DAY (100000 deliveries a day, in 10 notifications),
// HERALD_RETENTION_DELIVERIES (7d here; the product's default is 30d),
// BENCH_DATABASE_URL.
package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/envconf"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/retention"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		slog.Error("retention-bench failed", "err", err)
		os.Exit(1)
	}
}

func num(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s=%q: want a whole number >= 1", name, v)
	}
	return n, nil
}

func run(ctx context.Context) error {
	days, err := num("BENCH_RETENTION_DAYS", 24)
	if err != nil {
		return err
	}
	perDay, err := num("BENCH_RETENTION_PER_DAY", 100000)
	if err != nil {
		return err
	}
	env := envconf.FromMap(map[string]string{"HERALD_RETENTION_DELIVERIES": "7d"})
	if v, ok := os.LookupEnv("HERALD_RETENTION_DELIVERIES"); ok {
		env = envconf.FromMap(map[string]string{"HERALD_RETENTION_DELIVERIES": v})
	}
	settings := retention.ReadSettings(env)
	if err := env.Err(); err != nil {
		return err
	}
	base := os.Getenv("BENCH_DATABASE_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, schema, err := openSchema(ctx, base, log)
	if err != nil {
		return err
	}
	defer func() {
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	}()
	key, _, err := masterkey.Generate()
	if err != nil {
		return err
	}
	created, err := app.NewStore(db, key).Create(ctx, app.CreateInput{Name: "retention-bench"})
	if err != nil {
		return err
	}
	start := time.Now().UTC()
	var clock time.Time
	enforcer := retention.New(retention.Config{DB: db, Settings: settings, Log: log, Now: func() time.Time { return clock }})
	notifications := notification.NewStore(db)

	fmt.Printf("\nretention: %d simulated days, %d deliveries a day, deliveries kept %s\n\n", days, perDay, settings.Deliveries)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "day\tpartitions dropped\tdelivery rows\tdeliveries MB\tdatabase MB\tbytes/delivery\tpass ms\t")
	var sizes []int64
	const perNotification = 10
	for d := range days {
		clock = start.Add(time.Duration(d) * retention.Day)
		t0 := time.Now()
		rep, err := enforcer.Once(ctx)
		if err != nil {
			return fmt.Errorf("retention pass of day %d: %w", d, err)
		}
		pass := time.Since(t0)
		for i := range perNotification {
			made := clock.Add(time.Duration(i) * time.Minute)
			done := made.Add(time.Hour)
			n := &notification.Notification{ID: idAt(made), AppID: created.App.ID, Status: notification.Completed,
				TargetKind: notification.TargetAll, Payload: "{}", TTL: 3600, Priority: notification.Bulk,
				Targeted: int64(perDay / perNotification), CreatedAt: made, UpdatedAt: done, CompletedAt: &done}
			if err := notifications.Insert(ctx, n); err != nil {
				return err
			}
			if err := db.Exec(`INSERT INTO deliveries (notification_id, subscription_id, status, attempts, last_status, created_at)
				SELECT ?, gen_random_uuid(), 'delivered', 1, 201, ? FROM generate_series(1, ?)`, n.ID, done, perDay/perNotification).Error; err != nil {
				return fmt.Errorf("store deliveries: %w", err)
			}
		}
		if err := db.Exec("VACUUM (ANALYZE) deliveries").Error; err != nil {
			return err
		}
		var rows, deliveriesBytes, dbBytes int64
		if err := db.Raw(`SELECT (SELECT COUNT(*) FROM deliveries),
			(SELECT COALESCE(SUM(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits WHERE inhparent = 'deliveries'::regclass),
			(SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
				WHERE n.nspname = ? AND c.relkind = 'r')`, schema).Row().Scan(&rows, &deliveriesBytes, &dbBytes); err != nil {
			return fmt.Errorf("sizes: %w", err)
		}
		sizes = append(sizes, dbBytes)
		perRow := 0.0
		if rows > 0 {
			perRow = float64(deliveriesBytes) / float64(rows)
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.1f\t%.1f\t%.0f\t%d\t\n", d, rep.DeliveryPartitions, rows,
			float64(deliveriesBytes)/(1<<20), float64(dbBytes)/(1<<20), perRow, pass.Milliseconds())
	}
	tw.Flush()
	// Once a retention period and the de-duplication day have passed, each
	// day drops as much as it adds.
	steady := int(settings.Deliveries/retention.Day) + 2
	if steady < len(sizes)-1 {
		lo, hi := sizes[steady], sizes[steady]
		for _, s := range sizes[steady:] {
			lo, hi = min(lo, s), max(hi, s)
		}
		fmt.Printf("\nfrom day %d to day %d the database stayed between %.1f and %.1f MB (%+.1f%% from its size at day %d): it stopped growing\n",
			steady, len(sizes)-1, float64(lo)/(1<<20), float64(hi)/(1<<20), 100*float64(sizes[len(sizes)-1]-sizes[steady])/float64(sizes[steady]), steady)
	}
	return nil
}

// openSchema migrates a fresh schema of the database at base.
func openSchema(ctx context.Context, base string, log *slog.Logger) (*database.DB, string, error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "bench_retention_" + hex.EncodeToString(b)
	admin, err := database.Open(ctx, database.Config{URL: base}, log)
	if err != nil {
		return nil, "", err
	}
	err = admin.Exec("CREATE SCHEMA " + schema).Error
	admin.Close()
	if err != nil {
		return nil, "", err
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := database.Open(ctx, database.Config{URL: u.String()}, log)
	if err != nil {
		return nil, "", err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, "", err
	}
	return db, schema, nil
}

// idAt is a UUIDv7 made at t, as Herald's ids are.
func idAt(t time.Time) string {
	u := uuid.Must(uuid.NewV7())
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(t.UnixMilli()))
	copy(u[:6], ms[2:])
	return u.String()
}
