// Package publiclimit limits the API's public routes (the ones a browser
// calls without a key: subscribe, replace, events, the VAPID key) per client
// address and per app, fleet-wide: every API replica counts in the same Redis
// keys through GCRA (go-redis/redis_rate, on Redis' clock), so a script
// cannot multiply its allowance by the number of replicas.
package publiclimit

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Route names a limited route; it is part of the Redis keys and the metric labels.
type Route string

// The limited routes.
const (
	Subscribe Route = "subscribe"
	Replace   Route = "replace"
	Events    Route = "events"
	VAPIDKey  Route = "vapid_key"
)

// Routes lists every limited route, in the order configuration names them.
var Routes = []Route{Subscribe, Replace, Events, VAPIDKey}

// Rule is a GCRA limit: Burst at once, then Rate per Period. The zero Rule
// is no limit.
type Rule struct {
	Rate   int
	Period time.Duration
	Burst  int
}

// Off reports whether r limits nothing.
func (r Rule) Off() bool { return r.Rate <= 0 }

// String gives r as ParseRule reads it.
func (r Rule) String() string {
	if r.Off() {
		return "off"
	}
	unit := map[time.Duration]string{time.Second: "s", time.Minute: "m", time.Hour: "h"}[r.Period]
	return fmt.Sprintf("%d/%s,%d", r.Rate, unit, r.Burst)
}

// ParseRule reads "RATE/UNIT,BURST" (UNIT s, m or h; "1/s,20" is a burst of
// 20, then one a second) or "off".
func ParseRule(s string) (Rule, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return Rule{}, nil
	}
	bad := fmt.Errorf("%q is not a limit like 1/s,20 (RATE/UNIT,BURST with UNIT s, m or h) or off", s)
	ratePart, burstPart, ok := strings.Cut(s, ",")
	if !ok {
		return Rule{}, bad
	}
	n, unit, ok := strings.Cut(ratePart, "/")
	if !ok {
		return Rule{}, bad
	}
	periods := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}
	period, ok := periods[strings.TrimSpace(unit)]
	rate, err1 := strconv.Atoi(strings.TrimSpace(n))
	burst, err2 := strconv.Atoi(strings.TrimSpace(burstPart))
	if !ok || err1 != nil || err2 != nil || rate < 1 || burst < 1 || rate > 1e6 || burst > 1e6 {
		return Rule{}, bad
	}
	return Rule{Rate: rate, Period: period, Burst: burst}, nil
}

// Rules are one route's limits: per client address and per app.
type Rules struct {
	PerAddress Rule
	PerApp     Rule
}

// Defaults stop a script at once and leave a real site's traffic alone: a
// browser subscribes once, reports a few events per notification and reads
// the VAPID key once per page that subscribes.
func Defaults() map[Route]Rules {
	return map[Route]Rules{
		Subscribe: {PerAddress: Rule{1, time.Second, 20}, PerApp: Rule{200, time.Second, 2000}},
		Replace:   {PerAddress: Rule{1, time.Second, 20}, PerApp: Rule{200, time.Second, 2000}},
		Events:    {PerAddress: Rule{20, time.Second, 100}, PerApp: Rule{2000, time.Second, 20000}},
		VAPIDKey:  {PerAddress: Rule{5, time.Second, 50}, PerApp: Rule{1000, time.Second, 10000}},
	}
}

// Scope says which limit refused a request.
type Scope string

// The scopes of a refusal.
const (
	ScopeAddress Scope = "address"
	ScopeApp     Scope = "app"
)

// Decision is the answer for one request.
type Decision struct {
	Allowed    bool
	Scope      Scope         // which limit refused it, when not Allowed
	RetryAfter time.Duration // when one more request would pass, when not Allowed
}

// Limiter takes requests from the limits in Redis.
type Limiter struct {
	rate  *redis_rate.Limiter
	rules map[Route]Rules
}

// New returns a Limiter over rdb (which the caller owns) with rules; a route
// without rules is not limited.
func New(rdb redis.UniversalClient, rules map[Route]Rules) *Limiter {
	return &Limiter{rate: redis_rate.NewLimiter(rdb), rules: rules}
}

// Allow takes one request of route from address's allowance, then from
// appID's (either may be ""; an empty key is not limited). A request the
// address limit refuses takes nothing from the app's, so one address
// hammering a route cannot use up the app's allowance by itself.
func (l *Limiter) Allow(ctx context.Context, route Route, address, appID string) (Decision, error) {
	rules := l.rules[route]
	if address != "" {
		d, err := l.take(ctx, route, ScopeAddress, address, rules.PerAddress)
		if err != nil || !d.Allowed {
			return d, err
		}
	}
	if appID != "" {
		return l.take(ctx, route, ScopeApp, appID, rules.PerApp)
	}
	return Decision{Allowed: true}, nil
}

func (l *Limiter) take(ctx context.Context, route Route, scope Scope, key string, rule Rule) (Decision, error) {
	if rule.Off() {
		return Decision{Allowed: true}, nil
	}
	limit := redis_rate.Limit{Rate: rule.Rate, Period: rule.Period, Burst: rule.Burst}
	res, err := l.rate.Allow(ctx, "herald:publiclimit:"+string(route)+":"+string(scope)+":"+key, limit)
	if err != nil {
		return Decision{}, fmt.Errorf("public route limit: %w", err)
	}
	if res.Allowed > 0 {
		return Decision{Allowed: true}, nil
	}
	return Decision{Scope: scope, RetryAfter: max(res.RetryAfter, 0)}, nil
}

// AddressKey is the part of a client address one client controls: the
// address itself for IPv4, its /64 for IPv6 (one host is given a whole /64,
// so limiting single IPv6 addresses would limit nothing).
func AddressKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String()
	}
	prefix, err := addr.Prefix(64)
	if err != nil {
		return addr.String()
	}
	return prefix.String()
}
