package opsstats

import (
	"context"
	"time"
)

// progressWindow bounds how far back in-progress notifications are looked
// for.
const progressWindow = 7 * 24 * time.Hour

// maxProgress caps the notifications in progress listed at once.
const maxProgress = 50

// ProgressCounts are a notification's delivery counts.
type ProgressCounts struct {
	Targeted  int64
	Delivered int64
	Gone      int64
	Dead      int64
	Capped    int64
	Pending   int64
}

// Progress is a notification in progress.
type Progress struct {
	ID        string
	AppID     string
	Status    string
	Counts    ProgressCounts
	CreatedAt time.Time
}

// InProgress returns the newest queued or sending notifications of appID
// (every app when appID is ""), cached like the queue figures.
func (s *Source) InProgress(ctx context.Context, appID string) ([]Progress, error) {
	s.mu.Lock()
	c, ok := s.progress[appID]
	if !ok {
		c = newCached(s.queueTTL, func(ctx context.Context) ([]Progress, error) { return s.loadProgress(ctx, appID) })
		s.progress[appID] = c
	}
	s.mu.Unlock()
	p, _, err := c.get(ctx)
	return p, err
}

func (s *Source) loadProgress(ctx context.Context, appID string) ([]Progress, error) {
	rows, err := s.notifications.InProgress(ctx, appID, time.Now().Add(-progressWindow), maxProgress)
	if err != nil {
		return nil, err
	}
	out := make([]Progress, 0, len(rows))
	for _, r := range rows {
		p := Progress{ID: r.ID, Status: string(r.Status), CreatedAt: r.CreatedAt.UTC(), Counts: ProgressCounts{
			Targeted: r.Targeted, Delivered: r.Delivered, Gone: r.Gone, Dead: r.Dead, Capped: r.Capped, Pending: max(0, r.Pending()),
		}}
		if appID == "" {
			p.AppID = r.AppID
		}
		out = append(out, p)
	}
	return out, nil
}
