package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// redisClaimPrefix is the key pkg/testkit claims Redis databases with, in
// database 0: claiming the same way keeps the benchmark off the databases
// running tests use, and theirs off ours.
const redisClaimPrefix = "herald:testenv:db:"

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// createSchema makes a fresh schema and returns a URL whose search_path is it.
func createSchema(ctx context.Context, base string) (schemaURL, schema string, err error) {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", "", fmt.Errorf("PostgreSQL at %s: %w", base, err)
	}
	defer conn.Close(ctx)
	schema = "bench_" + randomHex(6)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", "", fmt.Errorf("create schema: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema, nil
}

func dropSchema(base, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if conn, err := pgx.Connect(ctx, base); err == nil {
		_, _ = conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(ctx)
	}
}

// redisClaim holds Redis databases claimed for the run.
type redisClaim struct {
	ctl   *redis.Client
	base  string
	token string
	dbs   []int
}

func claimRedis(ctx context.Context, base string, n int) (*redisClaim, error) {
	opts, err := redis.ParseURL(base)
	if err != nil {
		return nil, fmt.Errorf("BENCH_REDIS_URL: %w", err)
	}
	opts.DB = 0
	c := &redisClaim{ctl: redis.NewClient(opts), base: base, token: randomHex(8)}
	if err := c.ctl.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("redis at %s: %w", base, err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for len(c.dbs) < n {
		for db := 15; db >= 1 && len(c.dbs) < n; db-- { // from the top: tests claim from 1 up
			ok, err := c.ctl.SetNX(ctx, redisClaimPrefix+strconv.Itoa(db), c.token, 3*time.Hour).Result()
			if err != nil {
				return nil, err
			}
			if ok {
				c.dbs = append(c.dbs, db)
			}
		}
		if len(c.dbs) < n {
			if time.Now().After(deadline) {
				c.release()
				return nil, fmt.Errorf("no free Redis database for two minutes")
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	for i := range c.dbs {
		if err := c.flush(ctx, i); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *redisClaim) url(i int) string {
	u, _ := url.Parse(c.base)
	u.Path = "/" + strconv.Itoa(c.dbs[i])
	return u.String()
}

func (c *redisClaim) client(i int) *redis.Client {
	opts, _ := redis.ParseURL(c.url(i))
	return redis.NewClient(opts)
}

func (c *redisClaim) flush(ctx context.Context, i int) error {
	r := c.client(i)
	defer r.Close()
	return r.FlushDB(ctx).Err()
}

func (c *redisClaim) release() {
	ctx := context.Background()
	for i, db := range c.dbs {
		_ = c.flush(ctx, i)
		key := redisClaimPrefix + strconv.Itoa(db)
		if v, _ := c.ctl.Get(ctx, key).Result(); v == c.token {
			c.ctl.Del(ctx, key)
		}
	}
	c.ctl.Close()
}

// usedMemory is Redis's INFO memory used_memory: instance-wide, so other
// users of the same Redis show up in it (the baseline is subtracted).
func usedMemory(ctx context.Context, r *redis.Client) (int64, error) {
	info, err := r.Info(ctx, "memory").Result()
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no used_memory in INFO")
}
