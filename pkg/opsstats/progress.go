package opsstats

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldpush/herald/pkg/notification"
)

// progressWindow bounds how far back in-progress notifications are looked
// for. Notification ids are UUIDv7, so the bound is a primary-key range and
// the query never reads old rows.
const progressWindow = 7 * 24 * time.Hour

// maxProgress caps the notifications in progress listed at once.
const maxProgress = 50

// ProgressCounts are a notification's delivery counts.
type ProgressCounts struct {
	Targeted  int64 `json:"targeted"`
	Delivered int64 `json:"delivered"`
	Gone      int64 `json:"gone"`
	Dead      int64 `json:"dead"`
	Pending   int64 `json:"pending"`
}

// Progress is a notification in progress.
type Progress struct {
	ID        string         `json:"id"`
	AppID     string         `json:"app_id,omitempty"`
	Status    string         `json:"status"`
	Counts    ProgressCounts `json:"counts"`
	CreatedAt time.Time      `json:"created_at"`
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
	q := s.db.WithContext(ctx).Model(&notification.Notification{}).
		Select("id, app_id, status, targeted, created_at").
		Where("id >= ? AND status IN ?", uuidFloor(time.Now().Add(-progressWindow)), []string{"queued", "sending"}).
		Order("id DESC").Limit(maxProgress)
	if appID != "" {
		q = q.Where("app_id = ?", appID)
	}
	var rows []*notification.Notification
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("notifications in progress: %w", err)
	}
	if err := notification.LoadCounts(ctx, s.db, rows...); err != nil {
		return nil, err
	}
	out := make([]Progress, 0, len(rows))
	for _, r := range rows {
		p := Progress{ID: r.ID, Status: string(r.Status), CreatedAt: r.CreatedAt.UTC(), Counts: ProgressCounts{
			Targeted: r.Targeted, Delivered: r.Delivered, Gone: r.Gone, Dead: r.Dead, Pending: max(0, r.Pending()),
		}}
		if appID == "" {
			p.AppID = r.AppID
		}
		out = append(out, p)
	}
	return out, nil
}

// uuidFloor is the smallest UUIDv7 of time t.
func uuidFloor(t time.Time) string {
	ms := uint64(t.UnixMilli())
	return fmt.Sprintf("%08x-%04x-7000-8000-000000000000", ms>>16, ms&0xffff)
}
