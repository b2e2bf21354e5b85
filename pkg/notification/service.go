package notification

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/subscription"
)

// Enqueuer hands a stored notification's fan-out to the workers
// (delivery.Enqueuer).
type Enqueuer interface {
	EnqueueFanout(ctx context.Context, n *Notification) error
}

// Service accepts, reads and cancels notifications.
type Service struct {
	store *Store
	enq   Enqueuer
	tok   EventTokens // nil: payloads carry no event token
	log   *slog.Logger
}

// NewService returns a Service that enqueues through enq and signs event
// tokens with tokens (nil: payloads carry none).
func NewService(db *database.DB, enq Enqueuer, tokens EventTokens, log *slog.Logger) *Service {
	return &Service{store: NewStore(db), enq: enq, tok: tokens, log: log}
}

// Create validates and stores a notification, then enqueues its fan-out. The
// row is committed before anything is queued; if Redis is down the
// reconciler enqueues it later. A repeated idempotency key with the same
// request returns the first notification (replayed = true) and sends
// nothing; with another request it is ErrIdempotencyKeyReused.
func (s *Service) Create(ctx context.Context, appID, idempotencyKey string, req Request) (n *Notification, replayed bool, err error) {
	if idempotencyKey != "" && !ValidIdempotencyKey(idempotencyKey) {
		return nil, false, fault.Invalid("invalid_idempotency_key",
			"Idempotency-Key must be 1 to %d printable ASCII characters, like a UUID", MaxIdempotencyKey)
	}
	kind, values, err := req.validate()
	if err != nil {
		return nil, false, err
	}
	var variants []Content
	if req.Variants != nil {
		if variants, err = req.validateVariants(); err != nil {
			return nil, false, err
		}
		req.Notification = variants[0]
	}
	print, err := fingerprint(req)
	if err != nil {
		return nil, false, err
	}
	if idempotencyKey != "" {
		if existing, err := s.replay(ctx, appID, idempotencyKey, print); err != nil || existing != nil {
			return existing, existing != nil, err
		}
	}
	now := s.store.now()
	n = &Notification{
		ID: uuid.Must(uuid.NewV7()).String(), AppID: appID, Status: Queued, TargetKind: kind,
		TTL: DefaultTTL, Urgency: req.Urgency, Topic: req.Topic, Content: req.Notification,
		CreatedAt: now, UpdatedAt: now,
	}
	if idempotencyKey != "" {
		n.IdempotencyKey, n.RequestFingerprint = &idempotencyKey, print
	}
	if req.TTL != nil {
		n.TTL = *req.TTL
	} else if req.App.TTL != nil {
		n.TTL = *req.App.TTL
	}
	if req.SendAt != nil && req.SendAt.After(now.Add(time.Second)) {
		at := req.SendAt.UTC()
		n.SendAt, n.Status = &at, Scheduled
	}
	if n.Personalization, err = checkPersonalization(req.Personalization); err != nil {
		return nil, false, err
	}
	n.Timing = timingOf(req)
	if n.Zoned() {
		// Scheduled until its first zone starts; the first fan-out job,
		// queued now, plans the zones (zones.go).
		n.Status = Scheduled
		plan := ZonePlan{}
		if req.App.Timezone != nil {
			plan.DefaultTimezone = req.App.Timezone.String()
		}
		n.Zones = plan.encode()
	}
	n.Priority = choosePriority(kind, len(values), req.Urgency)
	valuesJSON, _ := json.Marshal(values)
	n.TargetValues = string(valuesJSON)
	n.Format, n.AppBadge = req.format(), req.AppBadge
	built, err := s.buildPayloads(ctx, n.ID, req, n.Format)
	if err != nil {
		return nil, false, err
	}
	n.Payload, n.PayloadDeclarative = string(built.main), string(built.declarative)
	if variants != nil {
		if n.VariantsJSON, err = s.buildVariants(ctx, n.ID, &req, variants); err != nil {
			return nil, false, err
		}
	}

	if err := s.store.Insert(ctx, n); err != nil {
		// A concurrent request with the same key may have won the race.
		if idempotencyKey != "" {
			if existing, lookupErr := s.replay(ctx, appID, idempotencyKey, print); lookupErr != nil || existing != nil {
				return existing, existing != nil, lookupErr
			}
		}
		return nil, false, err
	}
	s.enqueue(ctx, n)
	return n, false, nil
}

