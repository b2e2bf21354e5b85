package httpapi

import (
	"crypto/subtle"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/metrics"
)

var errMetricsToken = fault.Unauthorized("unauthorized",
	"/metrics needs Authorization: Bearer with this server's HERALD_METRICS_TOKEN")

// metricsRoute serves the registry at /metrics, behind token when it is set
// (HERALD_METRICS_TOKEN): a scrape without it is 401, in constant time.
func metricsRoute(r gin.IRoutes, reg *prometheus.Registry, token string, log *slog.Logger) {
	serve := gin.WrapH(metrics.Handler(reg))
	if token == "" {
		r.GET("/metrics", serve)
		return
	}
	r.GET("/metrics", func(c *gin.Context) {
		got, _ := bearer(c)
		if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			c.Header("WWW-Authenticate", `Bearer realm="metrics"`)
			writeError(c, log, errMetricsToken)
			return
		}
		c.Next()
	}, serve)
}

// MetricsHandler is /metrics alone, for a listen address of its own
// (HERALD_METRICS_ADDR), so an Ingress to the API does not expose it; every
// other path is the API's JSON 404.
func MetricsHandler(reg *prometheus.Registry, token string, log *slog.Logger) http.Handler {
	r := gin.New()
	metricsRoute(r, reg, token, log)
	r.NoRoute(func(c *gin.Context) { writeError(c, log, errNoRoute) })
	return r
}
