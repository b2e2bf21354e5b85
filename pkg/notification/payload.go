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
	AppBadge       *int   `json:"app_badge,omitempty"`
	ClickReport    string `json:"click_report,omitempty"`
	ContentJSON
}

// EventTokens signs the token a payload carries for engagement events
// (pkg/engagement). The token binds the notification id.
type EventTokens interface {
	Token(ctx context.Context, notificationID string) (string, error)
}

// payloads are what a notification's subscriptions decrypt: main for every
// push service, declarative (format auto) for Apple's instead.
type payloads struct {
	main, declarative []byte
}

// buildPayloads encodes the payloads format f calls for and refuses any
// that cannot fit a single 4096-byte encrypted record: the size checked is
// the size of what is encrypted.
func (s *Service) buildPayloads(ctx context.Context, id string, req Request, f Format) (payloads, error) {
	var token string
	if s.tok != nil {
		var err error
		if token, err = s.tok.Token(ctx, id); err != nil {
			return payloads{}, fmt.Errorf("sign event token: %w", err)
		}
	}
	content, clickReport, err := s.trackClicks(ctx, id, token, req.Notification, req.App.ClickTracking, req.App.Origin)
	if err != nil {
		return payloads{}, err
	}
	var out payloads
	if f != FormatDeclarative {
		b, err := encodePayload(payload{NotificationID: id, EventToken: token, AppBadge: req.AppBadge, ClickReport: clickReport,
			ContentJSON: content.JSON()}, "its payload")
		if err != nil {
			return payloads{}, err
		}
		out.main = b
	}
	if f != FormatStandard {
		d, err := declarative(id, token, content, req.AppBadge, req.App.Origin)
		d.ClickReport = clickReport
		if f == FormatAuto && err == ErrNoNavigate {
			// Nowhere for Safari to go: Apple's subscriptions get the
			// standard payload, which the service worker shows.
			return out, nil
		}
		if err != nil {
			return payloads{}, err
		}
		b, err := encodePayload(d, "its Declarative Web Push payload")
		if err != nil {
			return payloads{}, err
		}
		if f == FormatDeclarative {
			out.main = b
		} else {
			out.declarative = b
		}
	}
	return out, nil
}

func encodePayload(v any, which string) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode payload: %w", err)
	}
	if len(b) > MaxPayloadBytes {
		return nil, fault.TooLarge("payload_too_large",
			"the notification encodes to %d bytes of JSON in %s; an encrypted push record holds at most 4096 bytes, which leaves %d bytes for the JSON",
			len(b), which, MaxPayloadBytes)
	}
	return b, nil
}
