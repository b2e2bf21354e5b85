package notification

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/pushendpoint"
)

// Format is the payload format a notification is sent in.
type Format string

const (
	// FormatAuto sends Declarative Web Push to Apple's push service (Safari
	// 18.4+ shows it without running the service worker; older Safari hands
	// it to the service worker, which reads both formats) and the standard
	// payload elsewhere. It is the default.
	FormatAuto Format = "auto"
	// FormatStandard is Herald's own JSON: the notification's fields as sent.
	FormatStandard Format = "standard"
	// FormatDeclarative is WebKit's Declarative Web Push JSON for every
	// browser; herald-sw.js shows it where the browser does not.
	FormatDeclarative Format = "declarative"
)

// Valid reports whether f is a format ("" is not: it means "the default").
func (f Format) Valid() bool { return f == FormatAuto || f == FormatStandard || f == FormatDeclarative }

// declarativeMagic is the web_push member's value, naming RFC 8030.
const declarativeMagic = 8030

// declarativeJSON is a Declarative Web Push message (W3C Push API,
// "declarative push message"; WebKit, Safari 18.4): the members the
// browser reads, then Herald's own, which parsers ignore and herald-sw.js
// reads to report engagement.
type declarativeJSON struct {
	WebPush      int                     `json:"web_push"`
	Notification declarativeNotification `json:"notification"`
	// AppBadge sits at the top level (it moved out of notification in 2025).
	AppBadge *int `json:"app_badge,omitempty"`
	// Mutable lets the service worker's push event change the notification;
	// if that handler fails, the browser shows this one anyway.
	Mutable        bool   `json:"mutable"`
	NotificationID string `json:"notification_id"`
	EventToken     string `json:"event_token,omitempty"`
	ClickReport    string `json:"click_report,omitempty"`
}

// declarativeNotification holds NotificationOptions' members under their
// Notifications API names (camelCase), plus title and navigate, which are
// required.
type declarativeNotification struct {
	Title              string              `json:"title"`
	Navigate           string              `json:"navigate"`
	Body               string              `json:"body,omitempty"`
	Lang               string              `json:"lang,omitempty"`
	Dir                string              `json:"dir,omitempty"`
	Tag                string              `json:"tag,omitempty"`
	Icon               string              `json:"icon,omitempty"`
	Badge              string              `json:"badge,omitempty"`
	Image              string              `json:"image,omitempty"`
	Vibrate            []int               `json:"vibrate,omitempty"`
	Renotify           bool                `json:"renotify,omitempty"`
	Silent             bool                `json:"silent,omitempty"`
	RequireInteraction bool                `json:"requireInteraction,omitempty"`
	Data               json.RawMessage     `json:"data,omitempty"`
	Actions            []declarativeAction `json:"actions,omitempty"`
}

type declarativeAction struct {
	Action   string `json:"action"`
	Title    string `json:"title"`
	Navigate string `json:"navigate"`
	Icon     string `json:"icon,omitempty"`
}

// ErrNoNavigate refuses a declarative notification with nowhere to go.
var ErrNoNavigate = fault.Invalid("invalid_notification",
	"declarative payloads need notification.url (Declarative Web Push requires a navigate URL); give a url, or an allowed origin to the app so its home page is used")

// declarative builds the Declarative Web Push message for content c sent
// as notification id. origin (the app's first allowed origin, or "")
// resolves site-relative links, which a browser showing the message
// without a service worker has no base for, and stands in for a missing
// url. It fails with ErrNoNavigate when there is no navigate target.
func declarative(id, token string, c Content, badge *int, origin string) (declarativeJSON, error) {
	navigate := absolute(c.URL, origin)
	if navigate == "" && origin != "" {
		navigate = origin + "/"
	}
	if navigate == "" {
		return declarativeJSON{}, ErrNoNavigate
	}
	n := declarativeNotification{
		Title: c.Title, Navigate: navigate, Body: c.Body, Lang: c.Lang, Dir: c.Dir, Tag: c.Tag,
		Icon: absolute(c.Icon, origin), Badge: absolute(c.Badge, origin), Image: absolute(c.Image, origin),
		Vibrate: c.Vibrate, Renotify: c.Renotify, Silent: c.Silent, RequireInteraction: c.RequireInteraction, Data: c.Data,
	}
	for _, a := range c.Actions {
		// An action's navigate is required too; one without a url opens
		// what the notification opens.
		to := absolute(a.URL, origin)
		if to == "" {
			to = navigate
		}
		n.Actions = append(n.Actions, declarativeAction{Action: a.Action, Title: a.Title, Navigate: to, Icon: absolute(a.Icon, origin)})
	}
	return declarativeJSON{WebPush: declarativeMagic, Notification: n, AppBadge: badge, Mutable: true,
		NotificationID: id, EventToken: token}, nil
}

// absolute resolves a site-relative link against origin; absolute links,
// empty ones and relative ones without an origin stay as they are.
func absolute(link, origin string) string {
	if link == "" || origin == "" || link[0] != '/' {
		return link
	}
	if isTemplate(link) {
		// Parsing would escape the markup; the rendered link is checked
		// per recipient (Renderer.Render).
		return strings.TrimSuffix(origin, "/") + link
	}
	base, err := url.Parse(origin + "/")
	if err != nil {
		return link
	}
	ref, err := url.Parse(link)
	if err != nil {
		return link
	}
	return base.ResolveReference(ref).String()
}

// PayloadFor is the payload to encrypt for a subscription of service:
// Apple's gets the declarative one when the notification has one besides
// its standard payload (format auto), everyone else the stored payload.
func (n *Notification) PayloadFor(service pushendpoint.Service) string {
	if service == pushendpoint.Apple && n.PayloadDeclarative != "" {
		return n.PayloadDeclarative
	}
	return n.Payload
}
