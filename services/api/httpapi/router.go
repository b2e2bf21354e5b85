// Package httpapi is Herald's HTTP API on gin: routing, authentication, CORS,
// the request and response types (decoded strictly: an unknown field is an
// error) and the mapping of domain errors to HTTP. Domain rules live in the
// domain packages it calls, which take and return Go types.
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/deadletter"
	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/publiclimit"
	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/webhook"
)

// Deps is everything the API needs, built by the caller.
type Deps struct {
	Log           *slog.Logger
	Apps          *app.Store
	Subscriptions *subscription.Store
	Segments      *subscription.SegmentCounter // segment previews
	Notifications *notification.Service
	DeadLetters   *deadletter.Store
	Retrier       *delivery.DeadLetterRetrier // sends dead letters again
	Browser       BrowserDeps                 // SDK, service worker, events, demo page
	Ops           OpsDeps                     // metrics, stats, dashboard
	Endpoints     *pushendpoint.Policy
	// Limits limits the public routes per client address and per app; nil
	// limits nothing (tests of other things).
	Limits *publiclimit.Limiter
	// TrustedProxies are the addresses or CIDRs of the proxies in front of
	// the API: X-Forwarded-For names the client only when they send it.
	TrustedProxies []string
	Webhooks       *webhook.Store
	AdminToken     string
	Ready          func(context.Context) error
	Metrics        *prometheus.Registry
	// MetricsToken, when set, is the bearer token /metrics requires
	// (HERALD_METRICS_TOKEN); MetricsElsewhere leaves /metrics off this
	// handler (served by MetricsHandler on HERALD_METRICS_ADDR).
	MetricsToken     string
	MetricsElsewhere bool
}

type api struct {
	Deps
	assets assets
	topics topicCache
}

// New returns the API's http.Handler.
func New(d Deps) (http.Handler, error) {
	assets, err := loadAssets()
	if err != nil {
		return nil, err
	}
	a := &api{Deps: d, assets: assets}
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.RemoteIPHeaders = []string{"X-Forwarded-For"}
	if err := r.SetTrustedProxies(d.TrustedProxies); err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	r.Use(a.recoverer, a.accessLog, a.httpMetrics)
	r.NoRoute(a.handle(func(*gin.Context) error { return errNoRoute }))
	r.NoMethod(a.handle(func(*gin.Context) error { return errNoMethod }))

	r.GET("/healthz", a.healthz)
	r.GET("/readyz", a.handle(a.readyz))
	if !d.MetricsElsewhere {
		metricsRoute(r, d.Metrics, d.MetricsToken, d.Log)
	}
	spec, err := openAPIHandler()
	if err != nil {
		return nil, err
	}
	r.GET("/openapi.json", spec)

	v1 := r.Group("/v1")
	admin := v1.Group("", a.requireAdmin)
	admin.POST("/apps", a.handle(a.createApp))
	admin.GET("/apps", a.handle(a.listApps))
	admin.GET("/apps/:app_id", a.handle(a.getApp))
	admin.PATCH("/apps/:app_id", a.handle(a.patchApp))
	admin.DELETE("/apps/:app_id", a.handle(a.deleteApp))
	admin.POST("/apps/:app_id/api-keys", a.handle(a.createAPIKey))
	admin.GET("/apps/:app_id/api-keys", a.handle(a.listAPIKeys))
	admin.DELETE("/apps/:app_id/api-keys/:key_id", a.handle(a.revokeAPIKey))
	admin.POST("/apps/:app_id/vapid-keys", a.handle(a.addVAPIDKey))
	admin.GET("/apps/:app_id/vapid-keys", a.handle(a.listVAPIDKeys))
	admin.DELETE("/apps/:app_id/vapid-keys/:key_id", a.handle(a.deleteVAPIDKey))

	public := v1.Group("/apps/:app_id")
	public.OPTIONS("/*any", a.publicApp(""), a.preflight)
	public.GET("/vapid-public-key", a.publicApp(publiclimit.VAPIDKey), a.handle(a.vapidPublicKey))
	public.POST("/subscriptions", a.publicApp(publiclimit.Subscribe), a.handle(a.publicSubscribe))

	server := v1.Group("", a.requireAPIKey)
	server.POST("/subscriptions", a.handle(a.serverSubscribe))
	server.GET("/subscriptions", a.handle(a.listSubscriptions))
	server.POST("/subscriptions/import", a.handle(a.importSubscriptions))
	server.GET("/subscriptions/export", a.handle(a.exportSubscriptions))
	server.GET("/subscriptions/:id", a.handle(a.getSubscription))
	server.PATCH("/subscriptions/:id", a.handle(a.patchSubscription))
	server.DELETE("/subscriptions/:id", a.handle(a.deleteSubscription))
	server.POST("/users/:user_id/topics", a.handle(a.changeUserTopics))
	server.GET("/users/:user_id/attributes", a.handle(a.getUserAttributes))
	server.PUT("/users/:user_id/attributes", a.handle(a.putUserAttributes))
	server.PATCH("/users/:user_id/attributes", a.handle(a.patchUserAttributes))
	server.DELETE("/users/:user_id/attributes", a.handle(a.deleteUserAttributes))
	server.GET("/topics", a.handle(a.listTopics))
	server.GET("/notifications", a.handle(a.listNotifications))
	server.POST("/notifications", a.handle(a.createNotification))
	server.GET("/notifications/:id", a.handle(a.getNotification))
	server.DELETE("/notifications/:id", a.handle(a.cancelNotification))
	server.GET("/dead-letters", a.handle(a.listDeadLetters))
	server.POST("/dead-letters/:id/retry", a.handle(a.retryDeadLetter))
	server.GET("/stats", a.handle(a.stats))
	a.targetingRoutes(server)
	a.webhookRoutes(server)
	a.browserRoutes(r)
	a.opsRoutes(r)
	return r, nil
}

func (a *api) healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

func (a *api) readyz(c *gin.Context) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := a.Ready(ctx); err != nil {
		a.Log.Warn("not ready", "err", err)
		return errNotReady
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
	return nil
}

func (a *api) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	level := slog.LevelDebug
	if c.Writer.Status() >= 500 {
		level = slog.LevelError
	}
	a.Log.Log(c.Request.Context(), level, "http", "method", c.Request.Method, "path", c.FullPath(),
		"status", c.Writer.Status(), "duration", time.Since(start))
}

func (a *api) recoverer(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p) // a stream cut on purpose: net/http closes the connection
			}
			a.Log.Error("panic in handler", "panic", p, "path", c.Request.URL.Path)
			writeError(c, a.Log, errInternal)
		}
	}()
	c.Next()
}
