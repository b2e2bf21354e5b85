package pushsend

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/vapid"
)

// recordingTransport answers 201 to every push and keeps the requests, so
// the real push services' hosts can be used without a network.
type recordingTransport struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
	}
	rt.mu.Lock()
	rt.reqs = append(rt.reqs, req)
	rt.mu.Unlock()
	return &http.Response{StatusCode: 201, Body: http.NoBody, Header: http.Header{}, Request: req}, nil
}

func (rt *recordingTransport) last() *http.Request {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.reqs[len(rt.reqs)-1]
}

// browserKeys are a subscription's p256dh and auth, as a browser makes them.
func browserKeys(t *testing.T) (p256dh, auth string) {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 16)
	rand.Read(secret)
	return base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), base64.RawURLEncoding.EncodeToString(secret)
}

var serviceEndpoints = map[pushendpoint.Service]string{
	pushendpoint.FCM:     "https://fcm.googleapis.com/fcm/send/abc:def",
	pushendpoint.Mozilla: "https://updates.push.services.mozilla.com/wpush/v2/gAAAAA",
	pushendpoint.Apple:   "https://web.push.apple.com/QGkVuM2",
	pushendpoint.WNS:     "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB",
}

// Each service gets its own TTL cap and headers, on both send paths.
func TestSendAppliesServiceRules(t *testing.T) {
	key, _ := vapid.Generate()
	p256dh, auth := browserKeys(t)
	for _, webpushGo := range []bool{false, true} {
		rt := &recordingTransport{}
		s, err := NewSender(Config{Subject: testSubject, Client: &http.Client{Transport: rt}, WebpushGo: webpushGo})
		if err != nil {
			t.Fatal(err)
		}
		for service, endpoint := range serviceEndpoints {
			for _, tc := range []struct{ ttl, want int }{
				{0, 0}, {3600, 3600}, {MaxTTLAnyService, RulesFor(service).MaxTTL}, {fcmMaxTTL + 1, min(fcmMaxTTL+1, RulesFor(service).MaxTTL)},
			} {
				m := Message{Endpoint: endpoint, P256dh: p256dh, Auth: auth, Key: key, Payload: []byte(`{"title":"x"}`), TTL: tc.ttl}
				r := s.Send(context.Background(), m)
				if r.Outcome != Delivered || r.Service != service {
					t.Fatalf("%s (webpush-go %v): %v %v, service %q", service, webpushGo, r.Outcome, r.Err, r.Service)
				}
				h := rt.last().Header
				if got := h.Get("TTL"); got != strconv.Itoa(tc.want) {
					t.Errorf("%s (webpush-go %v): TTL %d sent as %q, want %d", service, webpushGo, tc.ttl, got, tc.want)
				}
				policy, wnsTTL := h.Get("X-WNS-Cache-Policy"), h.Get("X-WNS-TTL")
				switch {
				case service != pushendpoint.WNS:
					if policy != "" || wnsTTL != "" {
						t.Errorf("%s got WNS headers %q %q", service, policy, wnsTTL)
					}
				case tc.want == 0:
					if policy != "no-cache" || wnsTTL != "" {
						t.Errorf("WNS with TTL 0 (webpush-go %v): cache policy %q, X-WNS-TTL %q; want no-cache and none", webpushGo, policy, wnsTTL)
					}
				default:
					if policy != "cache" || wnsTTL != strconv.Itoa(tc.want) {
						t.Errorf("WNS with TTL %d (webpush-go %v): cache policy %q, X-WNS-TTL %q", tc.want, webpushGo, policy, wnsTTL)
					}
				}
			}
		}
	}
	if RulesFor(pushendpoint.FCM).MaxTTL != 2419200 || RulesFor(pushendpoint.Mozilla).MaxTTL != 2592000 {
		t.Fatalf("FCM keeps 4 weeks and autopush 30 days: %+v %+v", RulesFor(pushendpoint.FCM), RulesFor(pushendpoint.Mozilla))
	}
}

