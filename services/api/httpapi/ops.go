package httpapi

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/metrics"
	"github.com/heraldpush/herald/pkg/opsstats"
)

// OpsDeps is what the operations routes need (metrics, stats, dashboard).
// A zero OpsDeps serves no stats and records no HTTP metrics.
type OpsDeps struct {
	Stats *opsstats.Source // cached queue, database and rate figures
	HTTP  *metrics.HTTP    // request counters and latency
}

// statsTTL is how long /v1/stats and the dashboard's figures are cached;
// database counts, which scan the subscriptions table, five times longer.
const statsTTL = 2 * time.Second

// NewOpsDeps builds the operations dependencies and registers the API's
// metrics (HTTP, queues, database counts) on reg.
func NewOpsDeps(db *database.DB, rdb redis.UniversalClient, reg prometheus.Registerer, log *slog.Logger) (OpsDeps, error) {
	h, err := metrics.NewHTTP(reg)
	if err != nil {
		return OpsDeps{}, err
	}
	stats := opsstats.NewSource(opsstats.Config{DB: db, Redis: rdb, QueueTTL: statsTTL, CountTTL: 5 * statsTTL})
	if err := reg.Register(opsstats.NewCollector(stats, log)); err != nil {
		return OpsDeps{}, fmt.Errorf("register queue metrics: %w", err)
	}
	return OpsDeps{Stats: stats, HTTP: h}, nil
}

// opsRoutes registers the operations routes.
func (a *api) opsRoutes(r *gin.Engine) {
	a.dashboardRoutes(r)
	admin := r.Group("/v1/admin", a.requireAdmin)
	admin.GET("/stats", a.handle(a.adminStats))
	admin.GET("/dead-letters", a.handle(a.adminDeadLetters))
	admin.POST("/dead-letters/:id/retry", a.handle(a.adminRetryDeadLetter))
	a.historyRoutes(r)
}

// httpMetrics counts every request by its route template.
func (a *api) httpMetrics(c *gin.Context) {
	if a.Ops.HTTP == nil {
		c.Next()
		return
	}
	start := time.Now()
	c.Next()
	a.Ops.HTTP.Observe(c.FullPath(), c.Request.Method, c.Writer.Status(), time.Since(start))
}
