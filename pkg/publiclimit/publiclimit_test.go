package publiclimit

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/testkit"
)

func TestParseRule(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Rule{
		"1/s,20":      {1, time.Second, 20},
		" 60 / m , 5": {60, time.Minute, 5},
		"3/h,3":       {3, time.Hour, 3},
		"off":         {},
	} {
		got, err := ParseRule(in)
		if err != nil || got != want {
			t.Errorf("ParseRule(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1/s", "1/d,2", "0/s,1", "1/s,0", "-1/s,1", "x/s,1", "1/s,2,3", "2000000/s,1"} {
		if _, err := ParseRule(in); err == nil {
			t.Errorf("ParseRule(%q) accepted", in)
		}
	}
	for _, r := range Defaults() {
		for _, rule := range []Rule{r.PerAddress, r.PerApp} {
			if back, err := ParseRule(rule.String()); err != nil || back != rule {
				t.Errorf("%v does not read back: %v %v", rule, back, err)
			}
		}
	}
}

func TestAddressKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"203.0.113.7":          "203.0.113.7",
		"::ffff:203.0.113.7":   "203.0.113.7",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"not an address":       "not an address",
	} {
		if got := AddressKey(in); got != want {
			t.Errorf("AddressKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// Limits are shared through Redis: two Limiters (two API replicas) draw
// from one allowance, per route and scope.
func TestLimitersShareAllowance(t *testing.T) {
	t.Parallel()
	opts, err := redis.ParseURL(testkit.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	rules := map[Route]Rules{Subscribe: {PerAddress: Rule{1, time.Hour, 3}, PerApp: Rule{1, time.Hour, 4}}}
	replicas := []*Limiter{New(rdb, rules), New(rdb, rules)}
	ctx := context.Background()
	allowed := 0
	for i := range 10 {
		d, err := replicas[i%2].Allow(ctx, Subscribe, "192.0.2.1", "")
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			allowed++
		} else if d.Scope != ScopeAddress || d.RetryAfter <= 0 {
			t.Fatalf("refusal %+v", d)
		}
	}
	if allowed != 3 {
		t.Fatalf("%d allowed across two replicas, want 3", allowed)
	}
	if d, _ := replicas[0].Allow(ctx, Replace, "192.0.2.1", ""); !d.Allowed {
		t.Fatal("an unconfigured route is limited")
	}
	allowed = 0
	for range 6 {
		if d, _ := replicas[1].Allow(ctx, Subscribe, "", "app-1"); d.Allowed {
			allowed++
		} else if d.Scope != ScopeApp {
			t.Fatalf("app refusal scope %q", d.Scope)
		}
	}
	if allowed != 4 {
		t.Fatalf("%d allowed for the app, want 4", allowed)
	}
}
