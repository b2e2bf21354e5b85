package httpapi

import (
	"net/http"
	"time"
)

// anyFile is a static file's type: JavaScript, CSS, ...
const anyFile = "*/*"

// Who may call a route.
const (
	authAdmin  = "admin"   // HERALD_ADMIN_TOKEN
	authAPIKey = "api_key" // one of the app's API keys
	authNone   = ""        // browsers, probes, scrapers
)

// route documents one gin route for /openapi.json. The router test checks
// that routes and the gin router name the same (method, path) pairs.
type route struct {
	method, path string // as gin spells them
	summary      string
	auth         string
	body         any    // request type; nil: no body
	bodyType     string // default application/json
	optionalBody bool
	status       int
	resp         any    // response type; nil: no JSON body
	respType     string // default application/json
	query        []string
	example      any
}

// Documentation types for answers a handler builds inline.
type (
	idView struct {
		ID string `json:"id"`
	}
	statusView struct {
		Status string `json:"status"`
	}
	publicKeyView struct {
		PublicKey string `json:"public_key"`
	}
	acceptedView struct {
		ID       string        `json:"id"`
		Status   string        `json:"status"`
		Warnings []warningJSON `json:"warnings"`
	}
	createdAPIKeyView struct {
		ID        string    `json:"id"`
		APIKey    string    `json:"api_key"`
		Prefix    string    `json:"prefix"`
		CreatedAt time.Time `json:"created_at"`
	}
	deletedAppView struct {
		ID      string      `json:"id"`
		Deleted appContents `json:"deleted"`
	}
	replacedView struct {
		ID       string `json:"id"`
		Replaced string `json:"replaced"`
	}
	countedView struct {
		Counted bool `json:"counted"`
	}
	userTopicsView struct {
		UserID        string `json:"user_id"`
		Subscriptions int64  `json:"subscriptions"`
	}
	cancelledView struct {
		CancelKey string `json:"cancel_key"`
		Cancelled int64  `json:"cancelled"`
	}
	recentDeadLetters struct {
		DeadLetters []deadLetterView `json:"dead_letters"`
	}
	recentNotifications struct {
		Items []historyView `json:"items"`
	}
)

var (
	pageQuery        = []string{"limit", "after"}
	exampleApp       = map[string]any{"name": "Shop", "allowed_origins": []string{"https://shop.example"}}
	exampleSubscribe = map[string]any{
		"subscription": map[string]any{"endpoint": "https://fcm.googleapis.com/fcm/send/abc123", "expirationTime": nil,
			"keys": map[string]any{"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM", "auth": "tBHItJI5svbpez7KI4CCXg"}},
		"user_id": "user-42", "topics": []string{"news"}, "timezone": "Europe/Paris",
	}
	exampleNotification = map[string]any{
		"target":       map[string]any{"topics": []string{"news"}},
		"notification": map[string]any{"title": "Sale", "body": "50% off today", "url": "https://shop.example/sale"},
		"ttl":          3600, "urgency": "normal",
	}
)

