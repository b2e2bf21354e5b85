// Package redisconn connects to Redis: one server, a Sentinel-managed
// master or a Redis Cluster (see ParseURL), or an in-process Redis
// (miniredis) for the zero-configuration dev mode. Every use Herald makes of
// Redis (asynq's queues, delivery rates, caches) goes through the one
// redis.UniversalClient it returns, so each works on all three.
//
// On a Cluster, commands that touch several keys at once (a Lua script,
// MULTI, RENAME, SUNIONSTORE, ...) need all their keys in one hash slot:
// put the part they share in braces, as asynq does with its queue names
// ("asynq:{herald:bulk}:pending"). Pipelines of single-key commands need no
// care: the client splits them per node.
package redisconn

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Conn is a Redis client plus, in dev mode, the embedded server behind it.
type Conn struct {
	Client   redis.UniversalClient
	Mode     Mode
	Embedded bool

	stop func()
}

// Open connects to url (see ParseURL), or starts an embedded Redis when url
// is empty.
func Open(ctx context.Context, url string, log *slog.Logger) (*Conn, error) {
	if url == "" {
		return openEmbedded()
	}
	target, err := ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis URL: %w", err)
	}
	c := &Conn{Client: target.NewClient(), Mode: target.Mode, stop: func() {}}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Ping(pingCtx); err != nil {
		c.Client.Close()
		return nil, fmt.Errorf("connect to Redis (%s): %w", target, err)
	}
	if err := c.eachServer(pingCtx, func(ctx context.Context, s *redis.Client) error { return checkServer(ctx, s, log) }); err != nil {
		c.Client.Close()
		return nil, err
	}
	return c, nil
}

// eachServer calls fn with the client of every server commands go to: each
// master of a cluster, else the one server (the master, with Sentinel).
func (c *Conn) eachServer(ctx context.Context, fn func(context.Context, *redis.Client) error) error {
	switch client := c.Client.(type) {
	case *redis.ClusterClient:
		return client.ForEachMaster(ctx, fn)
	case *redis.Client:
		return fn(ctx, client)
	default:
		return fmt.Errorf("unexpected Redis client %T", c.Client)
	}
}

// openEmbedded starts miniredis. Its clock only moves when told, and asynq
// relies on key expiry (leases, locks), so a ticker advances it each second.
func openEmbedded() (*Conn, error) {
	mr := miniredis.NewMiniRedis()
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start embedded Redis: %w", err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				mr.FastForward(time.Second)
			}
		}
	}()
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	return &Conn{Client: client, Mode: Single, Embedded: true, stop: func() {
		close(done)
		wg.Wait()
		mr.Close()
	}}, nil
}

// checkServer refuses Redis older than 6.2 (asynq needs it) and warns when
// the eviction policy could silently drop queued jobs.
func checkServer(ctx context.Context, c *redis.Client, log *slog.Logger) error {
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return fmt.Errorf("redis INFO: %w", err)
	}
	if v := infoField(info, "redis_version"); v != "" && !atLeast(v, 6, 2) {
		return fmt.Errorf("redis %s is too old: Herald needs Redis 6.2 or newer", v)
	}
	if policy, err := c.ConfigGet(ctx, "maxmemory-policy").Result(); err == nil {
		if p := policy["maxmemory-policy"]; p != "" && p != "noeviction" {
			log.Warn("redis maxmemory-policy is not noeviction: queued jobs may be evicted under memory pressure; set maxmemory-policy noeviction", "policy", p)
		}
	}
	return nil
}

func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return ""
}

func atLeast(version string, major, minor int) bool {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}

// Ping checks Redis answers: every master of a cluster, since each holds
// some of the queues.
func (c *Conn) Ping(ctx context.Context) error {
	return c.eachServer(ctx, func(ctx context.Context, s *redis.Client) error { return s.Ping(ctx).Err() })
}

// Close closes the client and stops an embedded server.
func (c *Conn) Close() error {
	err := c.Client.Close()
	c.stop()
	return err
}
