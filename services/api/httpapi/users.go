package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/subscription"
)

var errAttributesRequired = fault.Invalid("invalid_attributes",
	"give \"attributes\": an object of strings (DELETE /v1/users/{user_id}/attributes removes them all)")

// userAttributesRequest is the body of PUT /v1/users/{user_id}/attributes:
// the whole map, replacing what the user had ({} removes it all; a null
// value is no key: subscription.ReplacementAttributes).
type userAttributesRequest struct {
	Attributes map[string]*string `json:"attributes" doc:"the user's attributes, replacing the stored ones ({} removes them all); a key whose value is null is not stored"`
}

// patchUserAttributesRequest is the body of PATCH
// /v1/users/{user_id}/attributes: a merge patch, as PATCH
// /v1/subscriptions/{id} takes (attributesPatch).
type patchUserAttributesRequest struct {
	Attributes json.RawMessage `json:"attributes" doc:"a JSON merge patch of the user's attributes: {\"plan\": \"pro\"} sets plan, {\"plan\": null} removes it, other keys stay; null removes them all"`
}

// userAttributesView answers the user attributes routes. updated_at is
// null when the user has none stored.
type userAttributesView struct {
	UserID     string            `json:"user_id"`
	Attributes map[string]string `json:"attributes"`
	UpdatedAt  *time.Time        `json:"updated_at"`
}

func viewUserAttributes(u *subscription.UserAttributes) userAttributesView {
	return userAttributesView{UserID: u.UserID, Attributes: u.Attributes, UpdatedAt: u.UpdatedAt}
}

func (a *api) getUserAttributes(c *gin.Context) error {
	u, err := a.Subscriptions.UserAttributes(c.Request.Context(), c.MustGet(ctxApp).(*app.App).ID, c.Param("user_id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewUserAttributes(u))
	return nil
}

func (a *api) putUserAttributes(c *gin.Context) error {
	var req userAttributesRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Attributes == nil {
		return errAttributesRequired
	}
	u, err := a.Subscriptions.SetUserAttributes(c.Request.Context(), c.MustGet(ctxApp).(*app.App).ID, c.Param("user_id"),
		subscription.ReplacementAttributes(req.Attributes))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewUserAttributes(u))
	return nil
}

func (a *api) patchUserAttributes(c *gin.Context) error {
	var req patchUserAttributesRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if len(req.Attributes) == 0 {
		return errAttributesRequired
	}
	p, err := attributesPatch(req.Attributes)
	if err != nil {
		return err
	}
	u, err := a.Subscriptions.PatchUserAttributes(c.Request.Context(), c.MustGet(ctxApp).(*app.App).ID, c.Param("user_id"), p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewUserAttributes(u))
	return nil
}

// deleteUserAttributes removes what Herald holds of the user beyond its
// subscriptions (204 whether there was any).
func (a *api) deleteUserAttributes(c *gin.Context) error {
	if err := a.Subscriptions.DeleteUserAttributes(c.Request.Context(), c.MustGet(ctxApp).(*app.App).ID, c.Param("user_id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
