package redisconn

import (
	"context"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/testkit"
)

func TestEmbeddedClockAdvances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, err := Open(ctx, "", testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Embedded {
		t.Fatal("empty URL did not select embedded Redis")
	}
	if err := c.Client.Set(ctx, "k", "v", time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	// Expiry only happens if the ticker moves miniredis's clock.
	deadline := time.Now().Add(5 * time.Second)
	for c.Client.Exists(ctx, "k").Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("key with 1s TTL still present after 5s: embedded clock does not advance")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestOpenRealRedis(t *testing.T) {
	t.Parallel()
	c, err := Open(context.Background(), testkit.RedisURL(t), testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Embedded {
		t.Fatal("URL given but embedded Redis used")
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRejectsBadURL(t *testing.T) {
	t.Parallel()
	if _, err := Open(context.Background(), "http://nope", testkit.Logger(t)); err == nil {
		t.Fatal("accepted a non-redis URL")
	}
}

func TestAtLeast(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{"7.0.15": true, "6.2.0": true, "6.0.9": false, "5.0": false, "garbage": false} {
		if got := atLeast(v, 6, 2); got != want {
			t.Errorf("atLeast(%q) = %v", v, got)
		}
	}
}
