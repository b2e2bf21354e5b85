package notification

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/heraldpush/herald/pkg/fault"
)

// payload is the JSON object the service worker decrypts: the content as
// sent plus notification_id and event_token, so the service worker can
// report receipt, clicks and dismissals in a way nobody can forge.
type payload struct {
	NotificationID string `json:"notification_id"`
	EventToken     string `json:"event_token,omitempty"`
	contentJSON
}

// EventTokens signs the token a payload carries for engagement events
// (pkg/engagement). The token binds the notification id.
type EventTokens interface {
	Token(ctx context.Context, notificationID string) (string, error)
}

// buildPayload encodes the payload and refuses one that cannot fit a single
// 4096-byte encrypted record.
func (s *Service) buildPayload(ctx context.Context, id string, c Content) ([]byte, error) {
	p := payload{NotificationID: id, contentJSON: c.toJSON()}
	if s.tok != nil {
		tok, err := s.tok.Token(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("sign event token: %w", err)
		}
		p.EventToken = tok
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode payload: %w", err)
	}
	if len(b) > MaxPayloadBytes {
		return nil, fault.TooLarge("payload_too_large",
			"the notification encodes to %d bytes of JSON; an encrypted push record holds at most 4096 bytes, which leaves %d bytes for the JSON",
			len(b), MaxPayloadBytes)
	}
	return b, nil
}
