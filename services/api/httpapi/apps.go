package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
)

type createAppRequest struct {
	Name           string   `json:"name"`
	AllowedOrigins []string `json:"allowed_origins"`
}

// createApp answers POST /v1/apps. The API key and identity secret are shown
// only in this response.
func (a *api) createApp(c *gin.Context) error {
	var req createAppRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	created, err := a.Apps.Create(c.Request.Context(), app.CreateInput{Name: req.Name, AllowedOrigins: req.AllowedOrigins})
	if err != nil {
		return err
	}
	a.Log.Info("app created", "app_id", created.App.ID, "name", created.App.Name)
	c.JSON(http.StatusCreated, gin.H{
		"id":               created.App.ID,
		"name":             created.App.Name,
		"allowed_origins":  created.App.AllowedOrigins(),
		"vapid_public_key": created.VAPIDPublicKey,
		"api_key":          created.APIKey,
		"identity_secret":  created.IdentitySecret,
		"created_at":       created.App.CreatedAt,
	})
	return nil
}
