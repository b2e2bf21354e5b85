package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
)

// publicApp loads the app named in the path and applies its CORS policy: a
// request from a page whose origin the app does not allow is refused before
// anything is stored. Requests without Origin (not from a browser) pass.
func (a *api) publicApp(c *gin.Context) {
	found, err := a.Apps.Get(c.Request.Context(), c.Param("app_id"))
	if err != nil {
		writeError(c, a.Log, err)
		return
	}
	if origin := c.GetHeader("Origin"); origin != "" {
		if !found.AllowsOrigin(origin) {
			writeError(c, a.Log, errOrigin(origin))
			return
		}
		h := c.Writer.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
	}
	c.Set(ctxApp, found)
	c.Next()
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

// publicSubscribe is called by browsers. A browser claiming a user_id must
// prove it with the user_hash the app's backend computed.
func (a *api) publicSubscribe(c *gin.Context) error {
	found := c.MustGet(ctxApp).(*app.App)
	var req subscribeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.UserID != "" {
		if err := found.VerifyUserHash(req.UserID, req.UserHash); err != nil {
			return err
		}
	}
	return a.subscribe(c, found, req)
}
