// Package testkit is Herald's test support, and nothing else imports it.
// This package gives integration tests their own piece of the real
// PostgreSQL and Redis: a fresh schema and a private Redis database each.
// HERALD_TEST_DATABASE_URL and HERALD_TEST_REDIS_URL override the local
// defaults. A missing server fails the test: skipping would hide it.
package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

const (
	defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	defaultRedisURL    = "redis://127.0.0.1:6379/0"
	redisDatabases     = 16 // Redis's default "databases"; DB 0 holds the claims
	// redisClaimPrefix keys the claims; kept from the package's old name so
	// test runs of older checkouts on the same Redis still see each other.
	redisClaimPrefix = "herald:testenv:db:"
)

// Logger returns a logger that writes through t.Log when -v is set and
// discards otherwise, so passing runs stay quiet.
func Logger(t testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// PostgresURL creates an empty schema for this test and returns a URL whose
// connections use it. The schema is dropped when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("HERALD_TEST_DATABASE_URL")
	if base == "" {
		base = defaultDatabaseURL
	}
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{})
	if err != nil {
		t.Fatalf("testkit: PostgreSQL at %s is not reachable (start it; see DEVELOPERS.md): %v", base, err)
	}
	sqlDB, _ := admin.DB()
	defer sqlDB.Close()
	schema := "t_" + randomHex(8)
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("testkit: create schema: %v", err)
	}
	t.Cleanup(func() {
		cleanup, err := gorm.Open(postgres.Open(base), &gorm.Config{})
		if err != nil {
			return
		}
		cleanup.Exec("DROP SCHEMA " + schema + " CASCADE")
		if d, err := cleanup.DB(); err == nil {
			d.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// RedisURL claims a Redis database no other running test uses, empties it
// and returns its URL. The claim is released, and the database emptied, when
// the test ends.
func RedisURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("HERALD_TEST_REDIS_URL")
	if base == "" {
		base = defaultRedisURL
	}
	opts, err := redis.ParseURL(base)
	if err != nil {
		t.Fatalf("testkit: HERALD_TEST_REDIS_URL: %v", err)
	}
	ctx := context.Background()
	ctl := redis.NewClient(opts)
	defer ctl.Close()
	if err := ctl.Ping(ctx).Err(); err != nil {
		t.Fatalf("testkit: Redis at %s is not reachable (start it; see DEVELOPERS.md): %v", base, err)
	}
	token := randomHex(8)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for db := 1; db < redisDatabases; db++ {
			key := fmt.Sprintf(redisClaimPrefix+"%d", db)
			ok, err := ctl.SetNX(ctx, key, token, 15*time.Minute).Result()
			if err != nil {
				t.Fatalf("testkit: claim Redis db: %v", err)
			}
			if !ok {
				continue
			}
			u := withDB(base, db)
			flush(t, u)
			t.Cleanup(func() {
				flush(t, u)
				c := redis.NewClient(opts)
				defer c.Close()
				c.Del(context.Background(), key)
			})
			return u
		}
		if time.Now().After(deadline) {
			t.Fatal("testkit: no free Redis database for two minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func withDB(base string, db int) string {
	u, _ := url.Parse(base)
	u.Path = fmt.Sprintf("/%d", db)
	return u.String()
}

func flush(t testing.TB, u string) {
	opts, _ := redis.ParseURL(u)
	c := redis.NewClient(opts)
	defer c.Close()
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		t.Logf("testkit: flush %s: %v", u, err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
