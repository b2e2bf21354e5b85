package main

import (
	"context"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
	"github.com/heraldpush/herald/pkg/testkit/proctest"
)

func apiEnv(t *testing.T, dbURL string) []string {
	return []string{
		"HERALD_DATABASE_URL=" + dbURL,
		"HERALD_REDIS_URL=" + testkit.RedisURL(t),
		"HERALD_MASTER_KEY=q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",
		"HERALD_ADMIN_TOKEN=schema-test-admin-token",
		"HERALD_VAPID_SUBJECT=mailto:ops@example.com",
	}
}

// With HERALD_MIGRATE=false the API creates nothing and does not open its
// port until `herald-api migrate` (the init container's command) has run;
// then it starts without being restarted.
func TestMigrateOffWaitsForMigrateCommand(t *testing.T) {
	t.Parallel()
	dbURL := testkit.PostgresURL(t)
	addr := proctest.FreeAddr(t)
	api := proctest.Start(t, t.TempDir(), append(apiEnv(t, dbURL), "HERALD_MIGRATE=false", "HERALD_HTTP_ADDR="+addr)...)
	api.WaitOutput(t, "waiting for the database migrations", 30*time.Second)
	if err := proctest.WaitHTTP(t.Context(), "http://"+addr+"/healthz", 200, time.Second); err == nil {
		t.Fatal("the API serves before the schema exists")
	}
	db, err := database.Open(context.Background(), database.Config{URL: dbURL}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{"schema_migrations", "apps", "subscriptions"} {
		if db.Migrator().HasTable(table) {
			t.Fatalf("HERALD_MIGRATE=false created table %s", table)
		}
	}

	migrate := proctest.StartArgs(t, t.TempDir(), []string{"migrate"}, append(apiEnv(t, dbURL), "HERALD_MIGRATE=false")...)
	if err := migrate.Wait(t, 60*time.Second); err != nil {
		t.Fatalf("herald-api migrate: %v\n%s", err, migrate.Output())
	}
	if !strings.Contains(migrate.Output(), `"version":`+strconv.Itoa(database.LatestVersion())) {
		t.Errorf("herald-api migrate does not report version %d:\n%s", database.LatestVersion(), migrate.Output())
	}
	if err := proctest.WaitHTTP(t.Context(), "http://"+addr+"/readyz", 200, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := api.Stop(t, syscall.SIGTERM, 30*time.Second); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}

// A database a newer release migrated: the API (migrating or not) and
// `herald-api migrate` refuse it, saying which versions and what to do.
func TestRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	dbURL := testkit.PostgresURL(t)
	next := dbtest.NewerSchema(t, dbURL, "webhooks")
	for name, run := range map[string]struct {
		args []string
		env  string
	}{
		"serve": {nil, "HERALD_MIGRATE=true"}, "serve without migrating": {nil, "HERALD_MIGRATE=false"},
		"migrate": {[]string{"migrate"}, "HERALD_MIGRATE=true"},
	} {
		p := proctest.StartArgs(t, t.TempDir(), run.args, append(apiEnv(t, dbURL), run.env, "HERALD_HTTP_ADDR="+proctest.FreeAddr(t))...)
		if err := p.Wait(t, 60*time.Second); err == nil {
			t.Fatalf("%s: started on a schema newer than it knows", name)
		}
		want := "database schema is newer than this binary: the database is at version " + strconv.Itoa(next) +
			" but this binary knows versions up to " + strconv.Itoa(database.LatestVersion())
		if out := p.Output(); !strings.Contains(out, want) || !strings.Contains(out, "(webhooks)") {
			t.Errorf("%s: output does not say %q:\n%s", name, want, out)
		}
	}
}
