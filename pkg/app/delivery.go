package app

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/heraldpush/herald/pkg/fault"
)

// The delivery settings: quiet hours, frequency caps, the default time
// zone and throttle. Workers read them per batch (Store.Settings), so a
// change applies to whatever has not been sent yet.

// QuietHours is a daily window of local wall-clock time, "HH:MM" each; an
// End before Start wraps past midnight (22:00-08:00).
type QuietHours struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Validate implements settingValidator.
func (q QuietHours) Validate() error {
	start, okStart := clockMinutes(q.Start)
	end, okEnd := clockMinutes(q.End)
	if !okStart || !okEnd || start == end {
		return fault.Invalid("invalid_quiet_hours", `quiet_hours needs "start" and "end" as two different HH:MM times, e.g. {"start": "22:00", "end": "08:00"}`)
	}
	return nil
}

// Until reports whether the local time of now in loc is inside the window,
// and when it ends: the next End on loc's wall clock.
func (q *QuietHours) Until(now time.Time, loc *time.Location) (time.Time, bool) {
	if q == nil {
		return time.Time{}, false
	}
	start, ok1 := clockMinutes(q.Start)
	end, ok2 := clockMinutes(q.End)
	if !ok1 || !ok2 {
		return time.Time{}, false
	}
	local := now.In(loc)
	m := local.Hour()*60 + local.Minute()
	quiet := start <= m && m < end
	if start > end {
		quiet = m >= start || m < end
	}
	if !quiet {
		return time.Time{}, false
	}
	y, mo, d := local.Date()
	at := time.Date(y, mo, d, end/60, end%60, 0, 0, loc)
	if !at.After(local) {
		at = time.Date(y, mo, d+1, end/60, end%60, 0, 0, loc)
	}
	return at, true
}

// Cap scopes: what a frequency cap counts per recipient.
const (
	CapPerUser     = "user"     // every notification
	CapPerCategory = "category" // notifications of the same category
	CapPerTopic    = "topic"    // notifications about the same target topic
)

// FrequencyCap lets a recipient get at most Max notifications in any
// Window ("1h", "24h", "7d"), per scope.
type FrequencyCap struct {
	Per    string `json:"per"`
	Max    int    `json:"max"`
	Window string `json:"window"`
}

// Duration is the cap's window (0 when it does not parse: Validate refuses
// such a cap).
func (c FrequencyCap) Duration() time.Duration {
	d, err := ParseWindow(c.Window)
	if err != nil {
		return 0
	}
	return d
}

// FrequencyCaps are an app's caps; a recipient must stay within each.
type FrequencyCaps []FrequencyCap

// Limits of the delivery settings.
const (
	MaxFrequencyCaps  = 10
	MaxCapCount       = 100000
	MinCapWindow      = time.Minute
	MaxCapWindow      = 90 * 24 * time.Hour
	MaxThrottlePerMin = 10_000_000
)

// Validate implements settingValidator.
func (caps FrequencyCaps) Validate() error {
	if len(caps) > MaxFrequencyCaps {
		return fault.Invalid("invalid_frequency_caps", "at most %d frequency_caps", MaxFrequencyCaps)
	}
	for i, c := range caps {
		switch c.Per {
		case CapPerUser, CapPerCategory, CapPerTopic:
		default:
			return fault.Invalid("invalid_frequency_caps", `frequency_caps[%d].per must be "user", "category" or "topic"`, i)
		}
		if c.Max < 1 || c.Max > MaxCapCount {
			return fault.Invalid("invalid_frequency_caps", "frequency_caps[%d].max must be 1 to %d", i, MaxCapCount)
		}
		if w, err := ParseWindow(c.Window); err != nil || w < MinCapWindow || w > MaxCapWindow {
			return fault.Invalid("invalid_frequency_caps", `frequency_caps[%d].window must be a duration from 1m to 90d, like "1h", "24h" or "7d"`, i)
		}
	}
	return nil
}

// Timezone is an IANA time zone name.
type Timezone string

// Validate implements settingValidator.
func (tz Timezone) Validate() error {
	if _, err := time.LoadLocation(string(tz)); err != nil || len(tz) > 64 || tz == "" || strings.EqualFold(string(tz), "local") {
		return fault.Invalid("invalid_default_timezone", "default_timezone %q is not an IANA time zone like Europe/Paris", string(tz))
	}
	return nil
}

// Throttle is a send rate per minute.
type Throttle int

// Validate implements settingValidator.
func (t Throttle) Validate() error {
	if t < 1 || t > MaxThrottlePerMin {
		return fault.Invalid("invalid_throttle_per_minute", "throttle_per_minute must be 1 to %d (null: unthrottled)", MaxThrottlePerMin)
	}
	return nil
}

// Location is the app's default time zone (UTC when unset).
func (s Settings) Location() *time.Location {
	if s.DefaultTimezone == nil {
		return time.UTC
	}
	loc, err := time.LoadLocation(string(*s.DefaultTimezone))
	if err != nil {
		return time.UTC
	}
	return loc
}

// Throttle is the app's default send rate of a notification (0: none).
func (s Settings) Throttle() int {
	if s.ThrottlePerMinute == nil {
		return 0
	}
	return int(*s.ThrottlePerMinute)
}

// ParseWindow reads a Go duration, or whole days as "7d".
func ParseWindow(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		// A day count past what a Duration holds would wrap around, maybe
		// into the allowed range: "106751992d" is longer than any window.
		if err != nil || n < 0 || n > int(math.MaxInt64/int64(24*time.Hour)) {
			return 0, fmt.Errorf("window %q: not a number of days a window can last", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// clockMinutes reads "HH:MM" as minutes after midnight.
func clockMinutes(s string) (int, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, false
	}
	return hh*60 + mm, true
}

// Settings returns an app's settings alone (no secrets opened): what
// workers read for every batch.
func (s *Store) Settings(ctx context.Context, appID string) (Settings, error) {
	var raw []string
	if err := s.db.WithContext(ctx).Model(&App{}).Where("id = ?", appID).Limit(1).Pluck("settings", &raw).Error; err != nil {
		return Settings{}, fmt.Errorf("load app settings: %w", err)
	}
	if len(raw) == 0 {
		return Settings{}, ErrAppNotFound
	}
	st, err := decodeSettings(raw[0])
	if err != nil {
		return Settings{}, fmt.Errorf("app %s: %w", appID, err)
	}
	return st, nil
}
