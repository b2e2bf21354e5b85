package subscription

import (
	"encoding/json"
	"regexp"
	"unicode/utf8"

	"github.com/heraldpush/herald/pkg/fault"
)

// Limits of a subscription's attributes: a small map that personalised
// notifications fill their templates from (pkg/notification).
const (
	MaxAttributes          = 64
	MaxAttributeValue      = 500 // characters
	MaxAttributesJSONBytes = 8192
)

// attributeName is what a Liquid template can name as a variable.
var attributeName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// ValidAttributeName reports whether k may name an attribute: what a
// Liquid template can name as a variable. Personalization data
// (pkg/notification) names its keys by the same rule.
func ValidAttributeName(k string) bool { return attributeName.MatchString(k) }

// ValidateAttributes checks an attribute map and returns its stored JSON.
func ValidateAttributes(attrs map[string]string) (string, error) {
	if len(attrs) > MaxAttributes {
		return "", fault.Invalid("invalid_attributes", "at most %d attributes", MaxAttributes)
	}
	for k, v := range attrs {
		if !ValidAttributeName(k) {
			return "", fault.Invalid("invalid_attributes",
				"attribute name %q must be 1 to 64 letters, digits or _, not starting with a digit (templates name it as {{ %s }})", k, k)
		}
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxAttributeValue {
			return "", fault.Invalid("invalid_attributes", "attribute %q must be UTF-8 text of at most %d characters", k, MaxAttributeValue)
		}
	}
	b, _ := json.Marshal(attrs)
	if len(b) > MaxAttributesJSONBytes {
		return "", fault.Invalid("invalid_attributes", "attributes take %d bytes as JSON; the limit is %d", len(b), MaxAttributesJSONBytes)
	}
	return string(b), nil
}

// Attributes decodes the subscription's attributes (nil when it has none).
func (s *Subscription) Attributes() map[string]string {
	if s.AttributesJSON == "" || s.AttributesJSON == "{}" {
		return nil
	}
	var m map[string]string
	_ = json.Unmarshal([]byte(s.AttributesJSON), &m)
	return m
}
