package runclaim

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// at returns a store whose clock reads *now.
func at(db *database.DB, now *time.Time) *Store {
	s := NewStore(db)
	s.now = func() time.Time { return *now }
	return s
}

// Of many runs taking one job at once, exactly one wins, on every dialect.
func TestTakeOneWinner(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, ctx := NewStore(db), context.Background()
		var won atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				ok, err := s.Take(ctx, "batch:n1:1", fmt.Sprint("run-", i), 10*time.Second)
				if err != nil {
					t.Error(err)
				}
				if ok {
					won.Add(1)
				}
			})
		}
		wg.Wait()
		if won.Load() != 1 {
			t.Fatalf("%d runs took the job, want 1", won.Load())
		}
	})
}

// A claim keeps others out until it expires; then another run takes it,
// and the first run's renewal and release no longer touch it.
func TestClaimLifetime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		now := time.Now().UTC()
		s, ctx := at(db, &now), context.Background()
		must := func(ok bool, err error) bool {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		held := func(jobs ...string) map[string]bool {
			t.Helper()
			m, err := s.Held(ctx, jobs)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		if !must(s.Take(ctx, "job", "a", 10*time.Second)) {
			t.Fatal("a could not take a free job")
		}
		if must(s.Take(ctx, "job", "b", 10*time.Second)) || must(s.Take(ctx, "job", "a", 10*time.Second)) {
			t.Fatal("a live claim was taken again")
		}
		now = now.Add(8 * time.Second)
		if !must(s.Renew(ctx, "job", "a", 10*time.Second)) {
			t.Fatal("the holder could not renew")
		}
		now = now.Add(8 * time.Second) // 16 s after the take: alive through the renewal
		if h := held("job", "other"); !h["job"] || h["other"] {
			t.Fatalf("held %v, want only job", h)
		}
		if must(s.Take(ctx, "job", "b", 10*time.Second)) {
			t.Fatal("a renewed claim was taken")
		}
		now = now.Add(3 * time.Second) // past the renewal's 10 s
		if h := held("job"); h["job"] {
			t.Fatal("an expired claim is reported held")
		}
		if !must(s.Take(ctx, "job", "b", 10*time.Second)) {
			t.Fatal("an expired claim could not be taken")
		}
		if must(s.Renew(ctx, "job", "a", 10*time.Second)) {
			t.Fatal("the old holder renewed a claim another run took")
		}
		if err := s.Release(ctx, "job", "a"); err != nil {
			t.Fatal(err)
		}
		if h := held("job"); !h["job"] {
			t.Fatal("the old holder's release removed the new holder's claim")
		}
		if err := s.Release(ctx, "job", "b"); err != nil {
			t.Fatal(err)
		}
		if !must(s.Take(ctx, "job", "c", 10*time.Second)) {
			t.Fatal("a released job could not be taken")
		}
	})
}

// The retention removes claims expired before its cutoff, in batches, and
// keeps the others.
func TestExpireBefore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		now := time.Now().UTC()
		s, ctx := at(db, &now), context.Background()
		for i := range 5 {
			if _, err := s.Take(ctx, fmt.Sprint("old-", i), "dead worker", time.Second); err != nil {
				t.Fatal(err)
			}
		}
		now = now.Add(2 * time.Hour)
		if _, err := s.Take(ctx, "live", "worker", 10*time.Second); err != nil {
			t.Fatal(err)
		}
		n, err := s.ExpireBefore(ctx, now.Add(-time.Hour), 2)
		if err != nil || n != 5 {
			t.Fatalf("expired %d (%v), want 5", n, err)
		}
		var left []string
		if err := db.Model(&jobRun{}).Order("job").Pluck("job", &left).Error; err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(left) != "[live]" {
			t.Fatalf("left %v, want [live]", left)
		}
	})
}
