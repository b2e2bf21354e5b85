package httpapi

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/publiclimit"
)

// publicApp is the front of each public route: the client address' limit
// (before any database work), the app named in the path, its CORS policy (a
// page whose origin the app does not allow is refused before anything is
// stored; a request without Origin, not from a browser, passes here), then
// the app's limit. route "" (CORS preflights) is not limited.
func (a *api) publicApp(route publiclimit.Route) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := a.publicFront(c, route); err != nil {
			writeError(c, a.Log, err)
			return
		}
		c.Next()
	}
}

func (a *api) publicFront(c *gin.Context, route publiclimit.Route) error {
	if route != "" {
		if err := a.allow(c, route, ""); err != nil {
			return err
		}
	}
	found, err := a.Apps.Get(c.Request.Context(), c.Param("app_id"))
	if err != nil {
		return err
	}
	if origin := c.GetHeader("Origin"); origin != "" {
		if !found.AllowsOrigin(origin) {
			a.refused(c, refusedOrigin)
			return errOrigin(origin)
		}
		h := c.Writer.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
	}
	if route != "" {
		if err := a.allow(c, route, found.ID); err != nil {
			return err
		}
	}
	c.Set(ctxApp, found)
	return nil
}

// preflight answers CORS preflight requests for allowed origins.
func (a *api) preflight(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Max-Age", "600")
	c.Status(http.StatusNoContent)
}

func (a *api) vapidPublicKey(c *gin.Context) error {
	found := c.MustGet(ctxApp).(*app.App)
	key, err := a.Apps.ActiveVAPIDKey(c.Request.Context(), found.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"public_key": key.PublicKey})
	return nil
}

// publicSubscribe is called by browsers, so it needs the Origin of one of
// the app's pages (publicApp checked it is allowed): a script without one
// would otherwise bypass CORS. A browser claiming a user_id must prove it
// with the user_hash the app's backend computed, and may join only the
// app's public_topics when the app names them.
func (a *api) publicSubscribe(c *gin.Context) error {
	found := c.MustGet(ctxApp).(*app.App)
	if c.GetHeader("Origin") == "" {
		a.refused(c, refusedOriginMissing)
		return errOriginRequired
	}
	var req subscribeRequest
	if err := decodePublicJSON(c, &req); err != nil {
		return err
	}
	if req.UserID != "" {
		if err := found.VerifyUserHash(req.UserID, req.UserHash); err != nil {
			return err
		}
	} else if req.Attributes != nil {
		// What a page sets, any visitor could: attributes come from the
		// backend, or with the user_hash it computed.
		return errAttributesNeedUser
	}
	if allowed := found.Settings.PublicTopics; allowed != nil {
		for _, topic := range req.Topics {
			if !slices.Contains(allowed, topic) {
				a.refused(c, refusedTopic)
				return fault.Forbidden("topic_not_public",
					"topic %q is not in the app's public_topics: a browser may join only those; a backend sets any topic with POST /v1/subscriptions", topic)
			}
		}
	}
	return a.subscribe(c, found, req)
}
