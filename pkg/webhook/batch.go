package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/heraldpush/herald/pkg/database"
)

// MaxBatch is the most engagement events one request carries, unless
// DispatcherConfig.BatchSize says fewer.
const MaxBatch = 1000

// batchEndpoints is how many endpoints one transaction batches for.
const batchEndpoints = 20

// BatchData is the data of a batched event type: the events in the order
// they were counted.
type BatchData struct {
	Count  int               `json:"count"`
	Events []json.RawMessage `json:"events"`
}

// batch turns waiting engagement events into messages: for each endpoint
// due, one message with up to MaxBatch events of the oldest waiting type,
// then the endpoint waits BatchEvery before its next. So an endpoint gets
// at most one engagement request a second however many clicks come.
func (d *Dispatcher) batch(ctx context.Context) error {
	for {
		var done int
		err := d.db.InTx(ctx, func(tx *database.DB) error {
			var err error
			done, err = d.store.WithTx(tx).batchDue(ctx, d.cfg.BatchEvery, d.cfg.BatchSize)
			return err
		})
		if err != nil || done < batchEndpoints {
			return err
		}
	}
}

// batchDue makes the batches of up to batchEndpoints endpoints due and
// returns how many it looked at.
func (s *Store) batchDue(ctx context.Context, every time.Duration, size int) (int, error) {
	now := s.now()
	lock := ""
	if s.db.Dialect == database.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var endpoints []Endpoint
	err := s.db.WithContext(ctx).Raw(`SELECT * FROM webhook_endpoints
		WHERE (next_batch_at IS NULL OR next_batch_at <= ?) AND id IN (SELECT endpoint_id FROM webhook_events)
		ORDER BY next_batch_at LIMIT ?`+lock, now, batchEndpoints).Scan(&endpoints).Error
	if err != nil {
		return 0, fmt.Errorf("endpoints due a batch: %w", err)
	}
	for i := range endpoints {
		if err := s.batchOne(ctx, &endpoints[i], size); err != nil {
			return 0, err
		}
	}
	if len(endpoints) > 0 {
		ids := make([]string, len(endpoints))
		for i, e := range endpoints {
			ids[i] = e.ID
		}
		next := now.Add(every)
		if err := s.db.WithContext(ctx).Model(&Endpoint{}).Where("id IN ?", ids).Update("next_batch_at", next).Error; err != nil {
			return 0, fmt.Errorf("schedule webhook batches: %w", err)
		}
	}
	return len(endpoints), nil
}

// batchOne makes one message of the endpoint's oldest waiting events of
// one type and drops them from the waiting list. A disabled endpoint's
// waiting events are dropped.
func (s *Store) batchOne(ctx context.Context, e *Endpoint, size int) error {
	db := s.db.WithContext(ctx)
	if e.Disabled {
		return db.Where("endpoint_id = ?", e.ID).Delete(&pendingEvent{}).Error
	}
	var oldest pendingEvent
	if err := db.Where("endpoint_id = ?", e.ID).Order("id").Limit(1).Take(&oldest).Error; err != nil {
		return fmt.Errorf("oldest webhook event: %w", err)
	}
	var rows []pendingEvent
	if err := db.Where("endpoint_id = ? AND event_type = ?", e.ID, oldest.EventType).Order("id").Limit(size).Find(&rows).Error; err != nil {
		return fmt.Errorf("webhook events: %w", err)
	}
	data := BatchData{Count: len(rows), Events: make([]json.RawMessage, len(rows))}
	ids := make([]string, len(rows))
	for i, r := range rows {
		data.Events[i], ids[i] = json.RawMessage(r.Data), r.ID
	}
	m, err := s.newMessage(e, oldest.EventType, data, s.now())
	if err != nil {
		return err
	}
	if err := db.Create(&m).Error; err != nil {
		return fmt.Errorf("queue webhook batch: %w", err)
	}
	if err := db.Where("id IN ?", ids).Delete(&pendingEvent{}).Error; err != nil {
		return fmt.Errorf("drop batched webhook events: %w", err)
	}
	return nil
}
