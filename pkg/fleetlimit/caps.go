package fleetlimit

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/delivery"
)

// admitScript counts a notification for a batch's recipients in one round
// trip. Each counter is a sorted set of notification ids scored by when
// they were counted (Redis' clock, shared by the fleet); entries older than
// the counter's window are dropped first. A recipient is admitted when the
// notification is already in each of its counters (a retry, a second
// browser of the same user) or every counter has room; then the
// notification is added to each. With force every recipient is admitted and
// counted.
//
// ARGV: member, force, number of keys, (window ms, max) per key, number of
// recipients, then per recipient its number of keys and their indexes.
var admitScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local member = ARGV[1]
local force = ARGV[2] == '1'
local nkeys = tonumber(ARGV[3])
local win, limit = {}, {}
local i = 4
for k = 1, nkeys do
  win[k] = tonumber(ARGV[i])
  limit[k] = tonumber(ARGV[i + 1])
  i = i + 2
  redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', now - win[k])
end
local nrec = tonumber(ARGV[i])
i = i + 1
local out = {}
for r = 1, nrec do
  local c = tonumber(ARGV[i])
  i = i + 1
  local ks = {}
  for j = 1, c do
    ks[j] = tonumber(ARGV[i])
    i = i + 1
  end
  local ok = true
  if not force then
    for j = 1, c do
      local k = ks[j]
      if not redis.call('ZSCORE', KEYS[k], member) and redis.call('ZCARD', KEYS[k]) >= limit[k] then
        ok = false
        break
      end
    end
  end
  if ok then
    for j = 1, c do
      local k = ks[j]
      redis.call('ZADD', KEYS[k], 'NX', now, member)
      redis.call('PEXPIRE', KEYS[k], win[k])
    end
  end
  out[r] = ok and 1 or 0
end
return out
`)

// capKey is a counter's Redis key: every counter of an app shares the
// app's hash tag, so one script may touch a whole batch's on a Cluster.
func capKey(appID, key string) string { return "herald:cap:{" + appID + "}:" + key }

// AdmitCaps implements delivery.Limits.
func (l *Limits) AdmitCaps(ctx context.Context, appID, notificationID string, recipients [][]delivery.CapKey, force bool) ([]bool, error) {
	out := make([]bool, len(recipients))
	index := map[string]int{}
	var keys []string
	var limits []any
	var groups []any
	for _, r := range recipients {
		groups = append(groups, len(r))
		for _, k := range r {
			i, ok := index[k.Key]
			if !ok {
				i = len(keys)
				index[k.Key] = i
				keys = append(keys, capKey(appID, k.Key))
				limits = append(limits, k.Window.Milliseconds(), k.Max)
			}
			groups = append(groups, i+1) // Lua counts from 1
		}
	}
	if len(keys) == 0 {
		for i := range out {
			out[i] = true
		}
		return out, nil
	}
	f := "0"
	if force {
		f = "1"
	}
	args := append([]any{notificationID, f, len(keys)}, limits...)
	args = append(args, len(recipients))
	args = append(args, groups...)
	res, err := admitScript.Run(ctx, l.rdb, keys, args...).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("frequency caps: %w", err)
	}
	if len(res) != len(recipients) {
		return nil, fmt.Errorf("frequency caps: %d answers for %d recipients", len(res), len(recipients))
	}
	for i, v := range res {
		out[i] = v == 1
	}
	return out, nil
}

// CapCount is how many notifications a counter holds now (for tests and
// operators).
func (l *Limits) CapCount(ctx context.Context, appID, key string) (int64, error) {
	n, err := l.rdb.ZCard(ctx, capKey(appID, key)).Result()
	if err != nil {
		return 0, fmt.Errorf("frequency cap %s: %w", strconv.Quote(key), err)
	}
	return n, nil
}
