package workerserver

import (
	"context"
	"net/http"
	"time"

	"github.com/heraldpush/herald/pkg/metrics"
)

func (s *Server) healthHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			s.log.Warn("not ready", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, `{"error":{"code":"not_ready","message":"database or Redis unreachable"}}`)
			return
		}
		writeJSON(w, http.StatusOK, `{"status":"ready"}`)
	})
	mux.Handle("GET /metrics", metrics.Handler(s.registry))
	if s.cfg.Pprof {
		mountPprof(mux)
	}
	return mux
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
