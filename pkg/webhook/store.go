package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/listing"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/pushendpoint"
)

// MaxEndpoints bounds an app's webhook endpoints: each event is one
// request per endpoint.
const MaxEndpoints = 20

// RetryWindow is how long a message is tried before it is recorded failed.
const RetryWindow = 24 * time.Hour

// ExtraOriginsEnv is the setting that lets webhooks reach origins the SSRF
// guard refuses; refusals name it.
const ExtraOriginsEnv = "HERALD_WEBHOOK_EXTRA_ORIGINS"

// Store owns the webhook tables.
type Store struct {
	db     *database.DB
	sealer sealer
	urls   *pushendpoint.Policy // which URLs endpoints may have
	now    func() time.Time
}

// NewStore returns a Store over db sealing secrets with key and accepting
// the URLs urls allows (pushendpoint.Policy.CheckOutbound).
func NewStore(db *database.DB, key masterkey.Key, urls *pushendpoint.Policy) *Store {
	return &Store{db: db, sealer: sealer{key}, urls: urls, now: func() time.Time { return time.Now().UTC() }}
}

// WithTx returns the Store working inside tx (see database.DB.InTx).
func (s *Store) WithTx(tx *database.DB) *Store {
	c := *s
	c.db = tx
	return &c
}

// checkURL vets an endpoint URL with the SSRF guard.
func (s *Store) checkURL(raw string) (string, error) {
	u, err := s.urls.CheckOutbound(raw)
	if errors.Is(err, pushendpoint.ErrOutboundNotAllowed) {
		return "", fault.Invalid("webhook_url_not_allowed", "%s (%s)", errors.Unwrap(err), ExtraOriginsEnv)
	}
	if err != nil {
		return "", fault.Invalid("invalid_webhook_url", "%v", err)
	}
	// Stored and requested as url.URL spells it, which percent-encodes
	// what is not ASCII: the limit holds for that spelling.
	stored := u.String()
	if len(stored) > pushendpoint.MaxEndpointLength {
		return "", fault.Invalid("invalid_webhook_url", "url is %d bytes long with its non-ASCII characters percent-encoded; the limit is %d",
			len(stored), pushendpoint.MaxEndpointLength)
	}
	return stored, nil
}

