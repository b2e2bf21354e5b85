package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/subscription"
)

// The targeting and timing routes: cancel by key and segment preview. The
// app settings they use (quiet hours, frequency caps, default time zone and
// throttle) are PATCH /v1/apps/{id}'s (apps.go).
func (a *api) targetingRoutes(server *gin.RouterGroup) {
	server.DELETE("/notifications", a.handle(a.cancelByKey))
	server.POST("/segments/preview", a.handle(a.previewSegment))
}

// cancelByKey answers DELETE /v1/notifications?cancel_key=K: it cancels
// every notification of the app with that key not yet sent to everyone.
func (a *api) cancelByKey(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	key, ok := c.GetQuery("cancel_key")
	if !ok {
		return fault.Invalid("invalid_cancel_key", "give ?cancel_key=K to cancel a series; one notification is cancelled at its own URL, /v1/notifications/{id}")
	}
	n, err := a.Notifications.CancelByKey(c.Request.Context(), owner.ID, key)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"cancel_key": key, "cancelled": n})
	return nil
}

type previewRequest struct {
	Segment string `json:"segment"`
}

type previewView struct {
	Segment  string    `json:"segment"` // canonical form, as a notification stores it
	Topics   []string  `json:"topics"`
	Audience int64     `json:"audience"`
	AtLeast  bool      `json:"at_least"` // the count stopped at its bound: audience is a lower bound
	Cached   bool      `json:"cached"`
	At       time.Time `json:"counted_at"`
}

// previewSegment answers POST /v1/segments/preview: how many active
// subscriptions a segment reaches now.
func (a *api) previewSegment(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	var req previewRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	expr, err := notification.ParseSegment(req.Segment)
	if err != nil {
		return err
	}
	p, err := a.Segments.Preview(c.Request.Context(), owner.ID, expr)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, previewView{Segment: expr.String(), Topics: expr.Topics(), Audience: p.Count,
		AtLeast: p.Count >= subscription.MaxPreviewCount, Cached: p.Cached, At: p.At})
	return nil
}
