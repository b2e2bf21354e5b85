package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
)

// createAppRequest is the body of POST /v1/apps; the settings are those of
// PATCH, flat beside the name.
type createAppRequest struct {
	Name            string   `json:"name"`
	AllowedOrigins  []string `json:"allowed_origins"`
	VAPIDPublicKey  string   `json:"vapid_public_key"`
	VAPIDPrivateKey string   `json:"vapid_private_key"`
	app.Settings
}

// patchAppRequest is the body of PATCH /v1/apps/{id}: what it names
// changes, the rest stays. Settings are decoded over the current ones, so
// nested objects merge and null resets a setting to Herald's default.
type patchAppRequest struct {
	Name           *string   `json:"name"`
	AllowedOrigins *[]string `json:"allowed_origins"`
	app.Settings
}

// appView is an app as the admin routes show it, settings flat.
type appView struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	AllowedOrigins []string  `json:"allowed_origins"`
	VAPIDPublicKey string    `json:"vapid_public_key"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	app.Settings
}

func viewApp(a *app.App, vapidPublicKey string) appView {
	origins := a.AllowedOrigins()
	if origins == nil {
		origins = []string{}
	}
	return appView{ID: a.ID, Name: a.Name, AllowedOrigins: origins, VAPIDPublicKey: vapidPublicKey,
		CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC(), Settings: a.Settings}
}

// createdAppView is what POST /v1/apps answers: the app and, once only,
// its first API key and its identity secret.
type createdAppView struct {
	appView
	APIKey         string `json:"api_key"`
	APIKeyID       string `json:"api_key_id"`
	IdentitySecret string `json:"identity_secret"`
}

// createApp answers POST /v1/apps. The API key and identity secret are shown
// only in this response.
func (a *api) createApp(c *gin.Context) error {
	var req createAppRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	created, err := a.Apps.Create(c.Request.Context(), app.CreateInput{
		Name: req.Name, AllowedOrigins: req.AllowedOrigins, Settings: req.Settings,
		VAPIDPublicKey: req.VAPIDPublicKey, VAPIDPrivateKey: req.VAPIDPrivateKey,
	})
	if err != nil {
		return err
	}
	a.Log.Info("app created", "app_id", created.App.ID, "name", created.App.Name, "vapid_imported", req.VAPIDPrivateKey != "")
	c.JSON(http.StatusCreated, createdAppView{
		appView: viewApp(created.App, created.VAPIDPublicKey),
		APIKey:  created.APIKey, APIKeyID: created.APIKeyID, IdentitySecret: created.IdentitySecret,
	})
	return nil
}

func (a *api) listApps(c *gin.Context) error {
	page, err := readPage(c)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	apps, next, err := a.Apps.List(ctx, page)
	if err != nil {
		return err
	}
	ids := make([]string, len(apps))
	for i := range apps {
		ids[i] = apps[i].ID
	}
	keys, err := a.Apps.ActiveVAPIDKeys(ctx, ids)
	if err != nil {
		return err
	}
	writeList(c, mapItems(apps, func(x app.App) appView { return viewApp(&x, keys[x.ID]) }), next)
	return nil
}

func (a *api) getApp(c *gin.Context) error {
	found, err := a.Apps.Get(c.Request.Context(), c.Param("app_id"))
	if err != nil {
		return err
	}
	return a.writeApp(c, found)
}

func (a *api) writeApp(c *gin.Context, found *app.App) error {
	key, err := a.Apps.ActiveVAPIDKey(c.Request.Context(), found.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewApp(found, key.PublicKey))
	return nil
}

func (a *api) patchApp(c *gin.Context) error {
	ctx := c.Request.Context()
	current, err := a.Apps.Get(ctx, c.Param("app_id"))
	if err != nil {
		return err
	}
	req := patchAppRequest{Settings: current.Settings}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	updated, err := a.Apps.Update(ctx, current.ID, app.Update{Name: req.Name, AllowedOrigins: req.AllowedOrigins, Settings: &req.Settings})
	if err != nil {
		return err
	}
	a.Log.Info("app updated", "app_id", updated.ID)
	return a.writeApp(c, updated)
}
