package deploy

import "strings"

// IngressPath is a path the Kubernetes Ingress routes to the API.
type IngressPath struct {
	Path  string
	Exact bool // pathType Exact; otherwise Prefix
}

// IngressPaths are the API's public routes, the only ones reachable from
// outside the cluster: the API under /v1, the browser SDK, the demo page,
// the operations dashboard and the API description. The deploy tests check
// the Ingress routes exactly these; Herald's tests check that every route
// the API serves is either under one of them or in InternalPaths, so a new
// route cannot be silently unreachable (or silently public).
var IngressPaths = []IngressPath{
	{Path: "/v1"},
	{Path: "/sdk"},
	{Path: "/demo"},
	{Path: "/dashboard"},
	{Path: "/openapi.json", Exact: true},
}

// InternalPaths are the API's routes for the cluster only: probes and
// Prometheus.
var InternalPaths = []string{"/healthz", "/readyz", "/metrics"}

// Routed reports whether the Ingress sends a request for path to the API.
// Prefix paths match whole path segments, as Kubernetes defines them:
// /demo matches /demo and /demo/sw.js, not /demos.
func Routed(path string) bool {
	for _, p := range IngressPaths {
		if p.Exact {
			if path == p.Path {
				return true
			}
			continue
		}
		prefix := strings.TrimSuffix(p.Path, "/")
		if path == prefix || strings.HasPrefix(path, prefix+"/") {
			return true
		}
	}
	return false
}
