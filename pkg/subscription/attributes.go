package subscription

import (
	"encoding/json"
	"fmt"
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

// ReplacementAttributes is the map that attributes given to a route that
// sets them (POST /v1/subscriptions, an import line, PUT
// /v1/users/{user_id}/attributes) stand for: what applying given as a JSON
// merge patch (RFC 7396) makes of no attributes. A key whose value is null
// (nil) is therefore not stored, rather than stored as "", which a
// template would take for a value given. Nil given (no attributes) is nil.
func ReplacementAttributes(given map[string]*string) map[string]string {
	if given == nil {
		return nil
	}
	return AttributesPatch{Changes: given}.onto(make(map[string]string, len(given)))
}

// Attributes decodes the subscription's attributes (nil when it has none).
func (s *Subscription) Attributes() map[string]string { return decodeAttributes(s.AttributesJSON) }

// AttributesPatch changes an attribute map as a JSON merge patch (RFC
// 7396) does: Clear empties it first, then each key of Changes takes its
// value, or goes when the value is nil (JSON null).
type AttributesPatch struct {
	Clear   bool
	Changes map[string]*string
}

// Empty reports whether p changes nothing.
func (p AttributesPatch) Empty() bool { return !p.Clear && len(p.Changes) == 0 }

// apply returns the stored JSON of storedJSON's map patched by p, checked
// as ValidateAttributes checks a whole map: the limits hold for the
// result, whatever the patch and the stored map were each.
func (p AttributesPatch) apply(storedJSON string) (string, error) {
	attrs := map[string]string{}
	if !p.Clear && storedJSON != "" {
		if err := json.Unmarshal([]byte(storedJSON), &attrs); err != nil {
			return "", fmt.Errorf("stored attributes: %w", err)
		}
	}
	return ValidateAttributes(p.onto(attrs))
}

// onto applies p's changes to attrs (Clear aside: the caller starts from
// nothing then) and returns it.
func (p AttributesPatch) onto(attrs map[string]string) map[string]string {
	for k, v := range p.Changes {
		if v == nil {
			delete(attrs, k) // removing a key that is not there changes nothing
		} else {
			attrs[k] = *v
		}
	}
	return attrs
}

// decodeAttributes decodes stored attributes (nil when there are none).
func decodeAttributes(stored string) map[string]string {
	if stored == "" || stored == "{}" {
		return nil
	}
	var m map[string]string
	_ = json.Unmarshal([]byte(stored), &m)
	return m
}
