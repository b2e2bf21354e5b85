package notification

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
)

// contentJSON is Content as the service worker decrypts it and as the
// notifications table keeps it: the contract's field names.
type contentJSON struct {
	Title              string          `json:"title"`
	Body               string          `json:"body,omitempty"`
	Icon               string          `json:"icon,omitempty"`
	Badge              string          `json:"badge,omitempty"`
	Image              string          `json:"image,omitempty"`
	URL                string          `json:"url,omitempty"`
	Tag                string          `json:"tag,omitempty"`
	Lang               string          `json:"lang,omitempty"`
	Dir                string          `json:"dir,omitempty"`
	Actions            []actionJSON    `json:"actions,omitempty"`
	Data               json.RawMessage `json:"data,omitempty"`
	RequireInteraction bool            `json:"require_interaction,omitempty"`
	Renotify           bool            `json:"renotify,omitempty"`
	Silent             bool            `json:"silent,omitempty"`
	Vibrate            []int           `json:"vibrate,omitempty"`
}

type actionJSON struct {
	Action string `json:"action"`
	Title  string `json:"title"`
	URL    string `json:"url,omitempty"`
	Icon   string `json:"icon,omitempty"`
}

func (c Content) toJSON() contentJSON {
	j := contentJSON{Title: c.Title, Body: c.Body, Icon: c.Icon, Badge: c.Badge, Image: c.Image, URL: c.URL, Tag: c.Tag, Lang: c.Lang, Dir: c.Dir,
		Data: c.Data, RequireInteraction: c.RequireInteraction, Renotify: c.Renotify, Silent: c.Silent, Vibrate: c.Vibrate}
	for _, a := range c.Actions {
		j.Actions = append(j.Actions, actionJSON(a))
	}
	return j
}

func (j contentJSON) content() Content {
	c := Content{Title: j.Title, Body: j.Body, Icon: j.Icon, Badge: j.Badge, Image: j.Image, URL: j.URL, Tag: j.Tag, Lang: j.Lang, Dir: j.Dir,
		Data: j.Data, RequireInteraction: j.RequireInteraction, Renotify: j.Renotify, Silent: j.Silent, Vibrate: j.Vibrate}
	for _, a := range j.Actions {
		c.Actions = append(c.Actions, Action(a))
	}
	return c
}

// Value stores Content as its JSON (database/sql).
func (c Content) Value() (driver.Value, error) {
	b, err := json.Marshal(c.toJSON())
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
	var j contentJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("decode content: %w", err)
	}
	*c = j.content()
	return nil
}
