package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/engagement"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/services/api/web"
)

// BrowserDeps is what the browser-facing routes need (SDK, service worker,
// engagement events, demo page).
type BrowserDeps struct {
	// Events verifies and counts service worker reports; nil answers
	// POST /v1/events with 503.
	Events *engagement.Store
	// PerIP limits POST /v1/events per client address; nil means 20/s, burst 100.
	PerIP *engagement.Limiter
}

var (
	errRateLimited = fault.RateLimited("rate_limited", "too many events from this address; slow down")
	errNoEvents    = fault.Unavailable("events_unavailable", "event reporting is not configured")
)

// browserRoutes registers the browser-facing routes.
func (a *api) browserRoutes(r *gin.Engine) {
	if a.Browser.PerIP == nil {
		a.Browser.PerIP = engagement.NewLimiter(20, 100)
	}
	r.GET("/sdk/herald.js", serveAsset("herald.js", "text/javascript; charset=utf-8", ""))
	r.GET("/sdk/herald.mjs", serveAsset("herald.js", "text/javascript; charset=utf-8", moduleTail))
	r.GET("/sdk/herald-sw.js", serveAsset("herald-sw.js", "text/javascript; charset=utf-8", ""))
	r.GET("/demo", func(c *gin.Context) { c.Redirect(http.StatusFound, "/demo/"+query(c)) })
	r.GET("/demo/", serveAsset("demo.html", "text/html; charset=utf-8", ""))
	r.GET("/demo/sw.js", serveAsset("demo-sw.js", "text/javascript; charset=utf-8", ""))
	r.POST("/v1/apps/:app_id/subscriptions/replace", a.publicApp, a.handle(a.replaceSubscription))
	r.OPTIONS("/v1/events", a.eventsPreflight)
	r.POST("/v1/events", a.handle(a.postEvent))
}

// moduleTail turns the plain script into an ES module: the script sets
// globalThis.Herald, the module also exports it.
const moduleTail = "\nexport const Herald = globalThis.Herald;\nexport default Herald;\n"

func query(c *gin.Context) string {
	if q := c.Request.URL.RawQuery; q != "" {
		return "?" + q
	}
	return ""
}

func serveAsset(name, contentType, tail string) gin.HandlerFunc {
	body, err := web.Files.ReadFile(name)
	if err != nil {
		panic("httpapi: missing embedded asset " + name) // a build mistake, caught by every test
	}
	body = append(body, tail...)
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-cache")
		c.Header("X-Content-Type-Options", "nosniff")
		c.Data(http.StatusOK, contentType, body)
	}
}

// eventsPreflight lets any page send events: the token authenticates, and the
// POST itself checks the notification's app's allowed_origins.
func (a *api) eventsPreflight(c *gin.Context) {
	if origin := c.GetHeader("Origin"); origin != "" {
		c.Header("Access-Control-Allow-Origin", origin)
		c.Header("Vary", "Origin")
	}
	a.preflight(c)
}

// postEvent counts a service worker's report: 202 {"counted": bool}, false
// when this browser already reported it.
func (a *api) postEvent(c *gin.Context) error {
	if !a.Browser.PerIP.Allow(c.RemoteIP()) {
		c.Header("Retry-After", "1")
		return errRateLimited
	}
	if a.Browser.Events == nil {
		return errNoEvents
	}
	var e engagement.Event
	if err := decodeJSON(c, &e); err != nil {
		return err
	}
	ctx := c.Request.Context()
	origin := c.GetHeader("Origin")
	counted, err := a.Browser.Events.Record(ctx, e, func(appID string) error {
		if origin == "" {
			return nil
		}
		found, err := a.Apps.Get(ctx, appID)
		if err != nil {
			return err
		}
		if !allowsEventOrigin(found, origin) {
			return errOrigin
		}
		c.Header("Access-Control-Allow-Origin", origin)
		c.Header("Vary", "Origin")
		return nil
	})
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, gin.H{"counted": counted})
	return nil
}

// allowsEventOrigin accepts the app's pages; "null" is not a page origin a
// service worker reports from.
func allowsEventOrigin(a *app.App, origin string) bool {
	return origin != "null" && a.AllowsOrigin(origin)
}
