package pushsend

import (
	"context"
	"net/http"
	"strings"

	webpush "github.com/SherClockHolmes/webpush-go"
)

// Sizes of the aes128gcm content coding as webpush-go writes it (RFC 8291 §4).
const (
	headerLen    = 16 + 4 + 1 + 65 // salt, rs, idlen, sender's P-256 key
	tagLen       = 16              // AES-GCM tag
	delimiterLen = 1               // 0x02 ends the last record's padding
)

// MaxPlaintext is the largest payload that fits one 4096-byte record: 3993.
func MaxPlaintext() int {
	return int(webpush.MaxRecordSize) - headerLen - tagLen - delimiterLen
}

// recordSize is the smallest webpush-go RecordSize that holds n plaintext
// bytes. webpush-go pads the payload plus delimiter up to RecordSize-16
// minus the header length, so a tighter size means no padding: the body is
// n+103 bytes instead of 4096.
func recordSize(n int) uint32 {
	return uint32(n + headerLen + tagLen + delimiterLen)
}

// webpushSubscriber is the Subscriber to hand webpush-go, which prefixes
// "mailto:" to anything not starting with "https:".
func webpushSubscriber(subject string) string {
	return strings.TrimPrefix(subject, "mailto:")
}

// authClient is the webpush.HTTPClient Send passes: it swaps in Herald's
// cached VAPID header and posts through the shared client.
type authClient struct {
	client        *http.Client
	authorization string
	rules         Rules
	m             *Message
	called        bool // the request was built, so any error is the transport's
}

func (c *authClient) Do(req *http.Request) (*http.Response, error) {
	c.called = true
	req.Header.Set("Authorization", c.authorization)
	c.rules.setHeaders(req.Header, c.m)
	return c.client.Do(req)
}

// post encrypts m and posts it. It reports whether the request reached the
// HTTP client, so that errors before it (bad subscription keys) are told
// apart from transport errors.
func post(ctx context.Context, client *http.Client, k *keyEntry, subscriber, authorization string, rules Rules, m *Message) (*http.Response, bool, error) {
	// webpush-go appends the delimiter and padding to the slice it is given:
	// hand it a private copy with room for exactly the delimiter, so the
	// caller's shared slice is never written and nothing is regrown.
	plain := make([]byte, len(m.Payload), len(m.Payload)+delimiterLen)
	copy(plain, m.Payload)

	ac := &authClient{client: client, authorization: authorization, rules: rules, m: m}
	sub := &webpush.Subscription{Endpoint: m.Endpoint, Keys: webpush.Keys{P256dh: m.P256dh, Auth: m.Auth}}
	resp, err := webpush.SendNotificationWithContext(ctx, plain, sub, options(ac, k, subscriber, m))
	return resp, ac.called, err
}

// options are webpush-go's settings for m. It still signs a token of its own
// with the VAPID key (which authClient discards): its API has no way out.
func options(hc webpush.HTTPClient, k *keyEntry, subscriber string, m *Message) *webpush.Options {
	return &webpush.Options{
		HTTPClient:      hc,
		RecordSize:      recordSize(len(m.Payload)),
		Subscriber:      subscriber,
		Topic:           m.Topic,
		TTL:             m.TTL,
		Urgency:         webpush.Urgency(m.Urgency),
		VAPIDPublicKey:  k.public,
		VAPIDPrivateKey: k.private,
	}
}
