package pushsend

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushendpoint"
)

func TestSendDelivers(t *testing.T) {
	e := newEnv(t, true, Config{})
	sub := e.mint(t, "ok")
	payload := []byte(`{"title":"Hello","body":"World"}`)
	m := e.message(sub, payload)
	m.TTL, m.Urgency, m.Topic = 3600, "high", "news-1"

	before := time.Now()
	r := e.sender.Send(context.Background(), m)
	if r.Outcome != Delivered || r.Status != 201 || r.Err != nil {
		t.Fatalf("got %v %d %v, want delivered 201", r.Outcome, r.Status, r.Err)
	}
	if r.Service != pushendpoint.Other || r.Duration <= 0 {
		t.Errorf("service %q duration %s", r.Service, r.Duration)
	}

	ds := e.sim.Deliveries(sub.ID)
	if len(ds) != 1 {
		t.Fatalf("%d deliveries, want 1", len(ds))
	}
	d := ds[0]
	if !bytes.Equal(d.Payload, payload) {
		t.Errorf("decrypted %q, want %q", d.Payload, payload)
	}
	if d.Claims.Sub != testSubject {
		t.Errorf("JWT sub %q, want %q", d.Claims.Sub, testSubject)
	}
	if d.Claims.Aud != e.ts.URL {
		t.Errorf("JWT aud %q, want %q", d.Claims.Aud, e.ts.URL)
	}
	if exp := time.Unix(d.Claims.Exp, 0); !exp.After(before) || exp.Sub(before) > 24*time.Hour {
		t.Errorf("JWT exp %s is not within 24h of %s", exp, before)
	}
	if d.VAPIDKey != e.key.PublicKey() {
		t.Errorf("k = %q, want the subscription's key", d.VAPIDKey)
	}
	if d.TTL != 3600 || d.Urgency != "high" || d.Topic != "news-1" {
		t.Errorf("headers TTL=%d Urgency=%q Topic=%q", d.TTL, d.Urgency, d.Topic)
	}
}

// Workaround 2: no padding to 4096.
func TestSendBodyIsSmall(t *testing.T) {
	e := newEnv(t, true, Config{})
	sub := e.mint(t, "ok")
	payload := []byte(`{"title":"Hi"}`)
	if r := e.sender.Send(context.Background(), e.message(sub, payload)); r.Outcome != Delivered {
		t.Fatalf("got %v: %v", r.Outcome, r.Err)
	}
	n, _ := e.seen.last()
	if want := len(payload) + 103; n != want {
		t.Errorf("wire body %d bytes, want %d (86 header + payload + 1 delimiter + 16 tag)", n, want)
	}
	if n > 200 {
		t.Errorf("wire body %d bytes for a %d-byte payload: padded", n, len(payload))
	}
}

// Workaround 1: Herald's cached token replaces webpush-go's per-call one, and
// its lifetime is honored (webpush-go always signs 12h).
func TestSendUsesCachedToken(t *testing.T) {
	e := newEnv(t, true, Config{TokenTTL: 2 * time.Hour})
	sub := e.mint(t, "ok")
	before := time.Now()
	var auths []string
	for range 3 {
		if r := e.sender.Send(context.Background(), e.message(sub, []byte("x"))); r.Outcome != Delivered {
			t.Fatalf("got %v: %v", r.Outcome, r.Err)
		}
		_, auth := e.seen.last()
		auths = append(auths, auth)
	}
	// webpush-go's ECDSA signatures are randomized: equal headers mean ours.
	if auths[0] != auths[1] || auths[1] != auths[2] {
		t.Fatalf("Authorization differs between sends: not the cached token\n%s\n%s", auths[0], auths[1])
	}
	k, err := e.sender.key(e.key, "")
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := k.signer.Authorization(e.ts.URL, time.Now()); auths[0] != want {
		t.Fatalf("Authorization is not the cached signer's")
	}
	for _, d := range e.sim.Deliveries(sub.ID) {
		if exp := time.Unix(d.Claims.Exp, 0); exp.Sub(before) > 2*time.Hour {
			t.Errorf("exp %s is over the 2h TokenTTL", exp.Sub(before))
		}
	}
}

// Workaround 2 at the limit: one full record works, one byte more is refused
// before anything is sent.
func TestSendPayloadLimits(t *testing.T) {
	if MaxPlaintext() != 3993 {
		t.Fatalf("MaxPlaintext() = %d, want 3993", MaxPlaintext())
	}
	e := newEnv(t, true, Config{})
	sub := e.mint(t, "ok")
	full := bytes.Repeat([]byte("a"), MaxPlaintext())
	if r := e.sender.Send(context.Background(), e.message(sub, full)); r.Outcome != Delivered {
		t.Fatalf("MaxPlaintext() bytes: got %v: %v", r.Outcome, r.Err)
	}
	if n, _ := e.seen.last(); n != 4096 {
		t.Errorf("full record is %d bytes on the wire, want 4096", n)
	}
	if d := e.sim.Deliveries(sub.ID); len(d) != 1 || !bytes.Equal(d[0].Payload, full) {
		t.Fatal("full payload did not decrypt to what was sent")
	}

	r := e.sender.Send(context.Background(), e.message(sub, append(full, 'a')))
	var tooLarge *PayloadTooLargeError
	if r.Outcome != Failed || !errors.As(r.Err, &tooLarge) || tooLarge.Size != 3994 || tooLarge.Max != 3993 {
		t.Fatalf("MaxPlaintext()+1 bytes: got %v %v, want Failed with PayloadTooLargeError", r.Outcome, r.Err)
	}
	if st, _ := e.sim.Subscription(sub.ID); st.Received != 1 {
		t.Errorf("sim received %d requests, want 1 (the oversized one must not be sent)", st.Received)
	}
}
