package app

import "github.com/heraldpush/herald/pkg/fault"

// The browser settings: which payload format Herald sends by default and
// how clicks are counted where no service worker reports them.

// PayloadFormat is the default payload format of an app's notifications
// (a notification's own format wins).
type PayloadFormat string

// Validate implements settingValidator.
func (f PayloadFormat) Validate() error {
	switch f {
	case "auto", "standard", "declarative":
		return nil
	}
	return fault.Invalid("invalid_default_format", "default_format must be auto (declarative for Safari, standard elsewhere), standard or declarative")
}
