package httpapi

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/engagement"
	"github.com/heraldpush/herald/pkg/publiclimit"
)

// click answers a signed click link (engagement.ClickPath): it counts the
// click once per recipient (the link's event token) and redirects to the signed target. A link Herald
// did not sign is 404 click_link_not_found and goes nowhere.
func (a *api) click(c *gin.Context) error {
	// A click is an engagement report: it shares the events' allowance per
	// client address.
	if err := a.allow(c, publiclimit.Events, ""); err != nil {
		return err
	}
	if a.Browser.Events == nil {
		return errNoEvents
	}
	click := engagement.Click{NotificationID: c.Param("id"), Action: c.Query("a"), Target: c.Query("u"),
		Signature: c.Query("s"), Recipient: c.Query("r")}
	counted, err := a.Browser.Events.RecordClick(c.Request.Context(), click)
	if errors.Is(err, engagement.ErrClickLink) {
		return err
	}
	if err != nil {
		// The link is Herald's: the visitor still gets where the link goes.
		a.Log.Warn("click not counted", "notification_id", click.NotificationID, "err", err)
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Herald-Click-Counted", map[bool]string{true: "true", false: "false"}[counted])
	c.Redirect(http.StatusFound, click.Target)
	return nil
}
