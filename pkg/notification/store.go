package notification

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/fault"
)

var (
	// ErrNotFound is returned for an unknown notification id (or another app's).
	ErrNotFound = fault.NotFound("notification_not_found", "no notification with this id")
	// ErrAlreadyCompleted refuses to cancel a finished notification.
	ErrAlreadyCompleted = fault.Conflict("notification_completed", "the notification has already been sent to everyone")
)

// Store owns the notifications and notification_counts tables: every read
// and every move of the state machine goes through it.
type Store struct {
	db  *database.DB
	now func() time.Time
}

// NewStore returns a Store over db.
func NewStore(db *database.DB) *Store {
	return &Store{db: db, now: func() time.Time { return time.Now().UTC() }}
}

// WithTx returns the Store working inside tx (see database.DB.InTx).
func (s *Store) WithTx(tx *database.DB) *Store { return &Store{db: tx, now: s.now} }

// Insert stores a new notification.
func (s *Store) Insert(ctx context.Context, n *Notification) error {
	if err := s.db.WithContext(ctx).Create(n).Error; err != nil {
		return fmt.Errorf("store notification: %w", err)
	}
	return nil
}

// Load returns the notification with id, of any app, without its counts.
func (s *Store) Load(ctx context.Context, id string) (*Notification, error) {
	var n Notification
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&n).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load notification: %w", err)
	}
	return &n, nil
}

// Get returns one of the app's notifications with its counts.
func (s *Store) Get(ctx context.Context, appID, id string) (*Notification, error) {
	return s.take(ctx, "id = ? AND app_id = ?", id, appID)
}

// ByIdempotencyKey returns the app's notification made with key.
func (s *Store) ByIdempotencyKey(ctx context.Context, appID, key string) (*Notification, error) {
	return s.take(ctx, "app_id = ? AND idempotency_key = ?", appID, key)
}

// ForgetIdempotencyKey releases the key of a notification made with it,
// so that the key makes a new notification.
func (s *Store) ForgetIdempotencyKey(ctx context.Context, id string) error {
	err := s.db.WithContext(ctx).Model(&Notification{}).Where("id = ?", id).Update("idempotency_key", nil).Error
	if err != nil {
		return fmt.Errorf("forget idempotency key: %w", err)
	}
	return nil
}

// take loads the one notification matching the condition, with its counts.
func (s *Store) take(ctx context.Context, cond string, args ...any) (*Notification, error) {
	var n Notification
	err := s.db.WithContext(ctx).Where(cond, args...).Take(&n).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load notification: %w", err)
	}
	if err := s.LoadCounts(ctx, &n); err != nil {
		return nil, err
	}
	return &n, nil
}

// MarkEnqueued records that the notification's fan-out reached the queue.
func (s *Store) MarkEnqueued(ctx context.Context, id string, at time.Time) error {
	if err := s.db.WithContext(ctx).Model(&Notification{}).Where("id = ?", id).
		Update("enqueued_at", at).Error; err != nil {
		return fmt.Errorf("record enqueued_at: %w", err)
	}
	return nil
}

// Status returns the notification's status.
func (s *Store) Status(ctx context.Context, id string) (Status, error) {
	var st []Status
	if err := s.db.WithContext(ctx).Model(&Notification{}).Where("id = ?", id).Limit(1).Pluck("status", &st).Error; err != nil {
		return "", fmt.Errorf("notification status: %w", err)
	}
	if len(st) == 0 {
		return "", ErrNotFound
	}
	return st[0], nil
}

// FanoutStep is one page of a fan-out: the batches numbered after FromSeq up
// to ToSeq were queued, Added subscriptions up to Cursor.
type FanoutStep struct {
	ID             string
	FromSeq, ToSeq int
	Cursor         string
	Added          int
	Last           bool // the audience ends here
	// NextZone: this zone's audience ends here and the next zone's starts
	// from the beginning (a local-time notification, zones.go).
	NextZone bool
}

// AdvanceFanout moves the fan-out cursor by one page, in one update: it
// marks the notification sending on the first page and the fan-out done on
// the last. It refuses (false) when another fan-out moved the cursor first,
// the fan-out is done, or the notification was cancelled.
func (s *Store) AdvanceFanout(ctx context.Context, st FanoutStep) (bool, error) {
	cursor, nextZone := st.Cursor, 0
	if st.NextZone {
		cursor, nextZone = "", 1
	}
	res := s.db.WithContext(ctx).Exec(`UPDATE notifications SET fanout_cursor = ?, fanout_seq = ?, targeted = targeted + ?,
		fanout_done = ?, zone_index = zone_index + ?, updated_at = ?, status = CASE WHEN status IN (?, ?) THEN ? ELSE status END
		WHERE id = ? AND fanout_seq = ? AND NOT fanout_done AND status <> ?`,
		cursor, st.ToSeq, st.Added, st.Last, nextZone, s.now(), Scheduled, Queued, Sending, st.ID, st.FromSeq, Cancelled)
	if res.Error != nil {
		return false, fmt.Errorf("advance fan-out cursor: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// Cancel stops what has not been sent yet. Workers check the status before
// each batch, so messages already in flight still go out.
func (s *Store) Cancel(ctx context.Context, appID, id string) (*Notification, error) {
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

// CancelByKey cancels the app's unfinished notifications made with key.
func (s *Store) CancelByKey(ctx context.Context, appID, key string) (int64, error) {
	res := s.db.WithContext(ctx).Model(&Notification{}).
		Where("app_id = ? AND cancel_key = ? AND status IN ?", appID, key, []Status{Scheduled, Queued, Sending}).
		Updates(map[string]any{"status": Cancelled, "updated_at": s.now()})
	if res.Error != nil {
		return 0, fmt.Errorf("cancel notifications by key: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// Reopen makes a completed notification sending again, for an outcome
// taken back (a dead letter sent again); other statuses stay.
func (s *Store) Reopen(ctx context.Context, id string) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE notifications SET updated_at = ?, completed_at = NULL,
		status = CASE WHEN status = ? THEN ? ELSE status END WHERE id = ?`, s.now(), Completed, Sending, id).Error
	if err != nil {
		return fmt.Errorf("reopen notification: %w", err)
	}
	return nil
}
