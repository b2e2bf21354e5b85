package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/fault"
)

// createNotification answers 202 once the notification is stored; a replayed
// Idempotency-Key answers the first notification again.
func (a *api) createNotification(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	var req createNotificationRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	n, replayed, err := a.Notifications.Create(c.Request.Context(), owner.ID, c.GetHeader("Idempotency-Key"), req.request())
	if err != nil {
		return err
	}
	if replayed {
		c.Header("Idempotent-Replayed", "true")
	}
	c.JSON(http.StatusAccepted, gin.H{"id": n.ID, "status": n.Status})
	return nil
}

func (a *api) getNotification(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	n, err := a.Notifications.Get(c.Request.Context(), owner.ID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewNotification(n))
	return nil
}

func (a *api) cancelNotification(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	n, err := a.Notifications.Cancel(c.Request.Context(), owner.ID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewNotification(n))
	return nil
}

func (a *api) listDeadLetters(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	limit := 100
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return fault.Invalid("invalid_limit", "limit must be 1 to 1000")
		}
		limit = n
	}
	letters, err := a.DeadLetters.List(c.Request.Context(), owner.ID, c.Query("after"), limit)
	if err != nil {
		return err
	}
	next := ""
	if len(letters) == limit {
		next = letters[len(letters)-1].ID
	}
	c.JSON(http.StatusOK, gin.H{"dead_letters": viewDeadLetters(letters), "next_after": next})
	return nil
}

func (a *api) retryDeadLetter(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	dl, err := a.Retrier.Retry(c.Request.Context(), owner.ID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, viewDeadLetter(*dl))
	return nil
}
