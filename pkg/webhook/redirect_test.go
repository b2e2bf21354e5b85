package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// A redirect is an answer, never followed: the signed event does not go to
// the URL it names even when that URL is allowed too, and the attempt is
// recorded as failed with a message saying to register the final URL.
func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	f := setup(t, dbtest.Postgres(t))
	target := newReceiver(t)
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, target.URL+"/hook", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirecting.Close)
	d := NewDispatcher(DispatcherConfig{DB: f.db, Key: f.key, Jobs: f.queue(t),
		Origins: policy(t, redirecting.URL, target.URL), BackoffBase: time.Hour})
	ctx := context.Background()
	e, _, err := d.store.Create(ctx, f.appID, redirecting.URL+"/hook", []string{NotificationCompleted})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.store.SendTest(ctx, f.appID, e.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.work(t, d); err != nil {
		t.Fatal(err)
	}
	if n := target.count(); n != 0 {
		t.Fatalf("the redirect's target got %d requests", n)
	}
	msgs, _, err := d.store.Messages(ctx, f.appID, e.ID, pageOf(10))
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages %+v %v", msgs, err)
	}
	if got := msgs[0]; got.Status == Delivered || got.Attempts != 1 || got.LastStatus != http.StatusTemporaryRedirect ||
		!strings.Contains(got.LastError, "redirects are not followed") {
		t.Fatalf("after a redirect: %+v", got)
	}
}
