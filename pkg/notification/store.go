package notification

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/queue"
)

var (
	// ErrNotFound is returned for an unknown notification id (or another app's).
	ErrNotFound = fault.NotFound("notification_not_found", "no notification with this id")
	// ErrAlreadyCompleted refuses to cancel a finished notification.
	ErrAlreadyCompleted = fault.Conflict("notification_completed", "the notification has already been sent to everyone")
)

// Enqueuer hands a stored notification's fan-out to the job queue.
type Enqueuer interface {
	EnqueueFanout(ctx context.Context, n *Notification) error
}

// Service accepts, reads and cancels notifications.
type Service struct {
	db  *database.DB
	enq Enqueuer
	log *slog.Logger
	tok EventTokens // nil: payloads carry no event token
	now func() time.Time
}

// NewService returns a Service that enqueues through enq.
func NewService(db *database.DB, enq Enqueuer, log *slog.Logger) *Service {
	return &Service{db: db, enq: enq, log: log, now: func() time.Time { return time.Now().UTC() }}
}

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 255

// Create validates and stores a notification, then enqueues its fan-out. The
// row is committed before anything is queued; if Redis is down the
// reconciler enqueues it later. A repeated idempotency key returns the first
// notification (replayed = true) and sends nothing.
func (s *Service) Create(ctx context.Context, appID, idempotencyKey string, req Request) (n *Notification, replayed bool, err error) {
	if len(idempotencyKey) > maxIdempotencyKey {
		return nil, false, fault.Invalid("invalid_idempotency_key", "Idempotency-Key is longer than %d bytes", maxIdempotencyKey)
	}
	if idempotencyKey != "" {
		if existing, err := s.byIdempotencyKey(ctx, appID, idempotencyKey); err == nil {
			return existing, true, nil
		} else if !errors.Is(err, ErrNotFound) {
			return nil, false, err
		}
	}
	kind, values, err := req.validate()
	if err != nil {
		return nil, false, err
	}
	now := s.now()
	n = &Notification{
		ID: uuid.Must(uuid.NewV7()).String(), AppID: appID, Status: Queued, TargetKind: kind,
		TTL: DefaultTTL, Urgency: req.Urgency, Topic: req.Topic, CreatedAt: now, UpdatedAt: now,
	}
	if idempotencyKey != "" {
		n.IdempotencyKey = &idempotencyKey
	}
	if req.TTL != nil {
		n.TTL = *req.TTL
	}
	if req.SendAt != nil && req.SendAt.After(now.Add(time.Second)) {
		at := req.SendAt.UTC()
		n.SendAt, n.Status = &at, Scheduled
	}
	n.Queue = chooseQueue(kind, len(values), req.Urgency)
	valuesJSON, _ := json.Marshal(values)
	contentJSON, _ := json.Marshal(req.Notification)
	n.TargetValues, n.Content = string(valuesJSON), string(contentJSON)
	payload, err := s.buildPayload(ctx, n.ID, req.Notification)
	if err != nil {
		return nil, false, err
	}
	n.Payload = string(payload)

	if err := s.db.WithContext(ctx).Create(n).Error; err != nil {
		// A concurrent request with the same key may have won the race.
		if idempotencyKey != "" {
			if existing, lookupErr := s.byIdempotencyKey(ctx, appID, idempotencyKey); lookupErr == nil {
				return existing, true, nil
			}
		}
		return nil, false, fmt.Errorf("store notification: %w", err)
	}
	s.enqueue(ctx, n)
	return n, false, nil
}

// enqueue hands the fan-out to Redis and records that it did; a failure is
// logged and left to the reconciler, the request still succeeds.
func (s *Service) enqueue(ctx context.Context, n *Notification) {
	if err := s.enq.EnqueueFanout(ctx, n); err != nil {
		s.log.Warn("fan-out not enqueued yet; the reconciler will retry", "notification_id", n.ID, "err", err)
		return
	}
	now := s.now()
	if err := s.db.WithContext(ctx).Model(&Notification{}).Where("id = ?", n.ID).
		Update("enqueued_at", now).Error; err != nil {
		s.log.Warn("record enqueued_at", "notification_id", n.ID, "err", err)
		return
	}
	n.EnqueuedAt = &now
}

// chooseQueue sends urgent notifications to a few recipients through the
// critical queue, broadcasts through bulk, the rest through default.
func chooseQueue(kind string, targets int, urgency string) string {
	switch {
	case urgency == "high" && (kind == TargetUsers || kind == TargetSubscriptions) && targets <= 100:
		return queue.Critical
	case kind == TargetAll || kind == TargetTopics || targets > 1000:
		return queue.Bulk
	}
	return queue.Default
}

func (s *Service) byIdempotencyKey(ctx context.Context, appID, key string) (*Notification, error) {
	return s.take(ctx, "app_id = ? AND idempotency_key = ?", appID, key)
}

// Get returns one of the app's notifications.
func (s *Service) Get(ctx context.Context, appID, id string) (*Notification, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ErrNotFound
	}
	return s.take(ctx, "id = ? AND app_id = ?", id, appID)
}

// take loads the one notification matching the condition, with its counts.
func (s *Service) take(ctx context.Context, cond string, args ...any) (*Notification, error) {
	var n Notification
	err := s.db.WithContext(ctx).Where(cond, args...).Take(&n).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load notification: %w", err)
	}
	if err := LoadCounts(ctx, s.db, &n); err != nil {
		return nil, err
	}
	return &n, nil
}

// Cancel stops what has not been sent yet. Workers check the status before
// each batch, so messages already in flight still go out.
func (s *Service) Cancel(ctx context.Context, appID, id string) (*Notification, error) {
	n, err := s.Get(ctx, appID, id)
	if err != nil {
		return nil, err
	}
	switch n.Status {
	case Completed:
		return nil, ErrAlreadyCompleted
	case Cancelled:
		return n, nil
	}
	res := s.db.WithContext(ctx).Model(&Notification{}).
		Where("id = ? AND status IN ?", id, []Status{Scheduled, Queued, Sending}).
		Updates(map[string]any{"status": Cancelled, "updated_at": s.now()})
	if res.Error != nil {
		return nil, fmt.Errorf("cancel notification: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return s.Cancel(ctx, appID, id) // it changed under us; decide again
	}
	n.Status = Cancelled
	return n, nil
}
