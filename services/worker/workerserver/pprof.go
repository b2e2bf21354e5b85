package workerserver

import (
	"net/http"
	"net/http/pprof"
)

// mountPprof serves net/http/pprof on mux (Config.Pprof).
func mountPprof(mux *http.ServeMux) {
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
}
