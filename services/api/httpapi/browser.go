package httpapi

import "github.com/gin-gonic/gin"

// BrowserDeps is what the browser-facing routes need (SDK, service worker,
// engagement events, demo page).
type BrowserDeps struct{}

// browserRoutes registers the browser-facing routes.
func (a *api) browserRoutes(r *gin.Engine) {}
