package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/engagement"
	"github.com/heraldpush/herald/pkg/publiclimit"
)

// browserCookie identifies a browser to the click route, on Herald's own
// origin only, so that its clicks on a notification count once.
const browserCookie = "herald_browser"

// click answers a signed click link (engagement.ClickPath): it counts the
// click once per browser and redirects to the signed target. A link Herald
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
	browser, err := c.Cookie(browserCookie)
	if err != nil || len(browser) != 32 {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		browser = hex.EncodeToString(b)
		http.SetCookie(c.Writer, &http.Cookie{Name: browserCookie, Value: browser, Path: engagement.ClickPath,
			MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: c.Request.TLS != nil, SameSite: http.SameSiteLaxMode})
	}
	click := engagement.Click{NotificationID: c.Param("id"), Action: c.Query("a"), Target: c.Query("u"),
		Signature: c.Query("s"), Browser: browser}
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
