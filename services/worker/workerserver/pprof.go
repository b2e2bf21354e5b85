package workerserver

import (
	"net/http"
	"net/http/pprof"
	"os"
)

// mountPprof serves net/http/pprof on the health address when HERALD_PPROF=1:
// for profiling the delivery hot path (make bench with BENCH_PPROF). Off by
// default: profiles expose internals and cost CPU while taken.
func mountPprof(mux *http.ServeMux) {
	if os.Getenv("HERALD_PPROF") != "1" {
		return
	}
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
}
