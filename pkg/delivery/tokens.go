package delivery

import (
	"bytes"
	"context"
	"fmt"
)

// EventTokens makes each message's event token (pkg/engagement): a
// notification's stored payloads carry its own token, which counts
// nothing, and each message carries instead the token of the subscription
// it goes to, so a recipient's reports count once and only for itself.
type EventTokens interface {
	// Recipients returns the token in the stored payloads and a function
	// making a subscription's, of the same length.
	Recipients(ctx context.Context, notificationID string) (placeholder string, recipient func(subscriptionID string) string, err error)
}

// stamper writes a recipient's token over the placeholder in a payload.
// Where the placeholder sits is found once per payload and batch; per
// message it costs one HMAC and one copy.
type stamper struct {
	placeholder string
	recipient   func(subscriptionID string) string
}

// newStamper returns the stamper of notification id, or nil (payloads sent
// as stored) without EventTokens.
func newStamper(ctx context.Context, tokens EventTokens, id string) (*stamper, error) {
	if tokens == nil {
		return nil, nil
	}
	placeholder, recipient, err := tokens.Recipients(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("event tokens: %w", err)
	}
	return &stamper{placeholder: placeholder, recipient: recipient}, nil
}

// stamped is one stored payload and where the placeholder occurs in it (in
// event_token, and in any link that carries the token).
type stamped struct {
	payload []byte
	at      []int
}

func (s *stamper) find(payload []byte) stamped {
	out := stamped{payload: payload}
	if s == nil || s.placeholder == "" {
		return out
	}
	needle := []byte(s.placeholder)
	for from := 0; ; {
		i := bytes.Index(payload[from:], needle)
		if i < 0 {
			return out
		}
		out.at = append(out.at, from+i)
		from += i + len(needle)
	}
}

// body is p's payload for one subscription.
func (s *stamper) body(p stamped, subscriptionID string) []byte {
	if len(p.at) == 0 {
		return p.payload
	}
	token := s.recipient(subscriptionID)
	if len(token) != len(s.placeholder) {
		return p.payload // never: both are fixed-length
	}
	b := bytes.Clone(p.payload)
	for _, i := range p.at {
		copy(b[i:], token)
	}
	return b
}
