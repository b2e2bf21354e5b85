package pushsend

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
)

// postOwn encrypts m with encryptPayload and posts it with the headers
// webpush-go sets. Like post, it reports false only when the subscription's
// keys are unusable. With m.Turn set, encryption waits for a turn (see
// Turns).
func postOwn(ctx context.Context, client *http.Client, authorization string, rules Rules, m *Message) (*http.Response, bool, error) {
	if m.Turn != nil {
		if err := m.Turn.Take(ctx); err != nil {
			return nil, true, err // not the keys' fault: retried
		}
	}
	body, err := encryptPayload(m.Payload, m.P256dh, m.Auth)
	if m.Turn != nil {
		m.Turn.Give()
	}
	if err != nil {
		return nil, false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.Endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	h := req.Header
	h["Content-Encoding"] = []string{"aes128gcm"}
	h["Content-Type"] = []string{"application/octet-stream"}
	h["Ttl"] = []string{strconv.Itoa(m.TTL)}
	h["Authorization"] = []string{authorization}
	if m.Topic != "" {
		h["Topic"] = []string{m.Topic}
	}
	if m.Urgency != "" {
		h["Urgency"] = []string{m.Urgency}
	}
	rules.setHeaders(h, m)
	resp, err := client.Do(req)
	return resp, true, err
}
