package heraldclient

import (
	"context"
	"net/http"
	"time"
)

// UserAttributes is a user's own attributes: personalised notifications
// read them under its subscriptions' attributes. UpdatedAt is nil when the
// user has none stored.
type UserAttributes struct {
	Raw
	UserID     string            `json:"user_id"`
	Attributes map[string]string `json:"attributes"`
	UpdatedAt  *time.Time        `json:"updated_at"`
}

func userAttributesPath(userID string) string {
	return "/v1/users/" + pathEscape(userID) + "/attributes"
}

// GetUserAttributes returns the user's attributes (none stored is no error).
func (c *Client) GetUserAttributes(ctx context.Context, userID string) (*UserAttributes, error) {
	var out UserAttributes
	_, err := c.doJSON(ctx, http.MethodGet, userAttributesPath(userID), apiKey, nil, &out)
	return ret(&out, err)
}

// SetUserAttributes replaces the user's attributes (empty removes them).
func (c *Client) SetUserAttributes(ctx context.Context, userID string, attrs map[string]string) (*UserAttributes, error) {
	if attrs == nil {
		attrs = map[string]string{}
	}
	var out UserAttributes
	_, err := c.doJSON(ctx, http.MethodPut, userAttributesPath(userID), apiKey, map[string]any{"attributes": attrs}, &out)
	return ret(&out, err)
}

// UpdateUserAttributes merges changes into the user's attributes: a key
// with a nil value is removed, keys not named stay.
func (c *Client) UpdateUserAttributes(ctx context.Context, userID string, changes map[string]*string) (*UserAttributes, error) {
	if changes == nil {
		changes = map[string]*string{}
	}
	var out UserAttributes
	_, err := c.doJSON(ctx, http.MethodPatch, userAttributesPath(userID), apiKey, map[string]any{"attributes": changes}, &out)
	return ret(&out, err)
}

// DeleteUserAttributes removes the user's attributes.
func (c *Client) DeleteUserAttributes(ctx context.Context, userID string) error {
	_, err := c.doJSON(ctx, http.MethodDelete, userAttributesPath(userID), apiKey, nil, nil)
	return err
}
