package jobqueue

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// legacyClaims are the claims workers of releases before migration 25 keep
// in Redis (herald:run:{job}), kept beside the database's so that a rolling
// upgrade across it runs no job twice at once: an older worker reads only
// these (in its Hold and its Recover), so a run here sets one too, and
// waits for one an older worker holds; Recover here counts them as held.
// The database's claim decides among current workers, and a Redis fault
// that drops one of these loses nothing they decide. Remove them once no
// release before migration 25 runs.
type legacyClaims struct{ rdb redis.UniversalClient }

func legacyKey(job string) string { return "herald:run:{" + job + "}" }

var (
	legacyRenew   = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`)
	legacyRelease = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`)
)

// take sets holder's claim unless an older worker holds one. A Redis error
// counts as taken: the database's claim is held, and a Redis that fails
// hands this job to no older worker either.
func (l legacyClaims) take(ctx context.Context, job, holder string) bool {
	ok, err := l.rdb.SetNX(ctx, legacyKey(job), holder, RunClaimTTL).Result()
	return ok || err != nil
}

func (l legacyClaims) renew(ctx context.Context, job, holder string) {
	legacyRenew.Run(ctx, l.rdb, []string{legacyKey(job)}, holder, RunClaimTTL.Milliseconds())
}

func (l legacyClaims) release(ctx context.Context, job, holder string) {
	legacyRelease.Run(ctx, l.rdb, []string{legacyKey(job)}, holder)
}

// held tells which of jobs have a claim in Redis.
func (l legacyClaims) held(ctx context.Context, jobs []string) (map[string]bool, error) {
	held, err := existing(ctx, l.rdb, jobs, legacyKey)
	if err != nil {
		return nil, fmt.Errorf("job claims in Redis: %w", err)
	}
	return held, nil
}