// Topic: at most 32 URL-safe base64 characters, for every service.
func TestSendValidatesTopic(t *testing.T) {
	key, _ := vapid.Generate()
	p256dh, auth := browserKeys(t)
	rt := &recordingTransport{}
	s, _ := NewSender(Config{Subject: testSubject, Client: &http.Client{Transport: rt}})
	for _, topic := range []string{"", "a", strings.Repeat("A", 32), "news_1-2"} {
		if !ValidTopic(topic) {
			t.Errorf("ValidTopic(%q) = false", topic)
		}
	}
	for _, topic := range []string{strings.Repeat("A", 33), "news 1", "news.1", "née", "a+b", "a/b", "a="} {
		if ValidTopic(topic) {
			t.Errorf("ValidTopic(%q) = true", topic)
		}
		for service, endpoint := range serviceEndpoints {
			m := Message{Endpoint: endpoint, P256dh: p256dh, Auth: auth, Key: key, Payload: []byte("x"), Topic: topic}
			if r := s.Send(context.Background(), m); r.Outcome != Failed || !errors.Is(r.Err, ErrInvalidMessage) {
				t.Errorf("%s, topic %q: %v %v, want refused", service, topic, r.Outcome, r.Err)
			}
		}
	}
	if len(rt.reqs) != 0 {
		t.Fatalf("%d requests posted with invalid topics", len(rt.reqs))
	}
}

// A 413 from Mozilla for a body Firefox for Android cannot take says so.
func TestSendExplainsFirefoxAndroidRefusal(t *testing.T) {
	key, _ := vapid.Generate()
	p256dh, auth := browserKeys(t)
	tooLarge := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 413, Body: http.NoBody, Header: http.Header{}, Request: req}, nil
	})
	s, _ := NewSender(Config{Subject: testSubject, Client: &http.Client{Transport: tooLarge}})
	big := []byte(strings.Repeat("x", 3000))
	r := s.Send(context.Background(), Message{Endpoint: serviceEndpoints[pushendpoint.Mozilla], P256dh: p256dh, Auth: auth, Key: key, Payload: big, TTL: 60})
	if r.Outcome != Failed || !errors.Is(r.Err, ErrRejected) || !strings.Contains(r.Err.Error(), "Firefox for Android") {
		t.Fatalf("got %v %v, want a refusal naming Firefox for Android", r.Outcome, r.Err)
	}
	small := s.Send(context.Background(), Message{Endpoint: serviceEndpoints[pushendpoint.Mozilla], P256dh: p256dh, Auth: auth, Key: key, Payload: []byte("x"), TTL: 60})
	fcm := s.Send(context.Background(), Message{Endpoint: serviceEndpoints[pushendpoint.FCM], P256dh: p256dh, Auth: auth, Key: key, Payload: big, TTL: 60})
	for _, res := range []Result{small, fcm} {
		if res.Outcome != Failed || strings.Contains(res.Err.Error(), "Firefox") {
			t.Fatalf("%v %v: a 413 that is not Firefox for Android's limit", res.Outcome, res.Err)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// An app's own VAPID subject (Message.Subject) is the JWT's sub, on both
// send paths; other messages keep the Sender's.
func TestSendSignsWithTheAppSubject(t *testing.T) {
	for _, webpushGo := range []bool{false, true} {
		e := newEnv(t, true, Config{WebpushGo: webpushGo})
		sub := e.mint(t, "ok")
		own := e.message(sub, []byte("x"))
		own.Subject = "https://shop.example.com/contact"
		for _, m := range []Message{own, e.message(sub, []byte("y")), own} {
			if r := e.sender.Send(context.Background(), m); r.Outcome != Delivered {
				t.Fatalf("webpush-go %v: %v %v", webpushGo, r.Outcome, r.Err)
			}
		}
		got := []string{}
		for _, d := range e.sim.Deliveries(sub.ID) {
			got = append(got, d.Claims.Sub)
		}
		want := []string{own.Subject, testSubject, own.Subject}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("webpush-go %v: JWT subs %v, want %v", webpushGo, got, want)
		}
	}
}
