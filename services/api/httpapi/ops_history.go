package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
)

// historyRoutes: the dashboard's notification history and retrying all of
// a notification's dead letters (admin, any app), and the same retry for
// an app's backend (API key).
func (a *api) historyRoutes(r *gin.Engine) {
	admin := r.Group("/v1/admin", a.requireAdmin)
	admin.GET("/notifications", a.handle(a.adminRecentNotifications))
	admin.GET("/notifications/:id", a.handle(a.adminGetNotification))
	admin.POST("/notifications/:id/dead-letters/retry", a.handle(a.adminRetryNotificationDeadLetters))
	server := r.Group("/v1", a.requireAPIKey)
	server.POST("/notifications/:id/dead-letters/retry", a.handle(a.retryNotificationDeadLetters))
}

// historyView is a notification as the dashboard's history lists it.
type historyView struct {
	ID          string             `json:"id"`
	AppID       string             `json:"app_id"`
	Status      string             `json:"status"`
	Title       string             `json:"title"`
	Counts      progressCountsView `json:"counts"`
	CreatedAt   time.Time          `json:"created_at"`
	CompletedAt *time.Time         `json:"completed_at"`
	// Variants is how many A/B variants it has (0: none); the dashboard
	// shows them side by side from GET /v1/admin/notifications/{id}.
	Variants int `json:"variants"`
}

// adminRecentNotifications answers GET /v1/admin/notifications?limit=N
// (1 to 200, default 20): the newest notifications of every app with
// their counts.
func (a *api) adminRecentNotifications(c *gin.Context) error {
	if a.Ops.Stats == nil {
		return errNotReady
	}
	limit, err := adminLimit(c)
	if err != nil {
		return err
	}
	rows, err := a.Ops.Stats.RecentNotifications(c.Request.Context(), limit)
	if err != nil {
		return err
	}
	items := make([]historyView, len(rows))
	for i, n := range rows {
		variants, err := n.Variants()
		if err != nil {
			return err
		}
		items[i] = historyView{ID: n.ID, AppID: n.AppID, Status: string(n.Status), Title: n.Content.Title,
			Counts: progressCountsView{Targeted: n.Targeted, Delivered: n.Delivered, Gone: n.Gone, Dead: n.Dead,
				Capped: n.Capped, Pending: max(0, n.Pending())},
			CreatedAt: n.CreatedAt.UTC(), CompletedAt: n.CompletedAt, Variants: len(variants)}
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

// adminGetNotification answers GET /v1/admin/notifications/{id}: any
// app's notification as GET /v1/notifications/{id} shows it to the app,
// its variants' counts and engagement included.
func (a *api) adminGetNotification(c *gin.Context) error {
	n, err := a.Notifications.GetOfAnyApp(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return a.writeNotification(c, n)
}

// retriedView answers a retry of all of a notification's dead letters.
type retriedView struct {
	NotificationID string `json:"notification_id"`
	Retried        int    `json:"retried"`
}

func (a *api) adminRetryNotificationDeadLetters(c *gin.Context) error {
	return a.retryAll(c, "")
}

// retryNotificationDeadLetters answers POST
// /v1/notifications/{id}/dead-letters/retry: every dead letter of the
// notification not yet retried is sent again (202, how many).
func (a *api) retryNotificationDeadLetters(c *gin.Context) error {
	return a.retryAll(c, c.MustGet(ctxApp).(*app.App).ID)
}

func (a *api) retryAll(c *gin.Context, appID string) error {
	n, err := a.Retrier.RetryNotification(c.Request.Context(), appID, c.Param("id"))
	if err != nil {
		return err
	}
	a.Log.Info("dead letters retried", "notification_id", c.Param("id"), "retried", n)
	c.JSON(http.StatusAccepted, retriedView{NotificationID: c.Param("id"), Retried: n})
	return nil
}
