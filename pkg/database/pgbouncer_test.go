package database

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/servers"
)

// Through PgBouncer in transaction mode (one server connection for every
// client, so consecutive transactions of a client land on connections other
// clients used): replicas migrate at once under the transaction-scoped lock,
// and queries and transactions work from many pools at once.
func TestThroughPgBouncerTransactionMode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := servers.StartPostgres(t, servers.PostgresOptions{})
	bouncer := servers.StartPgBouncer(t, pg, servers.PgBouncerOptions{PoolSize: 1})
	url := bouncer.URL("postgres")

	// pgx's default, named statements cached per connection, breaks here:
	// the check that this setup shows what Herald's own mode avoids.
	a, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	b, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(ctx)
	var broke bool
	for i := range 4 {
		for _, c := range []*pgx.Conn{a, b} {
			var n int
			if err := c.QueryRow(ctx, "SELECT $1::int", i).Scan(&n); err != nil {
				broke = true
			}
		}
	}
	if !broke {
		t.Fatal("named statements worked through PgBouncer in transaction mode: the test no longer reproduces the problem")
	}

	const replicas = 4
	dbs := make([]*DB, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(ctx, Config{URL: url, MaxOpenConns: 3}, testkit.Logger(t))
			if err != nil {
				errs[i] = err
				return
			}
			dbs[i] = db
			errs[i] = db.Migrate(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	var steps int64
	if err := dbs[0].Raw("SELECT COUNT(*) FROM schema_migrations").Scan(&steps).Error; err != nil || steps != int64(len(migrations)) {
		t.Fatalf("schema_migrations: %d rows, %v; want %d", steps, err, len(migrations))
	}
	for i, db := range dbs {
		for j := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range 20 {
					key := strings.Repeat("k", 1+(i*3+j)%5)
					err := db.WithContext(ctx).Exec("INSERT INTO signing_keys (name, secret_sealed, created_at) VALUES (?, ?, now()) ON CONFLICT (name) DO NOTHING", key, []byte{byte(k)}).Error
					var n int64
					if err == nil {
						err = db.WithContext(ctx).Raw("SELECT COUNT(*) FROM signing_keys WHERE name = ?", key).Scan(&n).Error
					}
					if err != nil {
						t.Errorf("pool %d: %v", i, err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
}
