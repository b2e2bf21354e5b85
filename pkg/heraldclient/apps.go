package heraldclient

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// App is a tenant as the admin routes show it. Settings holds every app
// setting (quiet_hours, frequency_caps, default_ttl, ...) by its JSON name,
// as the server sent it, so settings newer than this client come through.
type App struct {
	Raw
	ID             string                     `json:"id"`
	Name           string                     `json:"name"`
	AllowedOrigins []string                   `json:"allowed_origins"`
	VAPIDPublicKey string                     `json:"vapid_public_key"`
	CreatedAt      time.Time                  `json:"created_at"`
	UpdatedAt      time.Time                  `json:"updated_at"`
	Settings       map[string]json.RawMessage `json:"-"`
}

// appFields are App's own fields; the rest of an app's JSON is Settings.
var appFields = map[string]bool{"id": true, "name": true, "allowed_origins": true, "vapid_public_key": true,
	"created_at": true, "updated_at": true, "api_key": true, "api_key_id": true, "identity_secret": true}

// UnmarshalJSON decodes the fields and gathers the settings.
func (a *App) UnmarshalJSON(data []byte) error {
	type plain App
	var p plain
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	p.Settings = map[string]json.RawMessage{}
	for k, v := range all {
		if !appFields[k] {
			p.Settings[k] = v
		}
	}
	*a = App(p)
	return nil
}

// CreatedApp is what CreateApp answers: the app and, once only, its first
// API key and its identity secret (for user_hash).
type CreatedApp struct {
	App
	APIKey         string `json:"api_key"`
	APIKeyID       string `json:"api_key_id"`
	IdentitySecret string `json:"identity_secret"`
}

// UnmarshalJSON decodes the app and its credentials.
func (c *CreatedApp) UnmarshalJSON(data []byte) error {
	if err := c.App.UnmarshalJSON(data); err != nil {
		return err
	}
	var creds struct {
		APIKey         string `json:"api_key"`
		APIKeyID       string `json:"api_key_id"`
		IdentitySecret string `json:"identity_secret"`
	}
	if err := json.Unmarshal(data, &creds); err != nil {
		return err
	}
	c.APIKey, c.APIKeyID, c.IdentitySecret = creds.APIKey, creds.APIKeyID, creds.IdentitySecret
	return nil
}

// CreateAppRequest is POST /v1/apps. VAPIDPublicKey and VAPIDPrivateKey
// import a key pair (as `web-push generate-vapid-keys` or `heraldctl vapid
// generate` print it); without them Herald generates one. Settings are
// app settings by JSON name.
type CreateAppRequest struct {
	Name            string
	AllowedOrigins  []string
	VAPIDPublicKey  string
	VAPIDPrivateKey string
	Settings        map[string]any
}

func (r *CreateAppRequest) body() map[string]any {
	b := map[string]any{}
	for k, v := range r.Settings {
		b[k] = v
	}
	b["name"] = r.Name
	origins := r.AllowedOrigins
	if origins == nil {
		origins = []string{}
	}
	b["allowed_origins"] = origins
	if r.VAPIDPublicKey != "" || r.VAPIDPrivateKey != "" {
		b["vapid_public_key"], b["vapid_private_key"] = r.VAPIDPublicKey, r.VAPIDPrivateKey
	}
	return b
}

// AppUpdate is PATCH /v1/apps/{id}: what it sets changes, the rest stays.
// A Settings entry whose value is nil resets that setting to the default.
type AppUpdate struct {
	Name           *string
	AllowedOrigins *[]string
	Settings       map[string]any
}

func (u *AppUpdate) body() map[string]any {
	b := map[string]any{}
	for k, v := range u.Settings {
		b[k] = v
	}
	if u.Name != nil {
		b["name"] = *u.Name
	}
	if u.AllowedOrigins != nil {
		origins := *u.AllowedOrigins
		if origins == nil {
			origins = []string{}
		}
		b["allowed_origins"] = origins
	}
	return b
}

// AppContents counts what deleting an app deletes.
type AppContents struct {
	Subscriptions int64 `json:"subscriptions"`
	Notifications int64 `json:"notifications"`
	InProgress    int64 `json:"notifications_in_progress"`
	DeadLetters   int64 `json:"dead_letters"`
	APIKeys       int   `json:"api_keys"`
	VAPIDKeys     int   `json:"vapid_keys"`
}

// DeletedApp is what DeleteApp answers.
type DeletedApp struct {
	Raw
	ID      string      `json:"id"`
	Deleted AppContents `json:"deleted"`
}

// CreateApp creates an app (admin).
func (c *Client) CreateApp(ctx context.Context, req *CreateAppRequest) (*CreatedApp, error) {
	var out CreatedApp
	_, err := c.doJSON(ctx, http.MethodPost, "/v1/apps", admin, req.body(), &out)
	return ret(&out, err)
}

// ListApps lists apps, oldest first (admin).
func (c *Client) ListApps(ctx context.Context, opts ListOptions) (*Page[App], error) {
	var out Page[App]
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/v1/apps", query: opts.query(), cred: admin, replayable: true}, &out)
	return ret(&out, err)
}

// GetApp returns one app (admin).
func (c *Client) GetApp(ctx context.Context, id string) (*App, error) {
	var out App
	_, err := c.doJSON(ctx, http.MethodGet, "/v1/apps/"+pathEscape(id), admin, nil, &out)
	return ret(&out, err)
}

