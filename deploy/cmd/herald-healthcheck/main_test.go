package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	if err := check(srv.URL+"/readyz", time.Second); err != nil {
		t.Fatalf("ready server: %v", err)
	}
	if err := check(srv.URL+"/other", time.Second); err == nil {
		t.Fatal("503 passed the check")
	}
	if err := run(nil); err == nil {
		t.Fatal("no URL passed the check")
	}
	srv.Close()
	if err := check(srv.URL+"/readyz", time.Second); err == nil {
		t.Fatal("closed server passed the check")
	}
}
