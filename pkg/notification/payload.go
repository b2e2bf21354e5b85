package notification

import (
	"encoding/json"
	"fmt"

	"github.com/heraldpush/herald/pkg/fault"
)

// payload is the JSON object the service worker decrypts: the content as
// sent plus notification_id, so the page can report clicks and dismissals.
type payload struct {
	NotificationID string `json:"notification_id"`
	Content
}

// buildPayload encodes the payload and refuses one that cannot fit a single
// 4096-byte encrypted record.
func buildPayload(id string, c Content) ([]byte, error) {
	b, err := json.Marshal(payload{NotificationID: id, Content: c})
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