func routes() []route {
	return append([]route{
		{method: "GET", path: "/healthz", summary: "The process is alive", status: 200, resp: statusView{}},
		{method: "GET", path: "/readyz", summary: "The database and Redis answer", status: 200, resp: statusView{}},
		{method: "GET", path: "/metrics", summary: "Prometheus metrics", status: 200, respType: "text/plain"},
		{method: "GET", path: "/openapi.json", summary: "This description", status: 200, respType: "application/json"},

		{method: "POST", path: "/v1/apps", summary: "Create an app (imports a VAPID pair when given)", auth: authAdmin, body: createAppRequest{}, status: 201, resp: createdAppView{}, example: exampleApp},
		{method: "GET", path: "/v1/apps", summary: "List apps", auth: authAdmin, status: 200, resp: listView[appView]{}, query: pageQuery},
		{method: "GET", path: "/v1/apps/:app_id", summary: "Get an app and its settings", auth: authAdmin, status: 200, resp: appView{}},
		{method: "PATCH", path: "/v1/apps/:app_id", summary: "Change an app's name, origins or settings (null resets a setting)", auth: authAdmin, body: patchAppRequest{}, status: 200, resp: appView{}, example: map[string]any{"allowed_origins": []string{"http://127.0.0.1:8080"}}},
		{method: "DELETE", path: "/v1/apps/:app_id", summary: "Delete an app and all of it; refused while sending unless force=true", auth: authAdmin, status: 200, resp: deletedAppView{}, query: []string{"force"}},
		{method: "POST", path: "/v1/apps/:app_id/api-keys", summary: "Create an API key (shown once)", auth: authAdmin, status: 201, resp: createdAPIKeyView{}},
		{method: "GET", path: "/v1/apps/:app_id/api-keys", summary: "List an app's API keys (prefix, created, last used)", auth: authAdmin, status: 200, resp: listView[apiKeyView]{}},
		{method: "DELETE", path: "/v1/apps/:app_id/api-keys/:key_id", summary: "Revoke an API key", auth: authAdmin, status: 204},
		{method: "POST", path: "/v1/apps/:app_id/vapid-keys", summary: "Import a VAPID pair, or with no body rotate to a new one", auth: authAdmin, body: vapidKeyRequest{}, optionalBody: true, status: 201, resp: vapidKeyView{}},
		{method: "GET", path: "/v1/apps/:app_id/vapid-keys", summary: "List VAPID keys with the active subscriptions each holds", auth: authAdmin, status: 200, resp: listView[vapidKeyView]{}},
		{method: "DELETE", path: "/v1/apps/:app_id/vapid-keys/:key_id", summary: "Delete a retired VAPID key no active subscription holds", auth: authAdmin, status: 204},
		{method: "GET", path: "/v1/admin/stats", summary: "Fleet figures for the dashboard", auth: authAdmin, status: 200, resp: adminStats{}},
		{method: "GET", path: "/v1/admin/dead-letters", summary: "Recent dead letters of every app", auth: authAdmin, status: 200, resp: recentDeadLetters{}, query: []string{"limit"}},
		{method: "POST", path: "/v1/admin/dead-letters/:id/retry", summary: "Send any app's dead letter again", auth: authAdmin, status: 202, resp: deadLetterView{}},
		{method: "GET", path: "/v1/admin/notifications", summary: "The newest notifications of every app with their counts", auth: authAdmin, status: 200, resp: recentNotifications{}, query: []string{"limit"}},
		{method: "GET", path: "/v1/admin/notifications/:id", summary: "Any app's notification with its counts and its A/B variants' counts and engagement (the dashboard's detail)", auth: authAdmin, status: 200, resp: notificationView{}},
		{method: "POST", path: "/v1/admin/notifications/:id/dead-letters/retry", summary: "Send all of any app's notification's dead letters again", auth: authAdmin, status: 202, resp: retriedView{}},

		{method: "OPTIONS", path: "/v1/apps/:app_id/*any", summary: "CORS preflight for the app's allowed origins", status: 204},
		{method: "GET", path: "/v1/apps/:app_id/vapid-public-key", summary: "The key a page passes as applicationServerKey", status: 200, resp: publicKeyView{}},
		{method: "POST", path: "/v1/apps/:app_id/subscriptions", summary: "Subscribe a browser (201 new, 200 known endpoint)", body: subscribeRequest{}, status: 201, resp: idView{}, example: exampleSubscribe},
		{method: "POST", path: "/v1/apps/:app_id/subscriptions/replace", summary: "Move a subscription to the endpoint the browser replaced it with", body: replaceRequest{}, status: 200, resp: replacedView{}},
		{method: "OPTIONS", path: "/v1/events", summary: "CORS preflight for engagement reports", status: 204},
		{method: "POST", path: "/v1/events", summary: "A service worker's report: received, clicked or dismissed", body: eventRequest{}, status: 202, resp: countedView{}},
		{method: "GET", path: "/v1/clicks/:id", summary: "A signed click link: counts the click once per browser, then redirects to its target", status: http.StatusFound, query: []string{"a", "u", "s"}},

		{method: "POST", path: "/v1/subscriptions", summary: "Subscribe a browser from the app's backend", auth: authAPIKey, body: subscribeRequest{}, status: 201, resp: idView{}, example: exampleSubscribe},
		{method: "GET", path: "/v1/subscriptions", summary: "List subscriptions by user, topic and status", auth: authAPIKey, status: 200, resp: listView[subscriptionView]{}, query: append([]string{"user_id", "topic", "status"}, pageQuery...)},
		{method: "POST", path: "/v1/subscriptions/import", summary: "Import subscriptions: NDJSON, one PushSubscription (or web-push row) a line", auth: authAPIKey, body: importLine{}, bodyType: "application/x-ndjson", status: 200, resp: importResult{}},
		{method: "GET", path: "/v1/subscriptions/export", summary: "Export subscriptions as NDJSON (imports as it is)", auth: authAPIKey, status: 200, resp: exportLine{}, respType: "application/x-ndjson", query: []string{"user_id", "topic", "status"}},
		{method: "GET", path: "/v1/subscriptions/:id", summary: "Get a subscription", auth: authAPIKey, status: 200, resp: subscriptionView{}},
		{method: "PATCH", path: "/v1/subscriptions/:id", summary: "Change a subscription's topics, user, time zone or attributes (a merge patch: null removes a key)", auth: authAPIKey, body: patchSubscriptionRequest{}, status: 200, resp: subscriptionView{}, example: map[string]any{"topics": []string{"news", "deals"}, "user_id": nil, "attributes": map[string]any{"plan": "pro", "coupon": nil}}},
		{method: "DELETE", path: "/v1/subscriptions/:id", summary: "Unsubscribe", auth: authAPIKey, status: 204},
		{method: "POST", path: "/v1/users/:user_id/topics", summary: "Add or remove topics on all of a user's subscriptions", auth: authAPIKey, body: userTopicsRequest{}, status: 200, resp: userTopicsView{}, example: map[string]any{"add": []string{"deals"}, "remove": []string{"news"}}},
		{method: "GET", path: "/v1/users/:user_id/attributes", summary: "A user's own attributes (under its subscriptions' in personalised content)", auth: authAPIKey, status: 200, resp: userAttributesView{}},
		{method: "PUT", path: "/v1/users/:user_id/attributes", summary: "Replace a user's attributes ({} removes them)", auth: authAPIKey, body: userAttributesRequest{}, status: 200, resp: userAttributesView{}, example: map[string]any{"attributes": map[string]string{"first_name": "Ann", "plan": "pro"}}},
		{method: "PATCH", path: "/v1/users/:user_id/attributes", summary: "Merge into a user's attributes (a merge patch: null removes a key)", auth: authAPIKey, body: patchUserAttributesRequest{}, status: 200, resp: userAttributesView{}, example: map[string]any{"attributes": map[string]any{"plan": "pro", "coupon": nil}}},
		{method: "DELETE", path: "/v1/users/:user_id/attributes", summary: "Remove a user's attributes", auth: authAPIKey, status: 204},
		{method: "GET", path: "/v1/topics", summary: "Topics with their active subscribers (counted at most 30 s ago)", auth: authAPIKey, status: 200, resp: listView[topicView]{}, query: pageQuery},
		{method: "POST", path: "/v1/segments/preview", summary: "How many active subscriptions a segment reaches", auth: authAPIKey, body: previewRequest{}, status: 200, resp: previewView{}, example: map[string]any{"segment": "news && !sport"}},
		{method: "POST", path: "/v1/notifications", summary: "Send a notification (Idempotency-Key header optional)", auth: authAPIKey, body: createNotificationRequest{}, status: 202, resp: acceptedView{}, example: exampleNotification},
		{method: "GET", path: "/v1/notifications", summary: "Notification history, newest first, with counts", auth: authAPIKey, status: 200, resp: listView[notificationView]{}, query: append([]string{"status", "since"}, pageQuery...)},
		{method: "DELETE", path: "/v1/notifications", summary: "Cancel every unsent notification with cancel_key", auth: authAPIKey, status: 200, resp: cancelledView{}, query: []string{"cancel_key"}},
		{method: "GET", path: "/v1/notifications/:id", summary: "A notification's status, counts and warnings", auth: authAPIKey, status: 200, resp: notificationView{}},
		{method: "DELETE", path: "/v1/notifications/:id", summary: "Cancel what has not been sent yet", auth: authAPIKey, status: 200, resp: notificationView{}},
		{method: "GET", path: "/v1/dead-letters", summary: "List dead letters", auth: authAPIKey, status: 200, resp: listView[deadLetterView]{}, query: pageQuery},
		{method: "POST", path: "/v1/dead-letters/:id/retry", summary: "Send a dead letter again", auth: authAPIKey, status: 202, resp: deadLetterView{}},
		{method: "POST", path: "/v1/notifications/:id/dead-letters/retry", summary: "Send all of a notification's dead letters again", auth: authAPIKey, status: 202, resp: retriedView{}},
		{method: "GET", path: "/v1/stats", summary: "Queues and delivery figures", auth: authAPIKey, status: 200, resp: appStats{}},

		{method: "GET", path: "/sdk/herald.js", summary: "The browser SDK", status: 200, respType: "text/javascript"},
		{method: "GET", path: "/sdk/herald.mjs", summary: "The browser SDK as an ES module", status: 200, respType: "text/javascript"},
		{method: "GET", path: "/sdk/herald-sw.js", summary: "The service worker", status: 200, respType: "text/javascript"},
		{method: "GET", path: "/demo", summary: "Redirects to /demo/", status: http.StatusFound},
		{method: "GET", path: "/demo/", summary: "The demo page", status: 200, respType: "text/html"},
		{method: "GET", path: "/demo/sw.js", summary: "The demo's service worker", status: 200, respType: "text/javascript"},
		{method: "GET", path: "/demo/demo.js", summary: "The demo page's script", status: 200, respType: "text/javascript"},
		{method: "GET", path: "/dashboard", summary: "The operations dashboard", status: 200, respType: "text/html"},
		{method: "GET", path: "/dashboard/assets/:file", summary: "The dashboard's scripts and styles", status: 200, respType: anyFile},
	}, webhookDocs()...)
}
