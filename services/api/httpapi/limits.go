package httpapi

import (
	"math"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/publiclimit"
)

// The public routes' refusals, each saying what to do instead.
var (
	errRateLimitedAddress = fault.RateLimited("rate_limited",
		"too many requests from this address; wait the seconds in Retry-After")
	errRateLimitedApp = fault.RateLimited("rate_limited",
		"too many requests for this app from all addresses; wait the seconds in Retry-After")
	errOriginRequired = fault.Forbidden("origin_required",
		"the public subscribe route is for browsers and needs an Origin in the app's allowed_origins; a backend subscribes with POST /v1/subscriptions and an API key")
)

// Reasons a public request is refused, as the refusal metric labels them.
const (
	refusedRateAddress    = "rate_limited_address"
	refusedRateApp        = "rate_limited_app"
	refusedOrigin         = "origin_not_allowed"
	refusedOriginMissing  = "origin_required"
	refusedTopic          = "topic_not_public"
	refusedLimiterFailure = "limiter_unavailable" // counted, and let through
)

// allow takes one request of route from the client address' allowance, or
// from appID's when appID is not "". A Redis failure lets the request through, logged and
// counted: a limiter outage must not take subscriptions down with it.
func (a *api) allow(c *gin.Context, route publiclimit.Route, appID string) error {
	if a.Limits == nil {
		return nil
	}
	address := ""
	if appID == "" {
		address = publiclimit.AddressKey(c.ClientIP())
	}
	d, err := a.Limits.Allow(c.Request.Context(), route, address, appID)
	if err != nil {
		a.Log.Warn("public route limit unavailable; request let through", "route", route, "err", err)
		a.refused(c, refusedLimiterFailure)
		return nil
	}
	if d.Allowed {
		return nil
	}
	c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.RetryAfter.Seconds())))))
	if d.Scope == publiclimit.ScopeApp {
		a.refused(c, refusedRateApp)
		return errRateLimitedApp
	}
	a.refused(c, refusedRateAddress)
	return errRateLimitedAddress
}

// refused counts a refused public request by its route template.
func (a *api) refused(c *gin.Context, reason string) {
	if a.Ops.HTTP != nil {
		a.Ops.HTTP.Refused(c.FullPath(), reason)
	}
}
