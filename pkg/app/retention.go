package app

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldpush/herald/pkg/envconf"
	"github.com/heraldpush/herald/pkg/fault"
)

// Retention is how long an app's notifications and dead letters are kept,
// when shorter than the fleet's HERALD_RETENTION_* (which still remove
// anything older): an app that may hold personal data for less time than
// the others. Each period is days ("30d") or a Go duration ("36h") of at
// least an hour; "" takes the fleet's.
type Retention struct {
	Notifications string `json:"notifications,omitempty"`
	DeadLetters   string `json:"dead_letters,omitempty"`
}

// Validate implements settingValidator.
func (r Retention) Validate() error {
	for _, v := range []string{r.Notifications, r.DeadLetters} {
		if v == "" {
			continue
		}
		if d, err := envconf.ParsePeriod(v); err != nil || d < time.Hour {
			return fault.Invalid("invalid_retention", `retention periods are days ("30d") or a duration of at least an hour ("36h"), e.g. {"notifications": "30d", "dead_letters": "7d"}; %q is not`, v)
		}
	}
	return nil
}

// Periods returns the notification and dead letter periods (0: the fleet's).
func (r Retention) Periods() (notifications, deadLetters time.Duration) {
	notifications, _ = envconf.ParsePeriod(r.Notifications)
	deadLetters, _ = envconf.ParsePeriod(r.DeadLetters)
	return notifications, deadLetters
}

// Retentions returns the retention setting of every app that has one, by
// app id.
func (s *Store) Retentions(ctx context.Context) (map[string]Retention, error) {
	var rows []struct {
		ID       string
		Settings string
	}
	if err := s.db.WithContext(ctx).Model(&App{}).Select("id, settings").Where("settings <> ?", "{}").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("app retention settings: %w", err)
	}
	out := map[string]Retention{}
	for _, r := range rows {
		st, err := decodeSettings(r.Settings)
		if err != nil {
			return nil, fmt.Errorf("app %s: %w", r.ID, err)
		}
		if st.Retention != nil && *st.Retention != (Retention{}) {
			out[r.ID] = *st.Retention
		}
	}
	return out, nil
}
