package pushsend

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/heraldpush/herald/pkg/pushendpoint"
)

// A push service answering 307 (or 308, or 302) is not followed: the
// message would be posted to a URL the endpoint policy never checked. It
// fails, and the place it points to sees nothing.
func TestSendDoesNotFollowRedirects(t *testing.T) {
	e := newEnv(t, true, Config{})
	sub := e.mint(t, "ok")
	var reached atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.WriteHeader(http.StatusCreated)
	}))
	defer target.Close()
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/push/elsewhere", status)
		}))
		// Both origins are allowed, so only the redirect rule stops it.
		policy, err := pushendpoint.NewPolicy([]string{redirector.URL, target.URL})
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSender(Config{Subject: testSubject, Endpoints: policy, Client: NewClient(Config{Endpoints: policy})})
		if err != nil {
			t.Fatal(err)
		}
		m := e.message(sub, []byte("hi"))
		m.Endpoint = redirector.URL + "/push/x"
		r := s.Send(context.Background(), m)
		redirector.Close()
		if r.Outcome != Failed || r.Status != status {
			t.Errorf("%d: got outcome %v status %d, want Failed with the %d", status, r.Outcome, r.Status, status)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("the redirect target got %d requests", n)
	}
}
