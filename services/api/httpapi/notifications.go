package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/notification"
)

// createNotification answers 202 once the notification is stored; a replayed
// Idempotency-Key answers the first notification again.
func (a *api) createNotification(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	var req createNotificationRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	key := c.GetHeader("Idempotency-Key")
	if _, sent := c.Request.Header["Idempotency-Key"]; sent && key == "" {
		// A blank key is a client's bug, not a request without one: sent
		// again, it would make a second notification.
		return fault.Invalid("invalid_idempotency_key", "Idempotency-Key is blank; send 1 to %d printable ASCII characters, like a UUID, or no header",
			notification.MaxIdempotencyKey)
	}
	n, replayed, err := a.Notifications.Create(c.Request.Context(), owner.ID, key, req.request(owner))
	if err != nil {
		return err
	}
	if replayed {
		c.Header("Idempotent-Replayed", "true")
	}
	c.JSON(http.StatusAccepted, acceptedView{ID: n.ID, Status: string(n.Status), Warnings: viewWarnings(n.Warnings())})
	return nil
}

// warningJSON is one of what an accepted notification's sender should know
// (notification.Warning).
type warningJSON struct {
	Code    string `json:"code"`
	Service string `json:"service"`
	Message string `json:"message"`
}

func viewWarnings(ws []notification.Warning) []warningJSON {
	out := make([]warningJSON, 0, len(ws))
	for _, w := range ws {
		out = append(out, warningJSON{Code: w.Code, Service: string(w.Service), Message: w.Message})
	}
	return out
}

func (a *api) getNotification(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	n, err := a.Notifications.Get(c.Request.Context(), owner.ID, c.Param("id"))
	if err != nil {
		return err
	}
	return a.writeNotification(c, n)
}

// writeNotification answers with n, its variants' counts included.
func (a *api) writeNotification(c *gin.Context, n *notification.Notification) error {
	v := viewNotification(n)
	var err error
	if v.Variants, err = a.viewVariants(c.Request.Context(), n); err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
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
	page, err := readPage(c)
	if err != nil {
		return err
	}
	letters, next, err := a.DeadLetters.List(c.Request.Context(), owner.ID, page)
	if err != nil {
		return err
	}
	writeList(c, viewDeadLetters(letters), next)
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
