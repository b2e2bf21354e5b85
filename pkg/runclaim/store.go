// Package runclaim keeps the claims on running jobs in the database, where
// a Redis fault cannot take them away.
//
// A job's claim used to live in Redis beside the job. A Sentinel failover
// (or a Cluster master's death, or an AOF restart) drops the last writes
// the old master acknowledged: among them can be asynq's dequeue of a
// batch and the claim the worker took on it. The batch is then pending
// again on the new master with no claim, another worker takes it while the
// first is still sending, and both send the whole batch: a broadcast under
// a failover delivered 500 messages twice. PostgreSQL is already the
// source of truth for what was accepted and recorded; the claim that
// keeps two runs of a job apart belongs there too.
package runclaim

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"github.com/heraldpush/herald/pkg/database"
)

// Store holds the job_runs table: one row per job (its identity, shared by
// a job and the copies made of it) while a run holds it.
type Store struct {
	db  *database.DB
	now func() time.Time
}

// NewStore returns the claims in db.
func NewStore(db *database.DB) *Store { return &Store{db: db, now: time.Now} }

// jobRun is a row of job_runs. Times are the workers' clocks: a skew of
// a second between hosts is small against a claim's ten.
type jobRun struct {
	Job       string `gorm:"primaryKey"`
	Holder    string
	ExpiresAt time.Time
}

func (jobRun) TableName() string { return "job_runs" }

// Take claims job for holder until ttl from now, unless another holder's
// claim on it has not expired; it reports whether holder now holds it.
// One statement: two runs taking the same job at once cannot both win.
func (s *Store) Take(ctx context.Context, job, holder string, ttl time.Duration) (bool, error) {
	now := s.now().UTC()
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "job"}},
		Where:     clause.Where{Exprs: []clause.Expression{clause.Lte{Column: clause.Column{Table: "job_runs", Name: "expires_at"}, Value: now}}},
		DoUpdates: clause.AssignmentColumns([]string{"holder", "expires_at"}),
	}).Create(&jobRun{Job: job, Holder: holder, ExpiresAt: now.Add(ttl)})
	if res.Error != nil {
		return false, fmt.Errorf("claim job %s: %w", job, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// Renew extends holder's claim on job to ttl from now, and reports whether
// holder still held it: false once it expired and another run took it.
func (s *Store) Renew(ctx context.Context, job, holder string, ttl time.Duration) (bool, error) {
	now := s.now().UTC()
	res := s.db.WithContext(ctx).Model(&jobRun{}).Where("job = ? AND holder = ?", job, holder).
		Update("expires_at", now.Add(ttl))
	if res.Error != nil {
		return false, fmt.Errorf("renew claim on job %s: %w", job, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// Release gives holder's claim on job back; another holder's is kept.
func (s *Store) Release(ctx context.Context, job, holder string) error {
	if err := s.db.WithContext(ctx).Where("job = ? AND holder = ?", job, holder).Delete(&jobRun{}).Error; err != nil {
		return fmt.Errorf("release claim on job %s: %w", job, err)
	}
	return nil
}

// Held returns which of jobs are claimed now.
func (s *Store) Held(ctx context.Context, jobs []string) (map[string]bool, error) {
	held := make(map[string]bool, len(jobs))
	if len(jobs) == 0 {
		return held, nil
	}
	var names []string
	err := s.db.WithContext(ctx).Model(&jobRun{}).Where("job IN ? AND expires_at > ?", jobs, s.now().UTC()).
		Pluck("job", &names).Error
	if err != nil {
		return nil, fmt.Errorf("job claims: %w", err)
	}
	for _, n := range names {
		held[n] = true
	}
	return held, nil
}

// ExpireBefore deletes claims that expired before before, batch rows at a
// time, and returns how many. A run that ends gives its claim back; what
// is left is the claim of a worker that died on a job never run again
// (Redis lost it and the reconciler rebuilt the work under other jobs).
func (s *Store) ExpireBefore(ctx context.Context, before time.Time, batch int) (int64, error) {
	return database.DeleteBatches(ctx, batch, func(ctx context.Context, limit int) (int64, error) {
		var jobs []string
		err := s.db.WithContext(ctx).Model(&jobRun{}).Where("expires_at < ?", before).
			Order("expires_at").Limit(limit).Pluck("job", &jobs).Error
		if err != nil || len(jobs) == 0 {
			return 0, wrapExpire(err)
		}
		res := s.db.WithContext(ctx).Where("job IN ? AND expires_at < ?", jobs, before).Delete(&jobRun{})
		return res.RowsAffected, wrapExpire(res.Error)
	})
}

func wrapExpire(err error) error {
	if err != nil {
		return fmt.Errorf("expire job claims: %w", err)
	}
	return nil
}
