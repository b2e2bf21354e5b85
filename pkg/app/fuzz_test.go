package app

import (
	"testing"

	"github.com/heraldpush/herald/pkg/fault"
)

// Stored or PATCHed settings of any shape decode and validate without a
// panic, and validation answers a fault; ParseWindow reads any text.
func FuzzSettings(f *testing.F) {
	f.Add(`{"default_ttl": 60, "quiet_hours": {"start": "22:00", "end": "08:00"}, "frequency_caps": [{"per": "user", "max": 3, "window": "7d"}], "public_topics": ["news"]}`, "1h")
	f.Add(`{"default_timezone": "Mars/Olympus", "throttle_per_minute": -1}`, "99999999999999999d")
	f.Fuzz(func(t *testing.T, stored, window string) {
		s, err := decodeSettings(stored)
		if err == nil {
			if err := s.Validate(); err != nil {
				if _, ok := fault.As(err); !ok {
					t.Fatalf("untyped error %v", err)
				}
			}
			if _, err := encodeSettings(stored, s); err != nil {
				t.Fatalf("settings that decoded do not encode: %v", err)
			}
		}
		if d, err := ParseWindow(window); err == nil && d < 0 {
			t.Fatalf("ParseWindow(%q) = %v", window, d)
		}
	})
}
