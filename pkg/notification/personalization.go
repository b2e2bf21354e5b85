package notification

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/subscription"
)

// Limits of a request's personalization: {"<user_id>": {"<key>": value}}.
// Each user's data is what a subscription's attributes may be
// (pkg/subscription/attributes.go), since templates read both the same way;
// the whole is stored with the notification and loaded by every worker
// that renders it, so it has a bound of its own well under the body's.
const (
	MaxPersonalizedUsers     = 10000
	MaxPersonalizedKeys      = subscription.MaxAttributes          // per user
	MaxPersonalizedValue     = subscription.MaxAttributeValue      // characters of a string; bytes of any other value's JSON
	MaxPersonalizedUserBytes = subscription.MaxAttributesJSONBytes // one user's data as JSON
	MaxPersonalizationBytes  = 2 << 20                             // all of it as stored
)

// checkPersonalization validates per-user data and returns its stored
// JSON: a shape templates cannot use is invalid_personalization, data past
// a limit personalization_too_large (both 422), each naming the user and
// key and what to change.
func checkPersonalization(p map[string]map[string]any) (string, error) {
	if len(p) == 0 {
		return "", nil
	}
	if len(p) > MaxPersonalizedUsers {
		return "", fault.Invalid("personalization_too_large",
			"personalization holds %d users; at most %d fit one notification: send the rest in another, or set their data as subscription attributes",
			len(p), MaxPersonalizedUsers)
	}
	for user, data := range p {
		if user == "" || utf8.RuneCountInString(user) > subscription.MaxUserIDLength {
			return "", fault.Invalid("invalid_personalization", "personalization is keyed by user ids of 1 to %d characters", subscription.MaxUserIDLength)
		}
		if err := checkUserData(user, data); err != nil {
			return "", err
		}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "", fault.Invalid("invalid_personalization", "personalization: %v", err)
	}
	if len(b) > MaxPersonalizationBytes {
		return "", fault.Invalid("personalization_too_large",
			"personalization takes %d bytes as JSON; at most %d are stored with one notification: send fewer users per notification, or set their data as subscription attributes",
			len(b), MaxPersonalizationBytes)
	}
	return string(b), nil
}

// checkUserData checks one user's data against the attributes' limits.
func checkUserData(user string, data map[string]any) error {
	if len(data) > MaxPersonalizedKeys {
		return fault.Invalid("personalization_too_large", "personalization[%q] holds %d keys; at most %d", user, len(data), MaxPersonalizedKeys)
	}
	for k, v := range data {
		if !subscription.ValidAttributeName(k) {
			return fault.Invalid("invalid_personalization",
				"personalization[%q]: key %q must be 1 to 64 letters, digits or _, not starting with a digit (templates name it as {{ %s }})", user, k, k)
		}
		if s, ok := v.(string); ok {
			if n := utf8.RuneCountInString(s); n > MaxPersonalizedValue {
				return fault.Invalid("personalization_too_large", "personalization[%q].%s is %d characters; at most %d", user, k, n, MaxPersonalizedValue)
			}
			continue
		}
		if b, _ := json.Marshal(v); len(b) > MaxPersonalizedValue {
			return fault.Invalid("personalization_too_large", "personalization[%q].%s takes %d bytes as JSON; at most %d", user, k, len(b), MaxPersonalizedValue)
		}
	}
	if b, _ := json.Marshal(data); len(b) > MaxPersonalizedUserBytes {
		return fault.Invalid("personalization_too_large", "personalization[%q] takes %d bytes as JSON; at most %d", user, len(b), MaxPersonalizedUserBytes)
	}
	return nil
}
