package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/notification"
)

type countsView struct {
	Targeted  int64 `json:"targeted"`
	Delivered int64 `json:"delivered"`
	Gone      int64 `json:"gone"`
	Dead      int64 `json:"dead"`
	Pending   int64 `json:"pending"`
	Received  int64 `json:"received"` // reported by service workers (POST /v1/events)
	Clicked   int64 `json:"clicked"`
	Dismissed int64 `json:"dismissed"`
}

type notificationView struct {
	ID           string          `json:"id"`
	Status       string          `json:"status"`
	Counts       countsView      `json:"counts"`
	Target       map[string]any  `json:"target"`
	Notification json.RawMessage `json:"notification"`
	TTL          int             `json:"ttl"`
	Urgency      string          `json:"urgency,omitempty"`
	Topic        string          `json:"topic,omitempty"`
	Queue        string          `json:"queue"`
	SendAt       *time.Time      `json:"send_at"`
	CreatedAt    time.Time       `json:"created_at"`
	CompletedAt  *time.Time      `json:"completed_at"`
}

func viewNotification(n *notification.Notification) notificationView {
	target := map[string]any{}
	if n.TargetKind == notification.TargetAll {
		target["all"] = true
	} else {
		var values []string
		_ = json.Unmarshal([]byte(n.TargetValues), &values)
		target[n.TargetKind] = values
	}
	return notificationView{
		ID: n.ID, Status: string(n.Status), Target: target, Notification: json.RawMessage(n.Content),
		Counts: countsView{Targeted: n.Targeted, Delivered: n.Delivered, Gone: n.Gone, Dead: n.Dead, Pending: n.Pending(),
			Received: n.Received, Clicked: n.Clicked, Dismissed: n.Dismissed},
		TTL: n.TTL, Urgency: n.Urgency, Topic: n.Topic, Queue: n.Queue, SendAt: n.SendAt,
		CreatedAt: n.CreatedAt, CompletedAt: n.CompletedAt,
	}
}

// createNotification answers 202 once the notification is stored; a replayed
// Idempotency-Key answers the first notification again.
func (a *api) createNotification(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	var req notification.Request
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	n, replayed, err := a.Notifications.Create(c.Request.Context(), owner.ID, c.GetHeader("Idempotency-Key"), req)
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
	c.JSON(http.StatusOK, gin.H{"dead_letters": letters, "next_after": next})
	return nil
}

func (a *api) retryDeadLetter(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	dl, err := a.DeadLetters.Retry(c.Request.Context(), owner.ID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, dl)
	return nil
}
