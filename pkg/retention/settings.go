// Package retention keeps the database from growing without end: a
// background pass, once per interval for the whole fleet, removes what is
// older than the settings say, through each table's owner (which removes
// its own rows, a bounded batch at a time, or on PostgreSQL drops a day
// partition of deliveries whole).
package retention

import (
	"strings"
	"time"

	"github.com/heraldpush/herald/pkg/envconf"
)

// Day is 24 hours: the unit retention is usually counted in.
const Day = 24 * time.Hour

// DedupWindow is the least time a notification's deliveries stay after it
// settled (completed or cancelled), whatever the settings: a batch that
// runs again (asynq retries a failed handler up to 25 times, at most a
// minute apart; a dead worker's batches come back within minutes; an
// operator may run an archived one) checks them to never send twice.
const DedupWindow = Day

// MinPeriod is the shortest retention period taken.
const MinPeriod = time.Hour

// Settings say how long each kind of data is kept (0: for ever).
type Settings struct {
	Deliveries        time.Duration // who got which notification (and the de-duplication of re-run batches)
	Events            time.Duration // received, clicked and dismissed reports
	Notifications     time.Duration // notifications with their counts; their deliveries, events and dead letters go with them
	DeadLetters       time.Duration
	GoneSubscriptions time.Duration // subscriptions the push service said are gone
	WebhookMessages   time.Duration // webhook requests delivered or failed (GET /v1/webhooks/{id}/deliveries, re-sends)
	// Interval is how often the fleet runs a pass.
	Interval time.Duration
}

// Defaults are the settings when nothing is configured.
var Defaults = Settings{
	Deliveries: 30 * Day, Events: 30 * Day, Notifications: 90 * Day, DeadLetters: 90 * Day,
	GoneSubscriptions: 30 * Day, WebhookMessages: 30 * Day, Interval: 10 * time.Minute,
}

// ReadSettings reads HERALD_RETENTION_*; problems are recorded in r.
func ReadSettings(r *envconf.Reader) Settings {
	s := Settings{
		Deliveries:        age(r, "HERALD_RETENTION_DELIVERIES", Defaults.Deliveries),
		Events:            age(r, "HERALD_RETENTION_EVENTS", Defaults.Events),
		Notifications:     age(r, "HERALD_RETENTION_NOTIFICATIONS", Defaults.Notifications),
		DeadLetters:       age(r, "HERALD_RETENTION_DEAD_LETTERS", Defaults.DeadLetters),
		GoneSubscriptions: age(r, "HERALD_RETENTION_GONE_SUBSCRIPTIONS", Defaults.GoneSubscriptions),
		WebhookMessages:   age(r, "HERALD_RETENTION_WEBHOOK_MESSAGES", Defaults.WebhookMessages),
		Interval:          r.Duration("HERALD_RETENTION_INTERVAL", Defaults.Interval, time.Second, 24*time.Hour),
	}
	return s
}

// age reads a retention period: days ("30d"), a Go duration ("36h") of at
// least an hour, or 0 for "keep for ever".
func age(r *envconf.Reader, name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(r.String(name, ""))
	if v == "" {
		return def
	}
	if v == "0" {
		return 0
	}
	d, err := envconf.ParsePeriod(v)
	if err != nil || d < MinPeriod || d > 100*365*Day {
		r.Fail(name, "%q is not a retention period: a number of days (30d), a Go duration of at least 1h (36h), or 0 to keep for ever", v)
		return def
	}
	return d
}
