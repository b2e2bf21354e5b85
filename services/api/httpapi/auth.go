package httpapi

import (
	"crypto/subtle"
	"strings"

	"github.com/gin-gonic/gin"
)

const (
	ctxApp = "herald.app" // *app.App the request acts for
)

func bearer(c *gin.Context) string {
	h := c.GetHeader("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// requireAdmin guards admin routes with HERALD_ADMIN_TOKEN.
func (a *api) requireAdmin(c *gin.Context) {
	token := bearer(c)
	if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(a.AdminToken)) != 1 {
		writeError(c, a.Log, errUnauthorized)
		return
	}
	c.Next()
}

// requireAPIKey resolves the app from its API key.
func (a *api) requireAPIKey(c *gin.Context) {
	found, err := a.Apps.Authenticate(c.Request.Context(), bearer(c))
	if err != nil {
		writeError(c, a.Log, err)
		return
	}
	c.Set(ctxApp, found)
	c.Next()
}
