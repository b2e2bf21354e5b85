package httpapi

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/engagement"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/publiclimit"
	"github.com/heraldpush/herald/services/api/web"
)

// BrowserDeps is what the browser-facing routes need (SDK, service worker,
// engagement events, demo page).
type BrowserDeps struct {
	// Events verifies and counts service worker reports; nil answers
	// POST /v1/events with 503.
	Events *engagement.Store
}

var errNoEvents = fault.Unavailable("events_unavailable", "event reporting is not configured")

// browserRoutes registers the browser-facing routes.
func (a *api) browserRoutes(r *gin.Engine) {
	const js, html = "text/javascript; charset=utf-8", "text/html; charset=utf-8"
	r.GET("/sdk/herald.js", serveAsset(a.assets["herald.js"], js, ""))
	r.GET("/sdk/herald.mjs", serveAsset(a.assets["herald.js"], js, moduleTail))
	r.GET("/sdk/herald-sw.js", serveAsset(a.assets["herald-sw.js"], js, ""))
	r.GET("/demo", func(c *gin.Context) { c.Redirect(http.StatusFound, "/demo/"+query(c)) })
	r.GET("/demo/", pageHeaders(demoCSP), serveAsset(a.assets["demo.html"], html, ""))
	r.GET("/demo/demo.js", serveAsset(a.assets["demo.js"], js, ""))
	r.GET("/demo/sw.js", serveAsset(a.assets["demo-sw.js"], js, ""))
	r.POST("/v1/apps/:app_id/subscriptions/replace", a.publicApp(publiclimit.Replace), a.handle(a.replaceSubscription))
	r.OPTIONS("/v1/events", a.eventsPreflight)
	r.POST("/v1/events", a.handle(a.postEvent))
	r.GET(engagement.ClickPath+":id", a.handle(a.click))
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

// assets are the embedded browser files by name.
type assets map[string][]byte

func loadAssets() (assets, error) {
	out := assets{}
	for _, name := range []string{"herald.js", "herald-sw.js", "demo.html", "demo.js", "demo-sw.js"} {
		body, err := web.Files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("embedded asset %s: %w", name, err)
		}
		out[name] = body
	}
	return out, nil
}

// demoCSP lets the demo page load scripts from its own origin only (no
// inline script, no eval) and call its own origin; inline style is allowed
// for the soft prompt's <style> (herald.js). It may not be framed.
const demoCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// pageHeaders are the security headers of an HTML page: its policy, no
// MIME sniffing, no framing (frame-ancestors, and X-Frame-Options for
// browsers without it), no referrer.
func pageHeaders(csp string) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Content-Security-Policy", csp)
		c.Header("X-Content-Type-Options", "nosniff")
		c.Header("X-Frame-Options", "DENY")
		c.Header("Referrer-Policy", "no-referrer")
	}
}

func serveAsset(body []byte, contentType, tail string) gin.HandlerFunc {
	body = append(body[:len(body):len(body)], tail...)
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

// eventRequest is what herald-sw.js posts to POST /v1/events.
type eventRequest struct {
	NotificationID string `json:"notification_id"`
	Token          string `json:"token"`
	Type           string `json:"type"`
	Action         string `json:"action"`
	Endpoint       string `json:"endpoint"`
	EventID        string `json:"event_id"`
}

// postEvent counts a service worker's report: 202 {"counted": bool}, false
// when this browser already reported it.
func (a *api) postEvent(c *gin.Context) error {
	if err := a.allow(c, publiclimit.Events, ""); err != nil {
		return err
	}
	var req eventRequest
	if err := decodePublicJSON(c, &req); err != nil {
		return err
	}
	if a.Browser.Events == nil {
		return errNoEvents
	}
	ctx := c.Request.Context()
	origin := c.GetHeader("Origin")
	e := engagement.Event{NotificationID: req.NotificationID, Token: req.Token, Type: req.Type, Action: req.Action,
		Endpoint: req.Endpoint, EventID: req.EventID}
	counted, err := a.Browser.Events.Record(ctx, e, func(appID string) error {
		if err := a.allow(c, publiclimit.Events, appID); err != nil {
			return err
		}
		if origin == "" {
			return nil
		}
		found, err := a.Apps.Get(ctx, appID)
		if err != nil {
			return err
		}
		if !allowsEventOrigin(found, origin) {
			a.refused(c, refusedOrigin)
			return errOrigin(origin)
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