// checkEvents vets and sorts an event list.
func checkEvents(events []string) (string, error) {
	if len(events) == 0 {
		return "", fault.Invalid("invalid_webhook_events", "events must name at least one of %v", EventTypes)
	}
	out := make([]string, 0, len(events))
	for _, e := range events {
		if !slices.Contains(EventTypes, e) {
			return "", fault.Invalid("invalid_webhook_events", "%q is not an event type; they are %v", e, EventTypes)
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	slices.Sort(out)
	b, _ := json.Marshal(out)
	return string(b), nil
}

// Create registers an endpoint and returns it with its secret, which is
// shown only now.
func (s *Store) Create(ctx context.Context, appID, rawURL string, events []string) (*Endpoint, string, error) {
	url, err := s.checkURL(rawURL)
	if err != nil {
		return nil, "", err
	}
	eventsJSON, err := checkEvents(events)
	if err != nil {
		return nil, "", err
	}
	var n int64
	if err := s.db.WithContext(ctx).Model(&Endpoint{}).Where("app_id = ?", appID).Count(&n).Error; err != nil {
		return nil, "", fmt.Errorf("count webhook endpoints: %w", err)
	}
	if n >= MaxEndpoints {
		return nil, "", fault.Conflict("webhook_limit", "the app has %d webhook endpoints, the most it may have; delete one first", n)
	}
	secret, err := newSecret()
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	e := &Endpoint{ID: uuid.Must(uuid.NewV7()).String(), AppID: appID, URL: url, EventsJSON: eventsJSON, CreatedAt: now, UpdatedAt: now}
	if e.SecretSealed, err = s.sealer.seal(e.ID, secret); err != nil {
		return nil, "", err
	}
	if err := s.db.WithContext(ctx).Create(e).Error; err != nil {
		return nil, "", fmt.Errorf("store webhook endpoint: %w", err)
	}
	return e, secret, nil
}

// List returns a page of the app's endpoints, oldest first.
func (s *Store) List(ctx context.Context, appID string, p listing.Page) ([]Endpoint, string, error) {
	q := s.db.WithContext(ctx).Where("app_id = ?", appID)
	return listing.Keyset(q, p, listing.Order{Column: "id", ID: "a webhook endpoint id"}, "webhook endpoints",
		func(e Endpoint) string { return e.ID })
}

// Get returns one of the app's endpoints.
func (s *Store) Get(ctx context.Context, appID, id string) (*Endpoint, error) {
	return database.TakeID[Endpoint](s.db.WithContext(ctx).Where("app_id = ?", appID), id, ErrNotFound, "webhook endpoint")
}

// Patch changes what it names: nil fields stay.
type Patch struct {
	URL    *string
	Events []string // nil: unchanged
	// Enabled true enables a disabled endpoint again (and forgets its
	// failures); false disables it.
	Enabled *bool
	// RotateSecret makes a new secret; the old one keeps signing too for
	// RotationOverlap.
	RotateSecret bool
}

// Update applies p and returns the endpoint and, after a rotation, its
// new secret.
func (s *Store) Update(ctx context.Context, appID, id string, p Patch) (*Endpoint, string, error) {
	e, err := s.Get(ctx, appID, id)
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	if p.URL != nil {
		if e.URL, err = s.checkURL(*p.URL); err != nil {
			return nil, "", err
		}
	}
	if p.Events != nil {
		if e.EventsJSON, err = checkEvents(p.Events); err != nil {
			return nil, "", err
		}
	}
	if p.Enabled != nil {
		e.Disabled = !*p.Enabled
		e.DisabledReason, e.FailingSince = "", nil
		if e.Disabled {
			e.DisabledReason = "disabled through the API"
		}
	}
	var secret string
	if p.RotateSecret {
		if secret, err = newSecret(); err != nil {
			return nil, "", err
		}
		until := now.Add(RotationOverlap)
		e.PreviousSecretSealed, e.PreviousSecretUntil = e.SecretSealed, &until
		if e.SecretSealed, err = s.sealer.seal(e.ID, secret); err != nil {
			return nil, "", err
		}
	}
	e.UpdatedAt = now
	err = s.db.WithContext(ctx).Model(&Endpoint{}).Where("id = ?", e.ID).Updates(map[string]any{
		"url": e.URL, "events": e.EventsJSON, "disabled": e.Disabled, "disabled_reason": e.DisabledReason,
		"failing_since": e.FailingSince, "secret_sealed": e.SecretSealed, "previous_secret_sealed": e.PreviousSecretSealed,
		"previous_secret_until": e.PreviousSecretUntil, "updated_at": now,
	}).Error
	if err != nil {
		return nil, "", fmt.Errorf("update webhook endpoint: %w", err)
	}
	return e, secret, nil
}

// Delete removes an endpoint with its messages and waiting events.
func (s *Store) Delete(ctx context.Context, appID, id string) error {
	e, err := s.Get(ctx, appID, id)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *database.DB) error {
		for _, m := range []any{&Message{}, &pendingEvent{}} {
			if err := tx.WithContext(ctx).Where("endpoint_id = ?", e.ID).Delete(m).Error; err != nil {
				return fmt.Errorf("delete webhook endpoint: %w", err)
			}
		}
		if err := tx.WithContext(ctx).Where("id = ?", e.ID).Delete(&Endpoint{}).Error; err != nil {
			return fmt.Errorf("delete webhook endpoint: %w", err)
		}
		return nil
	})
}

// endpointsWanting returns the app's enabled endpoints receiving type t.
func (s *Store) endpointsWanting(ctx context.Context, appID, t string) ([]Endpoint, error) {
	var all []Endpoint
	if err := s.db.WithContext(ctx).Where("app_id = ? AND NOT disabled", appID).Find(&all).Error; err != nil {
		return nil, fmt.Errorf("load webhook endpoints: %w", err)
	}
	return slices.DeleteFunc(all, func(e Endpoint) bool { return !e.Wants(t) }), nil
}
