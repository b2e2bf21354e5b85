package httpapi

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"
)

// static holds the dashboard: plain HTML, CSS and JS with no build step.
// The page asks for the admin token, keeps it in sessionStorage and calls
// /v1/admin/... with it; serving the page itself reveals nothing.
//
//go:embed static
var static embed.FS

// dashboardCSP allows the page nothing but its own origin.
const dashboardCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

func (a *api) dashboardRoutes(r *gin.Engine) {
	files := http.FileServer(http.FS(static))
	page := pageHeaders(dashboardCSP)
	headers := func(c *gin.Context) {
		page(c)
		c.Header("Cache-Control", "no-cache")
	}
	r.GET("/dashboard", headers, func(c *gin.Context) {
		c.Request.URL.Path = "/static/dashboard.html"
		files.ServeHTTP(c.Writer, c.Request)
	})
	r.GET("/dashboard/assets/:file", headers, a.handle(func(c *gin.Context) error {
		name := "static/" + c.Param("file")
		if _, err := fs.Stat(static, name); err != nil || !fs.ValidPath(name) {
			return errNoRoute // the API's JSON 404, not the file server's text
		}
		c.Request.URL.Path = "/" + name
		files.ServeHTTP(c.Writer, c.Request)
		return nil
	}))
}