// enqueue hands the fan-out to the workers and records that it did; a
// failure is logged and left to the reconciler, the request still succeeds.
func (s *Service) enqueue(ctx context.Context, n *Notification) {
	if err := s.enq.EnqueueFanout(ctx, n); err != nil {
		s.log.Warn("fan-out not enqueued yet; the reconciler will retry", "notification_id", n.ID, "err", err)
		return
	}
	now := s.store.now()
	if err := s.store.MarkEnqueued(ctx, n.ID, now); err != nil {
		s.log.Warn("record enqueued_at", "notification_id", n.ID, "err", err)
		return
	}
	n.EnqueuedAt = &now
}

// choosePriority makes urgent notifications to a few recipients Urgent,
// broadcasts Bulk, the rest Normal.
func choosePriority(kind subscription.AudienceKind, targets int, urgency string) Priority {
	switch {
	case urgency == "high" && (kind == TargetUsers || kind == TargetSubscriptions) && targets <= 100:
		return Urgent
	case kind == TargetAll || kind == TargetTopics || kind == TargetSegment || targets > 1000:
		return Bulk
	}
	return Normal
}

// Get returns one of the app's notifications.
func (s *Service) Get(ctx context.Context, appID, id string) (*Notification, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ErrNotFound
	}
	return s.store.Get(ctx, appID, id)
}

// GetOfAnyApp returns a notification of any app with its counts: the
// operator's view (the dashboard), behind the admin token.
func (s *Service) GetOfAnyApp(ctx context.Context, id string) (*Notification, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ErrNotFound
	}
	return s.store.take(ctx, "id = ?", id)
}

// VariantCounts returns the outcome and engagement counts per variant index of one of
// the app's notifications.
func (s *Service) VariantCounts(ctx context.Context, id string) (map[int]VariantCounts, error) {
	return s.store.VariantCounts(ctx, id)
}

// timingOf is the stored timing of a valid request.
func timingOf(req Request) Timing {
	t := Timing{TimeSensitive: req.TimeSensitive, Category: req.Category, SkipIfPast: req.SkipIfPast,
		ThrottlePerMinute: req.App.ThrottlePerMinute}
	if req.ThrottlePerMinute != nil {
		t.ThrottlePerMinute = *req.ThrottlePerMinute
	}
	if req.CancelKey != "" {
		key := req.CancelKey
		t.CancelKey = &key
	}
	if req.SendAtLocal != "" {
		t.SendAtLocal, _ = ParseLocal(req.SendAtLocal)
	}
	return t
}

// CancelByKey cancels every notification of the app made with cancel key
// that has not been sent to everyone yet (scheduled, queued, or sending:
// waiting for a zone, in quiet hours or behind a throttle) and says how
// many it cancelled. Messages already in flight still go out.
func (s *Service) CancelByKey(ctx context.Context, appID, key string) (int64, error) {
	if key == "" || len(key) > MaxCancelKeyLength || !printableText(key) {
		return 0, fault.Invalid("invalid_cancel_key", "cancel_key must be 1 to %d printable bytes", MaxCancelKeyLength)
	}
	return s.store.CancelByKey(ctx, appID, key)
}

// Cancel stops what has not been sent yet.
func (s *Service) Cancel(ctx context.Context, appID, id string) (*Notification, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ErrNotFound
	}
	return s.store.Cancel(ctx, appID, id)
}
