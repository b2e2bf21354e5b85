package app

import (
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/vapid"
)

// The browser settings: which payload format Herald sends by default and
// how clicks are counted where no service worker reports them.

// PayloadFormat is the default payload format of an app's notifications
// (a notification's own format wins).
type PayloadFormat string

// Validate implements settingValidator.
func (f PayloadFormat) Validate() error {
	switch f {
	case "auto", "standard", "declarative":
		return nil
	}
	return fault.Invalid("invalid_default_format", "default_format must be auto (declarative for Safari, standard elsewhere), standard or declarative")
}

// ClickTracking says how clicks are counted besides the service worker's
// reports: "off" (the service worker reports them; the default), "link"
// (url and actions' urls go through a signed Herald link that counts the
// click once per browser and redirects, so clicks on notifications Safari
// shows by itself are counted) or "page" (the target gets a herald_click
// parameter that herald.js reports on page load: the click lands on the
// site's own origin directly).
type ClickTracking string

// Validate implements settingValidator.
func (c ClickTracking) Validate() error {
	switch c {
	case "off", "link", "page":
		return nil
	}
	return fault.Invalid("invalid_click_tracking", "click_tracking must be off (the service worker reports clicks), link (a signed Herald link counts and redirects) or page (herald.js on the landing page reports the herald_click parameter)")
}

// UnresponsiveAfter is when a subscription whose browser reported receipts
// before counts as silently revoked (iOS revokes after pushes that show
// nothing, and its push service keeps answering 201): no receipt for the
// last Notifications pushes accepted, over at least Days days.
// Notifications 0 turns the check off.
type UnresponsiveAfter struct {
	Notifications int `json:"notifications"`
	Days          int `json:"days"`
}

// Validate implements settingValidator.
func (u UnresponsiveAfter) Validate() error {
	if u.Notifications < 0 || u.Notifications > 1000 || u.Days < 0 || u.Days > 365 || (u.Notifications > 0 && u.Days < 1) {
		return fault.Invalid("invalid_unresponsive_after",
			`unresponsive_after needs "notifications" (1 to 1000; 0 turns the check off) and "days" (1 to 365), e.g. {"notifications": 10, "days": 7}`)
	}
	return nil
}

// VAPIDSubject is the VAPID "sub" claim of an app's pushes, when the app
// has a contact of its own (a tenant's site, a VAPID pair imported from
// another sender) rather than the fleet's HERALD_VAPID_SUBJECT. Apple's push
// service answers 403 BadJwtToken to every push of a subject it refuses,
// so it is checked against Apple's rules, the strictest, when the app is
// created or changed, not found out on the first Safari push.
type VAPIDSubject string

// Validate implements settingValidator.
func (v VAPIDSubject) Validate() error {
	if err := vapid.ValidateSubject(string(v)); err != nil {
		return fault.Invalid("invalid_vapid_subject", "vapid_subject: %v", err)
	}
	return nil
}
