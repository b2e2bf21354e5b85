package httpapi

import (
	"crypto/subtle"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/fault"
)

const (
	ctxApp = "herald.app" // *app.App the request acts for
)

// Authorization failures, each saying what was wrong and what to send.
var (
	errAdminMissing = fault.Unauthorized("unauthorized",
		"this route needs the admin token: send Authorization: Bearer <HERALD_ADMIN_TOKEN>")
	errAdminMalformed = fault.Unauthorized("unauthorized",
		"malformed Authorization header: send Authorization: Bearer <HERALD_ADMIN_TOKEN>")
	errAdminWrong    = fault.Unauthorized("unauthorized", "wrong admin token: it is not this server's HERALD_ADMIN_TOKEN")
	errAdminIsAPIKey = fault.Unauthorized("unauthorized",
		"this is an admin route and the token is an app's API key: send the admin token (HERALD_ADMIN_TOKEN) instead")
	errKeyMissing = fault.Unauthorized(app.ErrInvalidAPIKey.Code,
		"this route needs one of the app's API keys: send Authorization: Bearer <api_key>")
	errKeyMalformed = fault.Unauthorized(app.ErrInvalidAPIKey.Code,
		"malformed Authorization header: send Authorization: Bearer <api_key>")
	errKeyIsAdmin = fault.Unauthorized(app.ErrInvalidAPIKey.Code,
		"this route acts for one app and needs that app's API key; the admin token acts for none (create a key with POST /v1/apps/{id}/api-keys)")
)

// bearer returns the token of an "Authorization: Bearer" header; present
// is false without the header, token "" when it is not a bearer token.
func bearer(c *gin.Context) (token string, present bool) {
	h := strings.TrimSpace(c.GetHeader("Authorization"))
	if h == "" {
		return "", false
	}
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), true
	}
	return "", true
}

func (a *api) isAdminToken(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(a.AdminToken)) == 1
}

// requireAdmin guards admin routes with HERALD_ADMIN_TOKEN.
func (a *api) requireAdmin(c *gin.Context) {
	token, present := bearer(c)
	var err error
	switch {
	case a.isAdminToken(token):
		c.Next()
		return
	case !present:
		err = errAdminMissing
	case token == "":
		err = errAdminMalformed
	case app.LooksLikeAPIKey(token):
		err = errAdminIsAPIKey
	default:
		err = errAdminWrong
	}
	writeError(c, a.Log, err)
}

// requireAPIKey resolves the app from its API key.
func (a *api) requireAPIKey(c *gin.Context) {
	token, present := bearer(c)
	switch {
	case !present:
		writeError(c, a.Log, errKeyMissing)
		return
	case token == "":
		writeError(c, a.Log, errKeyMalformed)
		return
	case a.isAdminToken(token):
		writeError(c, a.Log, errKeyIsAdmin)
		return
	}
	found, err := a.Apps.Authenticate(c.Request.Context(), token)
	if err != nil {
		writeError(c, a.Log, err)
		return
	}
	c.Set(ctxApp, found)
	c.Next()
}
