package httpapi

import "github.com/gin-gonic/gin"

// OpsDeps is what the operations routes need (metrics, stats, dashboard).
type OpsDeps struct{}

// opsRoutes registers the operations routes.
func (a *api) opsRoutes(r *gin.Engine) {}
