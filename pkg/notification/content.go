package notification

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
)

// ContentJSON is Content as the contract names its fields: what the API
// takes and answers under "notification", what the service worker decrypts
// and what the notifications table keeps. One type for all of them, so the
// API cannot drift from the payload.
type ContentJSON struct {
	Title              string          `json:"title"`
	Body               string          `json:"body,omitempty"`
	Icon               string          `json:"icon,omitempty"`
	Badge              string          `json:"badge,omitempty"`
	Image              string          `json:"image,omitempty"`
	URL                string          `json:"url,omitempty"`
	Tag                string          `json:"tag,omitempty"`
	Lang               string          `json:"lang,omitempty"`
	Dir                string          `json:"dir,omitempty"`
	Actions            []ActionJSON    `json:"actions,omitempty"`
	Data               json.RawMessage `json:"data,omitempty"`
	RequireInteraction bool            `json:"require_interaction,omitempty"`
	Renotify           bool            `json:"renotify,omitempty"`
	Silent             bool            `json:"silent,omitempty"`
	Vibrate            []int           `json:"vibrate,omitempty"`
}

// ActionJSON is Action as the contract names its fields.
type ActionJSON struct {
	Action string `json:"action"`
	Title  string `json:"title"`
	URL    string `json:"url,omitempty"`
	Icon   string `json:"icon,omitempty"`
}

// JSON is c as the contract spells it.
func (c Content) JSON() ContentJSON {
	j := ContentJSON{Title: c.Title, Body: c.Body, Icon: c.Icon, Badge: c.Badge, Image: c.Image, URL: c.URL, Tag: c.Tag, Lang: c.Lang, Dir: c.Dir,
		Data: c.Data, RequireInteraction: c.RequireInteraction, Renotify: c.Renotify, Silent: c.Silent, Vibrate: c.Vibrate}
	for _, a := range c.Actions {
		j.Actions = append(j.Actions, ActionJSON(a))
	}
	return j
}

// Content is the content j spells.
func (j ContentJSON) Content() Content {
	c := Content{Title: j.Title, Body: j.Body, Icon: j.Icon, Badge: j.Badge, Image: j.Image, URL: j.URL, Tag: j.Tag, Lang: j.Lang, Dir: j.Dir,
		Data: j.Data, RequireInteraction: j.RequireInteraction, Renotify: j.Renotify, Silent: j.Silent, Vibrate: j.Vibrate}
	for _, a := range j.Actions {
		c.Actions = append(c.Actions, Action(a))
	}
	return c
}

// Value stores Content as its JSON (database/sql).
func (c Content) Value() (driver.Value, error) {
	b, err := json.Marshal(c.JSON())
	if err != nil {
		return nil, fmt.Errorf("encode content: %w", err)
	}
	return string(b), nil
}

// Scan reads Content stored by Value.
func (c *Content) Scan(v any) error {
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("content: cannot scan %T", v)
	}
	var j ContentJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("decode content: %w", err)
	}
	*c = j.Content()
	return nil
}
