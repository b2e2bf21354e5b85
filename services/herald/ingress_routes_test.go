package main

import (
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/deploy"
	"github.com/heraldpush/herald/pkg/metrics"
	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/services/api/httpapi"
)

// Every route the API serves is either public, and routed by the Kubernetes
// Ingress (deploy.IngressPaths), or for the cluster only
// (deploy.InternalPaths): a new route is never silently unreachable from
// browsers, and the probes and /metrics never public.
func TestIngressRoutesEveryPublicRoute(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	// Registering routes touches only the logger and the registry.
	handler, err := httpapi.New(httpapi.Deps{Log: testkit.Logger(t), Metrics: metrics.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	engine, ok := handler.(*gin.Engine)
	if !ok {
		t.Fatal("the API handler is not a gin engine; list its routes another way")
	}
	routes := engine.Routes()
	if len(routes) < 10 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, r := range routes {
		internal := false
		for _, p := range deploy.InternalPaths {
			internal = internal || r.Path == p
		}
		if routed := deploy.Routed(r.Path); routed == internal {
			t.Errorf("%s %s: routed by the Ingress %v, internal %v; add it to deploy.IngressPaths (and the Ingress) or deploy.InternalPaths", r.Method, r.Path, routed, internal)
		}
	}
}
