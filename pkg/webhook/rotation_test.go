package webhook

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// After a rotation both secrets sign for RotationOverlap, so a receiver
// still holding the old one keeps verifying while it switches; after it only
// the new one does. Neither secret is ever kept in clear.
func TestRotatedSecretSignsAlongsideTheOldUntilTheOverlapEnds(t *testing.T) {
	t.Parallel()
	f := setup(t, dbtest.Postgres(t))
	r := newReceiver(t)
	d := f.dispatcher(t, r, time.Hour)
	c := &clock{t: time.Now().UTC()}
	d.now, d.store.now = c.now, c.now
	ctx := context.Background()
	e, oldSecret, err := d.store.Create(ctx, f.appID, r.URL+"/hook", []string{NotificationCompleted})
	if err != nil {
		t.Fatal(err)
	}
	_, newSecret, err := d.store.Update(ctx, f.appID, e.ID, Patch{RotateSecret: true})
	if err != nil || newSecret == "" || newSecret == oldSecret {
		t.Fatalf("rotate: %v (secret %q)", err, newSecret)
	}
	var row string
	if err := f.db.Raw("SELECT row_to_json(w)::text FROM webhook_endpoints w WHERE id = ?", e.ID).Scan(&row).Error; err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{oldSecret, newSecret} {
		raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
		// bytea comes out of row_to_json as \x followed by hex.
		if strings.Contains(row, strings.TrimPrefix(secret, secretPrefix)) || strings.Contains(row, hex.EncodeToString(raw)) || strings.Contains(row, hex.EncodeToString([]byte(secret))) {
			t.Fatalf("the endpoint's row holds a secret in clear: %s", row)
		}
	}
	oldVerifier, _ := standardwebhooks.NewWebhook(oldSecret)
	newVerifier, _ := standardwebhooks.NewWebhook(newSecret)

	// sendTest has one test event delivered and returns the request's index.
	sendTest := func() int {
		t.Helper()
		before := r.count()
		if _, err := d.store.SendTest(ctx, f.appID, e.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.work(t, d); err != nil {
			t.Fatal(err)
		}
		if r.count() != before+1 {
			t.Fatalf("%d requests, want %d", r.count(), before+1)
		}
		return before
	}

	during := sendTest()
	if got := strings.Count(r.requests[during].Header.Get("webhook-signature"), "v1,"); got != 2 {
		t.Errorf("during the overlap %d signatures, want 2", got)
	}
	if err := oldVerifier.Verify(r.bodies[during], r.requests[during].Header); err != nil {
		t.Errorf("during the overlap the old secret does not verify: %v", err)
	}
	if err := newVerifier.Verify(r.bodies[during], r.requests[during].Header); err != nil {
		t.Errorf("during the overlap the new secret does not verify: %v", err)
	}

	c.add(RotationOverlap + time.Second)
	after := sendTest()
	// The request is timestamped by the moved clock, a day ahead of the
	// verifier's: only the signature is in question here.
	if err := newVerifier.VerifyIgnoringTimestamp(r.bodies[after], r.requests[after].Header); err != nil {
		t.Errorf("after the overlap the new secret does not verify: %v", err)
	}
	if err := oldVerifier.VerifyIgnoringTimestamp(r.bodies[after], r.requests[after].Header); err == nil {
		t.Error("after the overlap the old secret still verifies")
	}
}
