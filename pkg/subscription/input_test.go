package subscription

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/pushendpoint"
)

// browserKeys returns keys as a browser's PushSubscription.toJSON() gives them.
func browserKeys(t testing.TB) (p256dh, auth string) {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := make([]byte, 16)
	rand.Read(a)
	return base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), base64.RawURLEncoding.EncodeToString(a)
}

func policy(t testing.TB) *pushendpoint.Policy {
	p, err := pushendpoint.NewPolicy([]string{"http://127.0.0.1:9999"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateAcceptsBrowserSubscription(t *testing.T) {
	t.Parallel()
	p256dh, auth := browserKeys(t)
	raw, _ := base64.RawURLEncoding.DecodeString(p256dh)
	exp := float64(1900000000000)
	for _, keyForm := range []string{p256dh, base64.StdEncoding.EncodeToString(raw), base64.URLEncoding.EncodeToString(raw), base64.RawStdEncoding.EncodeToString(raw)} {
		v, err := Validate(Input{
			Endpoint: "https://fcm.googleapis.com/fcm/send/abc:def", P256dh: keyForm, Auth: auth,
			ExpirationTime: &exp, UserID: "u-1", Topics: []string{"news", "news", "sale"}, Timezone: "Europe/Paris",
		}, policy(t))
		if err != nil {
			t.Fatalf("key form %q: %v", keyForm, err)
		}
		if v.P256dh != p256dh || v.Auth != auth {
			t.Fatalf("keys not normalized to base64url: %q %q", v.P256dh, v.Auth)
		}
		if len(v.Topics) != 2 || *v.UserID != "u-1" || v.ExpirationTime.UnixMilli() != 1900000000000 {
			t.Fatalf("got %+v", v)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	t.Parallel()
	p256dh, auth := browserKeys(t)
	raw, _ := base64.RawURLEncoding.DecodeString(p256dh)
	offCurve := append([]byte{}, raw...)
	offCurve[64] ^= 1
	b64 := base64.RawURLEncoding.EncodeToString
	fcm := "https://fcm.googleapis.com/fcm/send/x"
	cases := []struct {
		name string
		in   Input
		code string
	}{
		{"no endpoint", Input{P256dh: p256dh, Auth: auth}, "invalid_endpoint"},
		{"http not listed", Input{Endpoint: "http://push.example/x", P256dh: p256dh, Auth: auth}, "endpoint_not_allowed"},
		{"loopback not listed", Input{Endpoint: "https://127.0.0.1/x", P256dh: p256dh, Auth: auth}, "endpoint_not_allowed"},
		{"private not listed", Input{Endpoint: "https://10.0.0.1/x", P256dh: p256dh, Auth: auth}, "endpoint_not_allowed"},
		{"bad base64", Input{Endpoint: fcm, P256dh: "!!!not base64!!!", Auth: auth}, "invalid_p256dh"},
		{"64-byte key", Input{Endpoint: fcm, P256dh: b64(raw[:64]), Auth: auth}, "invalid_p256dh"},
		{"compressed form", Input{Endpoint: fcm, P256dh: b64(append([]byte{2}, raw[1:33]...)), Auth: auth}, "invalid_p256dh"},
		{"off curve", Input{Endpoint: fcm, P256dh: b64(offCurve), Auth: auth}, "invalid_p256dh"},
		{"15-byte auth", Input{Endpoint: fcm, P256dh: p256dh, Auth: b64(make([]byte, 15))}, "invalid_auth"},
		{"long user id", Input{Endpoint: fcm, P256dh: p256dh, Auth: auth, UserID: strings.Repeat("u", MaxUserIDLength+1)}, "invalid_user_id"},
		{"control char user id", Input{Endpoint: fcm, P256dh: p256dh, Auth: auth, UserID: "a\nb"}, "invalid_user_id"},
		{"too many topics", Input{Endpoint: fcm, P256dh: p256dh, Auth: auth, Topics: make([]string, MaxTopics+1)}, "invalid_topics"},
		{"empty topic", Input{Endpoint: fcm, P256dh: p256dh, Auth: auth, Topics: []string{""}}, "invalid_topics"},
		{"long topic", Input{Endpoint: fcm, P256dh: p256dh, Auth: auth, Topics: []string{strings.Repeat("t", MaxTopicLength+1)}}, "invalid_topics"},
		{"bad timezone", Input{Endpoint: fcm, P256dh: p256dh, Auth: auth, Timezone: "Mars/Olympus"}, "invalid_timezone"},
	}
	for _, c := range cases {
		_, err := Validate(c.in, policy(t))
		f, ok := fault.As(err)
		if !ok || f.Code != c.code || f.Kind != fault.KindInvalid {
			t.Errorf("%s: err = %v, want code %s", c.name, err, c.code)
		}
	}
}

func FuzzValidate(f *testing.F) {
	p256dh, auth := browserKeys(f)
	f.Add("https://fcm.googleapis.com/fcm/send/x", p256dh, auth, "u", "t", "plan", "gold")
	f.Add("https://FCM.googleapis.com:0443/fcm/send/X", p256dh, auth, "a\x00b", "a\nb", "", "\xff")
	p := policy(f)
	f.Fuzz(func(t *testing.T, endpoint, p256dh, auth, user, topic, attrKey, attrValue string) {
		v, err := Validate(Input{Endpoint: endpoint, P256dh: p256dh, Auth: auth, UserID: user, Topics: []string{topic},
			Attributes: map[string]string{attrKey: attrValue}}, p)
		if err != nil {
			if _, ok := fault.As(err); !ok {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if raw, _ := base64.RawURLEncoding.DecodeString(v.P256dh); len(raw) != 65 {
			t.Fatalf("accepted %d-byte key", len(raw))
		}
		// One spelling per push URL: stored canonical, and stable.
		if v.Endpoint != pushendpoint.Canonical(endpoint) || pushendpoint.Canonical(v.Endpoint) != v.Endpoint {
			t.Fatalf("endpoint %q stored as %q", endpoint, v.Endpoint)
		}
		if v.Attributes != nil && !json.Valid([]byte(*v.Attributes)) {
			t.Fatalf("attributes stored as %q", *v.Attributes)
		}
	})
}
