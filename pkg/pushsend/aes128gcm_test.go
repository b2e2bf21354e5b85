package pushsend

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	webpush "github.com/SherClockHolmes/webpush-go"
)

// Herald's encryption against webpush-go, the reference: for every payload
// size class, the same header layout (record size, key id length), the same
// body length and request headers, and the simulator decrypts both to the
// payload.
func TestOwnEncryptionMatchesWebpushGo(t *testing.T) {
	e := newEnv(t, true, Config{})
	ref, err := NewSender(Config{Subject: testSubject, Endpoints: e.policy, WebpushGo: true})
	if err != nil {
		t.Fatal(err)
	}
	k, err := ref.key(e.key, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{0, 1, 100, MaxPlaintext()} {
		payload := bytes.Repeat([]byte("p"), size)
		sub := e.mint(t, "ok")
		m := e.message(sub, payload)
		m.TTL, m.Urgency, m.Topic = 30, "low", "t1"

		capture := &bodyCapture{}
		plain := append([]byte(nil), payload...)
		if _, err := webpush.SendNotification(plain, &webpush.Subscription{Endpoint: m.Endpoint,
			Keys: webpush.Keys{P256dh: m.P256dh, Auth: m.Auth}}, options(capture, k, ref.subscriber, &m)); !errors.Is(err, errCaptured) {
			t.Fatalf("webpush-go: %v", err)
		}
		own, err := encryptPayload(payload, m.P256dh, m.Auth)
		if err != nil {
			t.Fatal(err)
		}
		want := capture.body
		if len(own) != len(want) || !bytes.Equal(own[16:headerLen-65], want[16:headerLen-65]) {
			t.Fatalf("size %d: own body %d bytes, header %x; webpush-go %d bytes, header %x",
				size, len(own), own[16:headerLen-65], len(want), want[16:headerLen-65])
		}
		ownReq := &bodyCapture{}
		if _, _, err := postOwn(context.Background(), &http.Client{Transport: ownReq}, "vapid t=x, k=y", Rules{}, &m); !errors.Is(err, errCaptured) {
			t.Fatalf("postOwn: %v", err)
		}
		for _, h := range []string{"Content-Encoding", "Content-Type", "TTL", "Topic", "Urgency"} {
			if got, ref := ownReq.header.Get(h), capture.header.Get(h); got != ref {
				t.Errorf("size %d: header %s = %q, webpush-go sends %q", size, h, got, ref)
			}
		}
		for _, s := range []*Sender{e.sender, ref} {
			if r := s.Send(context.Background(), m); r.Outcome != Delivered {
				t.Fatalf("size %d (webpush-go %v): %v %v", size, s.webpushGo, r.Outcome, r.Err)
			}
		}
		ds := e.sim.Deliveries(sub.ID)
		if len(ds) != 2 || !bytes.Equal(ds[0].Payload, payload) || !bytes.Equal(ds[1].Payload, payload) {
			t.Fatalf("size %d: simulator decrypted %d deliveries, not both to the payload", size, len(ds))
		}
	}
}

// Keys webpush-go accepts (standard or URL base64, padded or not) work;
// unusable ones fail before anything is posted.
func TestOwnEncryptionKeys(t *testing.T) {
	e := newEnv(t, true, Config{})
	sub := e.mint(t, "ok")
	m := e.message(sub, []byte("hi"))
	raw, _ := decodeKey(m.P256dh)
	for _, variant := range []string{m.P256dh, m.P256dh + "=", strings.NewReplacer("-", "+", "_", "/").Replace(m.P256dh)} {
		if got, err := decodeKey(variant); err != nil || !bytes.Equal(got, raw) {
			t.Errorf("decodeKey(%q) = %x, %v", variant, got, err)
		}
	}
	for _, bad := range []Message{
		{P256dh: "!!", Auth: m.Auth}, {P256dh: m.P256dh[:20], Auth: m.Auth}, {P256dh: m.P256dh, Auth: "%%"},
	} {
		if _, err := encryptPayload([]byte("x"), bad.P256dh, bad.Auth); err == nil {
			t.Errorf("keys %q/%q accepted", bad.P256dh, bad.Auth)
		}
	}
}

// bodyCapture records one request's body and headers and sends nothing;
// it is both a webpush.HTTPClient and an http.RoundTripper.
type bodyCapture struct {
	body   []byte
	header http.Header
}

func (c *bodyCapture) Do(req *http.Request) (*http.Response, error) { return c.RoundTrip(req) }

func (c *bodyCapture) RoundTrip(req *http.Request) (*http.Response, error) {
	c.body, _ = io.ReadAll(req.Body)
	c.header = req.Header.Clone()
	return nil, errCaptured
}
