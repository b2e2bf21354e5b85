package pushendpoint

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestDialContextThroughTransport checks the guard with the addr spelling
// http.Transport really passes, as the worker will use it.
func TestDialContextThroughTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()

	get := func(p *Policy) (*http.Response, error) {
		tr := &http.Transport{DialContext: p.DialContext(&net.Dialer{Timeout: 2 * time.Second})}
		defer tr.CloseIdleConnections()
		return (&http.Client{Transport: tr}).Get(srv.URL + "/push/abc")
	}

	unlisted, _ := NewPolicy(nil)
	if _, err := get(unlisted); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("unlisted test server: got %v, want ErrForbiddenAddress", err)
	}

	listed, err := NewPolicy([]string{srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := get(listed)
	if err != nil {
		t.Fatalf("listed test server: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, want 201", resp.StatusCode)
	}
}
