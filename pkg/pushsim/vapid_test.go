package pushsim

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPushRejections sends hand-built requests that each break one rule.
func TestPushRejections(t *testing.T) {
	clock := newFakeClock()
	srv, ts := startSim(t, Config{KeepPayloads: true, Now: clock.Now})
	key := newVAPIDKey(t)
	other := newVAPIDKey(t)
	now := clock.Now()

	withClaims := func(mutate func(map[string]any)) func(*testing.T, Subscription, pushReq) pushReq {
		return func(t *testing.T, _ Subscription, p pushReq) pushReq {
			c := goodClaims(ts.URL, now)
			mutate(c)
			p.auth = "vapid t=" + signJWT(t, key.priv, es256Header, c) + ", k=" + key.k
			return p
		}
	}
	cases := []struct {
		name   string
		edit   func(*testing.T, Subscription, pushReq) pushReq
		status int
		reason string
	}{
		{"wrong aud", withClaims(func(c map[string]any) { c["aud"] = "https://push.example.net" }), 401, "wrong_aud"},
		{"aud with trailing slash", withClaims(func(c map[string]any) { c["aud"] = ts.URL + "/" }), 401, "wrong_aud"},
		{"expired", withClaims(func(c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() }), 401, "expired"},
		{"exp beyond 24h", withClaims(func(c map[string]any) { c["exp"] = now.Add(25 * time.Hour).Unix() }), 401, "exp_too_far"},
		{"missing exp", withClaims(func(c map[string]any) { delete(c, "exp") }), 401, "missing_exp"},
		{"missing sub", withClaims(func(c map[string]any) { delete(c, "sub") }), 401, "bad_sub"},
		{"mailto:mailto: sub", withClaims(func(c map[string]any) { c["sub"] = "mailto:mailto:ops@example.com" }), 401, "bad_sub"},
		{"http sub", withClaims(func(c map[string]any) { c["sub"] = "http://example.com" }), 401, "bad_sub"},
		{"bare address sub", withClaims(func(c map[string]any) { c["sub"] = "ops@example.com" }), 401, "bad_sub"},
		{"bad signature", func(t *testing.T, _ Subscription, p pushReq) pushReq {
			// Signed by another key but claims k.
			p.auth = "vapid t=" + signJWT(t, other.priv, es256Header, goodClaims(ts.URL, now)) + ", k=" + key.k
			return p
		}, 401, "bad_signature"},
		{"tampered claims", func(t *testing.T, _ Subscription, p pushReq) pushReq {
			parts := strings.Split(signJWT(t, key.priv, es256Header, goodClaims(ts.URL, now)), ".")
			forged := strings.Split(signJWT(t, key.priv, es256Header, goodClaims("https://evil.example", now)), ".")
			p.auth = "vapid t=" + parts[0] + "." + forged[1] + "." + parts[2] + ", k=" + key.k
			return p
		}, 401, "bad_signature"},
		{"alg HS256", func(t *testing.T, _ Subscription, p pushReq) pushReq {
			p.auth = "vapid t=" + signJWT(t, key.priv, map[string]string{"alg": "HS256"}, goodClaims(ts.URL, now)) + ", k=" + key.k
			return p
		}, 401, "bad_alg"},
		{"no Authorization", func(_ *testing.T, _ Subscription, p pushReq) pushReq { p.auth = ""; return p }, 401, "missing_authorization"},
		{"bearer scheme", func(_ *testing.T, _ Subscription, p pushReq) pushReq { p.auth = "Bearer abc"; return p }, 401, "malformed_authorization"},
		{"k missing", func(_ *testing.T, _ Subscription, p pushReq) pushReq {
			p.auth = p.auth[:strings.Index(p.auth, ", k=")]
			return p
		}, 401, "malformed_authorization"},
		{"k not a point", func(_ *testing.T, _ Subscription, p pushReq) pushReq {
			p.auth = p.auth[:strings.Index(p.auth, ", k=")] + ", k=" + strings.Repeat("A", 87)
			return p
		}, 401, "malformed_authorization"},
		{"jwt garbage", func(_ *testing.T, _ Subscription, p pushReq) pushReq {
			p.auth = "vapid t=abc.def, k=" + key.k
			return p
		}, 401, "malformed_jwt"},
		{"missing TTL", func(_ *testing.T, _ Subscription, p pushReq) pushReq { p.ttl = ""; return p }, 400, "bad_ttl"},
		{"negative TTL", func(_ *testing.T, _ Subscription, p pushReq) pushReq { p.ttl = "-1"; return p }, 400, "bad_ttl"},
		{"non-integer TTL", func(_ *testing.T, _ Subscription, p pushReq) pushReq { p.ttl = "1.5"; return p }, 400, "bad_ttl"},
		{"aesgcm encoding", func(_ *testing.T, _ Subscription, p pushReq) pushReq { p.encoding = "aesgcm"; return p }, 415, "bad_content_encoding"},
		{"no encoding", func(_ *testing.T, _ Subscription, p pushReq) pushReq { p.encoding = ""; return p }, 415, "bad_content_encoding"},
		{"bad urgency", func(_ *testing.T, _ Subscription, p pushReq) pushReq {
			p.headers = map[string]string{"Urgency": "urgent"}
			return p
		}, 400, "bad_urgency"},
		{"topic too long", func(_ *testing.T, _ Subscription, p pushReq) pushReq {
			p.headers = map[string]string{"Topic": strings.Repeat("a", 33)}
			return p
		}, 400, "bad_topic"},
		{"topic not base64url", func(_ *testing.T, _ Subscription, p pushReq) pushReq {
			p.headers = map[string]string{"Topic": "a+b"}
			return p
		}, 400, "bad_topic"},
		{"body over 4096", func(_ *testing.T, _ Subscription, p pushReq) pushReq {
			p.body = append(p.body, make([]byte, 4097-len(p.body))...)
			return p
		}, 413, "payload_too_large"},
		{"encrypted for another subscription", func(t *testing.T, _ Subscription, p pushReq) pushReq {
			p.body = encryptForTest(t, mint(t, srv, "ok"), []byte("hello"), 4096)
			return p
		}, 400, "decrypt_failed"},
		{"corrupted body", func(_ *testing.T, _ Subscription, p pushReq) pushReq {
			p.body = bytes.Clone(p.body)
			p.body[len(p.body)-1] ^= 0xff
			return p
		}, 400, "decrypt_failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetStats()
			sub := mint(t, srv, "ok")
			resp := send(t, sub.Endpoint, tc.edit(t, sub, validPush(t, sub, key, ts.URL, now, "hello")))
			wantStatus(t, resp, tc.status)
			st := srv.Stats()
			if st.Rejected[tc.reason] != 1 || st.RejectedTotal != 1 || st.Delivered != 0 {
				t.Fatalf("rejected %v, delivered %d; want one %s", st.Rejected, st.Delivered, tc.reason)
			}
			state, _ := srv.Subscription(sub.ID)
			if len(state.Attempts) != 1 || state.Attempts[0].Reason != tc.reason || state.Attempts[0].Status != tc.status {
				t.Fatalf("attempts %+v", state.Attempts)
			}
			if state.AttemptCount != 0 {
				t.Fatalf("a rejected request counted as behavior attempt %d", state.AttemptCount)
			}
		})
	}
}

