package pushsim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestWebPushSocketForwardsEncryptedBodies plays Firefox's side of the push
// WebSocket protocol: hello, register, receive a notification, ack.
func TestWebPushSocketForwardsEncryptedBodies(t *testing.T) {
	srv, ts := startSim(t, Config{KeepPayloads: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, strings.Replace(ts.URL, "http", "ws", 1)+WebPushPath,
		&websocket.DialOptions{Subprotocols: []string{"push-notification"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if resp.Header.Get("Sec-WebSocket-Protocol") != "push-notification" {
		t.Fatalf("subprotocol %q", resp.Header.Get("Sec-WebSocket-Protocol"))
	}
	roundTrip := func(send map[string]any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(send)
		if err := c.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
		return read(ctx, t, c)
	}
	hello := roundTrip(map[string]any{"messageType": "hello", "use_webpush": true, "broadcasts": map[string]any{}})
	if hello["status"] != 200.0 || hello["use_webpush"] != true || hello["uaid"] == "" {
		t.Fatalf("hello reply %v", hello)
	}
	reg := roundTrip(map[string]any{"messageType": "register", "channelID": "chan-1"})
	endpoint, _ := reg["pushEndpoint"].(string)
	if reg["status"] != 200.0 || endpoint != ts.URL+"/wpush/chan-1" {
		t.Fatalf("register reply %v", reg)
	}

	// A push without VAPID is refused; a signed one is forwarded as posted.
	wantStatus(t, send(t, endpoint, pushReq{body: []byte("x"), encoding: "aes128gcm", ttl: "60"}), http.StatusUnauthorized)
	key := newVAPIDKey(t)
	jwt := signJWT(t, key.priv, es256Header, goodClaims(srv.PublicOrigin(), time.Now()))
	body := []byte("opaque encrypted record")
	wantStatus(t, send(t, endpoint, pushReq{body: body, encoding: "aes128gcm", ttl: "60", auth: "vapid t=" + jwt + ", k=" + key.k}), http.StatusCreated)
	note := read(ctx, t, c)
	if note["messageType"] != "notification" || note["channelID"] != "chan-1" ||
		note["data"] != base64.RawURLEncoding.EncodeToString(body) ||
		note["headers"].(map[string]any)["encoding"] != "aes128gcm" {
		t.Fatalf("notification %v", note)
	}
	ack, _ := json.Marshal(map[string]any{"messageType": "ack", "updates": []map[string]any{
		{"channelID": "chan-1", "version": note["version"], "code": 100}}})
	if err := c.Write(ctx, websocket.MessageText, ack); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitWebPush(ctx, func(_ []WebPushChannel, m []WebPushMessage) bool {
		return len(m) == 1 && m[0].AckCode == 100
	}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, send(t, ts.URL+"/wpush/unknown", pushReq{body: body, encoding: "aes128gcm"}), http.StatusNotFound)

	// A channel registered with an applicationServerKey takes pushes signed
	// with that key only (a VAPID rotation must not re-sign old channels).
	keyed := roundTrip(map[string]any{"messageType": "register", "channelID": "chan-2", "key": key.k})
	keyedEndpoint, _ := keyed["pushEndpoint"].(string)
	other := newVAPIDKey(t)
	otherJWT := signJWT(t, other.priv, es256Header, goodClaims(srv.PublicOrigin(), time.Now()))
	wantStatus(t, send(t, keyedEndpoint, pushReq{body: body, encoding: "aes128gcm", ttl: "60", auth: "vapid t=" + otherJWT + ", k=" + other.k}), http.StatusForbidden)
	wantStatus(t, send(t, keyedEndpoint, pushReq{body: body, encoding: "aes128gcm", ttl: "60", auth: "vapid t=" + jwt + ", k=" + key.k}), http.StatusCreated)
	if m := srv.WebPushMessages(); len(m) != 2 || m[1].VAPIDKey != key.k {
		t.Fatalf("messages %+v: want the second signed with the channel's key", m)
	}
}

func read(ctx context.Context, t *testing.T, c *websocket.Conn) map[string]any {
	t.Helper()
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// A forgotten browser is disconnected, its endpoints answer 404 and its next
// hello gets a new UAID, which is how Firefox learns that its subscriptions
// are gone.
func TestForgetWebPushBrowser(t *testing.T) {
	srv, ts := startSim(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dial := func() *websocket.Conn {
		c, _, err := websocket.Dial(ctx, strings.Replace(ts.URL, "http", "ws", 1)+WebPushPath,
			&websocket.DialOptions{Subprotocols: []string{"push-notification"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.CloseNow() })
		return c
	}
	roundTrip := func(c *websocket.Conn, send map[string]any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(send)
		if err := c.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
		return read(ctx, t, c)
	}
	c := dial()
	uaid, _ := roundTrip(c, map[string]any{"messageType": "hello", "use_webpush": true})["uaid"].(string)
	endpoint, _ := roundTrip(c, map[string]any{"messageType": "register", "channelID": "chan-1"})["pushEndpoint"].(string)
	if srv.ForgetWebPushBrowser("no-such-browser") {
		t.Fatal("an unknown uaid was forgotten")
	}
	if !srv.ForgetWebPushBrowser(uaid) {
		t.Fatal("the connected browser was not known")
	}
	if _, _, err := c.Read(ctx); err == nil {
		t.Fatal("the connection stayed open")
	}
	key := newVAPIDKey(t)
	jwt := signJWT(t, key.priv, es256Header, goodClaims(srv.PublicOrigin(), time.Now()))
	wantStatus(t, send(t, endpoint, pushReq{body: []byte("x"), encoding: "aes128gcm", ttl: "60", auth: "vapid t=" + jwt + ", k=" + key.k}), http.StatusNotFound)

	c = dial()
	again, _ := roundTrip(c, map[string]any{"messageType": "hello", "uaid": uaid, "use_webpush": true})["uaid"].(string)
	if again == "" || again == uaid {
		t.Fatalf("hello after forgetting answered uaid %q, want a new one (old %q)", again, uaid)
	}
	c2 := dial()
	if same, _ := roundTrip(c2, map[string]any{"messageType": "hello", "uaid": again, "use_webpush": true})["uaid"].(string); same != again {
		t.Fatalf("the new uaid was not kept: %q then %q", again, same)
	}
}