// UpdateApp changes an app's name, origins or settings (admin).
func (c *Client) UpdateApp(ctx context.Context, id string, u *AppUpdate) (*App, error) {
	var out App
	_, err := c.doJSON(ctx, http.MethodPatch, "/v1/apps/"+pathEscape(id), admin, u.body(), &out)
	return ret(&out, err)
}

// DeleteApp deletes an app and everything of it (admin). While its
// notifications are scheduled, queued or sending the server refuses
// (409 app_busy, naming what it would delete) unless force is true.
func (c *Client) DeleteApp(ctx context.Context, id string, force bool) (*DeletedApp, error) {
	cl := call{method: http.MethodDelete, path: "/v1/apps/" + pathEscape(id), cred: admin, replayable: true}
	if force {
		cl.query = url.Values{"force": {"true"}}
	}
	var out DeletedApp
	_, err := c.do(ctx, cl, &out)
	return ret(&out, err)
}

// APIKey is one of an app's API keys as listed: never the key itself.
type APIKey struct {
	Raw
	ID         string     `json:"id"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"` // to the minute
}

// CreatedAPIKey is a new API key, shown only once.
type CreatedAPIKey struct {
	Raw
	ID        string    `json:"id"`
	APIKey    string    `json:"api_key"`
	Prefix    string    `json:"prefix"`
	CreatedAt time.Time `json:"created_at"`
}

// CreateAPIKey adds an API key to an app; the others stay valid (admin).
func (c *Client) CreateAPIKey(ctx context.Context, appID string) (*CreatedAPIKey, error) {
	var out CreatedAPIKey
	_, err := c.doJSON(ctx, http.MethodPost, "/v1/apps/"+pathEscape(appID)+"/api-keys", admin, nil, &out)
	return ret(&out, err)
}

// ListAPIKeys lists an app's API keys (admin).
func (c *Client) ListAPIKeys(ctx context.Context, appID string) (*Page[APIKey], error) {
	var out Page[APIKey]
	_, err := c.doJSON(ctx, http.MethodGet, "/v1/apps/"+pathEscape(appID)+"/api-keys", admin, nil, &out)
	return ret(&out, err)
}

// RevokeAPIKey revokes one API key of an app (admin).
func (c *Client) RevokeAPIKey(ctx context.Context, appID, keyID string) error {
	_, err := c.doJSON(ctx, http.MethodDelete, "/v1/apps/"+pathEscape(appID)+"/api-keys/"+pathEscape(keyID), admin, nil, nil)
	return err
}

// VAPIDKey is one of an app's VAPID keys: never the private key.
type VAPIDKey struct {
	Raw
	ID                  string     `json:"id"`
	PublicKey           string     `json:"public_key"`
	Active              bool       `json:"active"`
	ActiveSubscriptions int64      `json:"active_subscriptions"` // still signed with this key
	CreatedAt           time.Time  `json:"created_at"`
	RetiredAt           *time.Time `json:"retired_at"`
}

// RotateVAPIDKey generates a VAPID key that becomes the app's active one;
// subscriptions made with the previous key keep being signed with it (admin).
func (c *Client) RotateVAPIDKey(ctx context.Context, appID string) (*VAPIDKey, error) {
	var out VAPIDKey
	_, err := c.doJSON(ctx, http.MethodPost, "/v1/apps/"+pathEscape(appID)+"/vapid-keys", admin, nil, &out)
	return ret(&out, err)
}

// ImportVAPIDKey makes an existing key pair (base64url, as web-push prints
// it) the app's active key (admin).
func (c *Client) ImportVAPIDKey(ctx context.Context, appID, publicKey, privateKey string) (*VAPIDKey, error) {
	var out VAPIDKey
	body := map[string]string{"public_key": publicKey, "private_key": privateKey}
	_, err := c.doJSON(ctx, http.MethodPost, "/v1/apps/"+pathEscape(appID)+"/vapid-keys", admin, body, &out)
	return ret(&out, err)
}

// ListVAPIDKeys lists an app's VAPID keys with how many active
// subscriptions each still holds (admin).
func (c *Client) ListVAPIDKeys(ctx context.Context, appID string) (*Page[VAPIDKey], error) {
	var out Page[VAPIDKey]
	_, err := c.doJSON(ctx, http.MethodGet, "/v1/apps/"+pathEscape(appID)+"/vapid-keys", admin, nil, &out)
	return ret(&out, err)
}

// DeleteVAPIDKey deletes a retired key no active subscription holds (admin).
func (c *Client) DeleteVAPIDKey(ctx context.Context, appID, keyID string) error {
	_, err := c.doJSON(ctx, http.MethodDelete, "/v1/apps/"+pathEscape(appID)+"/vapid-keys/"+pathEscape(keyID), admin, nil, nil)
	return err
}

// VAPIDPublicKey is the public route a page reads its applicationServerKey from.
func (c *Client) VAPIDPublicKey(ctx context.Context, appID string) (string, error) {
	var out struct {
		PublicKey string `json:"public_key"`
	}
	_, err := c.doJSON(ctx, http.MethodGet, "/v1/apps/"+pathEscape(appID)+"/vapid-public-key", public, nil, &out)
	return out.PublicKey, err
}

// ret returns out, or nil with err.
func ret[T any](out *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return out, nil
}