func TestPushAcceptsValidVariants(t *testing.T) {
	clock := newFakeClock()
	srv, ts := startSim(t, Config{KeepPayloads: true, Now: clock.Now})
	key := newVAPIDKey(t)
	now := clock.Now()
	sub := mint(t, srv, "ok")

	httpsSub := goodClaims(ts.URL, now)
	httpsSub["sub"] = "https://herald.example/contact"
	jwtOf := func(p pushReq) string {
		return strings.TrimPrefix(p.auth[:strings.Index(p.auth, ", k=")], "vapid t=")
	}
	cases := []struct {
		name    string
		edit    func(pushReq) pushReq
		payload string
	}{
		{"baseline", func(p pushReq) pushReq { return p }, "baseline"},
		{"TTL 0", func(p pushReq) pushReq { p.ttl = "0"; return p }, "TTL 0"},
		{"https sub", func(p pushReq) pushReq {
			p.auth = "vapid t=" + signJWT(t, key.priv, es256Header, httpsSub) + ", k=" + key.k
			return p
		}, "https sub"},
		{"urgency and topic", func(p pushReq) pushReq {
			p.headers = map[string]string{"Urgency": "very-low", "Topic": strings.Repeat("A", 32)}
			return p
		}, "urgency and topic"},
		{"legacy WebPush + Crypto-Key", func(p pushReq) pushReq {
			p.headers = map[string]string{"Crypto-Key": "dh=abc;p256ecdsa=" + key.k}
			p.auth = "WebPush " + jwtOf(p)
			return p
		}, "legacy WebPush + Crypto-Key"},
		{"k before t", func(p pushReq) pushReq { p.auth = "vapid k=" + key.k + ",t=" + jwtOf(p); return p }, "k before t"},
		{"payload-less push", func(p pushReq) pushReq { p.body, p.encoding = nil, ""; return p }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.edit(validPush(t, sub, key, ts.URL, now, tc.name))
			wantStatus(t, send(t, sub.Endpoint, p), http.StatusCreated)
			ds := srv.Deliveries(sub.ID)
			if got := string(ds[len(ds)-1].Payload); got != tc.payload {
				t.Fatalf("payload %q, want %q", got, tc.payload)
			}
		})
	}
}

func TestUnknownSubscription(t *testing.T) {
	srv, ts := startSim(t, Config{})
	wantStatus(t, send(t, ts.URL+"/push/nope", pushReq{ttl: "0"}), http.StatusNotFound)
	if st := srv.Stats(); st.Rejected["unknown_subscription"] != 1 || st.Received != 1 || st.ByStatus[404] != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestTokenCacheRechecksExpiry: a cached, once-valid JWT must still be
// refused after it expires.
func TestTokenCacheRechecksExpiry(t *testing.T) {
	clock := newFakeClock()
	srv, ts := startSim(t, Config{Now: clock.Now})
	key := newVAPIDKey(t)
	sub := mint(t, srv, "ok")
	claims := goodClaims(ts.URL, clock.Now())
	claims["exp"] = clock.Now().Add(time.Hour).Unix()
	jwt := signJWT(t, key.priv, es256Header, claims)
	push := func() *http.Response {
		p := validPush(t, sub, key, ts.URL, clock.Now(), "x")
		p.auth = "vapid t=" + jwt + ", k=" + key.k
		return send(t, sub.Endpoint, p)
	}
	wantStatus(t, push(), http.StatusCreated)
	wantStatus(t, push(), http.StatusCreated)
	clock.Advance(2 * time.Hour)
	wantStatus(t, push(), http.StatusUnauthorized)
	if n := srv.Stats().Rejected["expired"]; n != 1 {
		t.Fatalf("expired = %d", n)
	}
	// Same token with a different k must not hit the cache entry.
	clock.Advance(-2 * time.Hour)
	p := validPush(t, sub, key, ts.URL, clock.Now(), "x")
	p.auth = "vapid t=" + jwt + ", k=" + newVAPIDKey(t).k
	wantStatus(t, send(t, sub.Endpoint, p), http.StatusUnauthorized)
}
