package app

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/textcheck"
)

// Settings are an app's options beyond its name and origins: PATCH
// /v1/apps/{id} changes them (a field left out stays, null resets it) and
// GET /v1/apps/{id} shows them. To add a setting, add a field here and
// nothing else:
//
//   - a pointer, slice or map, so that nil means Herald's default and a
//     PATCH with null resets it; nested objects are merged field by field,
//     as JSON merge patch (RFC 7386) does;
//   - its `json` name, the snake_case name PATCH takes, and a `doc` tag:
//     GET /openapi.json derives the settings' schema from this struct and
//     uses the tag as the field's description;
//   - when its values need checking, a `Validate() error` method on its
//     type, returning a fault with the code invalid_<json name> and a
//     message saying what to send instead: Validate calls it.
//
// Settings are stored as one JSON object; keys this release does not know
// (written by a newer one during a rollout) are kept when it saves.
type Settings struct {
	DefaultTTL *TTL `json:"default_ttl" doc:"seconds a push service keeps a notification sent without ttl (0 to 2419200); null: 86400"`
	// The delivery settings (delivery.go): what pkg/delivery's gates and
	// the notification defaults read.
	QuietHours        *QuietHours   `json:"quiet_hours" doc:"daily window of each recipient's local time in which messages wait until it ends, unless time_sensitive or urgency high: {\"start\": \"22:00\", \"end\": \"08:00\"}; null: none"`
	FrequencyCaps     FrequencyCaps `json:"frequency_caps" doc:"at most max notifications per recipient (a user, or a subscription without one) in any window, per user, category or topic: [{\"per\": \"user\", \"max\": 5, \"window\": \"1h\"}]; a recipient over a cap gets the outcome capped; null: none"`
	DefaultTimezone   *Timezone     `json:"default_timezone" doc:"IANA time zone of subscriptions that sent none, for quiet hours and send_at_local; null: UTC"`
	Retention         *Retention    `json:"retention" doc:"how long this app's notifications (with their deliveries and events) and dead letters are kept, when shorter than the fleet's HERALD_RETENTION_*: {\"notifications\": \"30d\", \"dead_letters\": \"7d\"}, days or a duration of at least 1h; null: the fleet's"`
	ThrottlePerMinute *Throttle     `json:"throttle_per_minute" doc:"most sends a minute, fleet-wide, of a notification that names no throttle_per_minute (1 to 10000000); null: unthrottled"`
	// The browser settings (browsers.go).
	ClickTracking     *ClickTracking     `json:"click_tracking" doc:"how clicks are counted where no service worker reports them: off, link (url and actions' urls become signed Herald links under HERALD_PUBLIC_URL that count the click once per browser and redirect) or page (the target gets herald_click, which herald.js on the landing page reports); null: off"`
	UnresponsiveAfter *UnresponsiveAfter `json:"unresponsive_after" doc:"when a subscription whose browser reported receipts before becomes unresponsive (left out of sends until its next receipt or subscribe): no receipt for the last notifications pushes its push service accepted, over at least days days: {\"notifications\": 10, \"days\": 7}; notifications 0 turns it off; null: 10 over 7 days"`
	VAPIDSubject      *VAPIDSubject      `json:"vapid_subject" doc:"the VAPID sub claim of this app's pushes instead of HERALD_VAPID_SUBJECT: a mailto: address or https: URL on a real domain (Apple's push service refuses others with 403 BadJwtToken); null: HERALD_VAPID_SUBJECT"`
	DefaultFormat     *PayloadFormat     `json:"default_format" doc:"payload format of notifications that name none: auto (WebKit's Declarative Web Push JSON to Apple's push service, Herald's standard JSON elsewhere), standard or declarative; null: auto"`
	// What browsers may do on the public routes.
	PublicTopics PublicTopics `json:"public_topics" doc:"the only topics a browser may join through the public subscribe route (a backend with an API key sets any); [] allows none; null: any topic"`
}

// Limits of public_topics; a topic's are the subscription package's.
const (
	MaxPublicTopics      = 1000
	MaxPublicTopicLength = 100
)

// PublicTopics are the topics the public subscribe route accepts, so that a
// stranger's script cannot join an internal topic and receive what it gets.
type PublicTopics []string

// Validate implements settingValidator.
func (t PublicTopics) Validate() error {
	if len(t) > MaxPublicTopics {
		return fault.Invalid("invalid_public_topics", "at most %d public_topics", MaxPublicTopics)
	}
	for _, topic := range t {
		if !textcheck.Identifier(topic, MaxPublicTopicLength) {
			return fault.Invalid("invalid_public_topics", "each of public_topics must be 1 to %d printable characters, as subscriptions' topics are", MaxPublicTopicLength)
		}
	}
	return nil
}

// TTL is a time to live in seconds, as push services take it.
type TTL int

// MaxTTL is 28 days, the longest the push services keep a message (the
// notification package's limit too).
const MaxTTL = 2419200

// Validate implements settingValidator.
func (t TTL) Validate() error {
	if t < 0 || t > MaxTTL {
		return fault.Invalid("invalid_default_ttl", "default_ttl must be 0 to %d seconds", MaxTTL)
	}
	return nil
}

// settingValidator is a setting's type that checks its own values.
type settingValidator interface{ Validate() error }

// Validate checks every setting that is set.
func (s Settings) Validate() error {
	v := reflect.ValueOf(s)
	for i := range v.NumField() {
		f := v.Field(i)
		if f.IsZero() {
			continue
		}
		if check, ok := f.Interface().(settingValidator); ok {
			if err := check.Validate(); err != nil {
				return err
			}
		}
	}
	return nil
}

// decodeSettings reads stored settings; unknown keys are ignored here and
// kept by encodeSettings.
func decodeSettings(stored string) (Settings, error) {
	var s Settings
	if stored == "" {
		return s, nil
	}
	if err := json.Unmarshal([]byte(stored), &s); err != nil {
		return s, fmt.Errorf("app settings: %w", err)
	}
	return s, nil
}

// encodeSettings writes s over the stored JSON: the settings this release
// knows are replaced (removed when nil), the others kept.
func encodeSettings(stored string, s Settings) (string, error) {
	merged := map[string]json.RawMessage{}
	if stored != "" {
		if err := json.Unmarshal([]byte(stored), &merged); err != nil {
			return "", fmt.Errorf("app settings: %w", err)
		}
	}
	known, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("app settings: %w", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(known, &fields); err != nil {
		return "", fmt.Errorf("app settings: %w", err)
	}
	for name, value := range fields {
		if string(value) == "null" {
			delete(merged, name)
		} else {
			merged[name] = value
		}
	}
	out, err := json.Marshal(merged)
	if err != nil {
		return "", fmt.Errorf("app settings: %w", err)
	}
	return string(out), nil
}
