package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/pushendpoint"
)

// The gates a batch's messages pass before they are sent, in order:
//  1. quiet hours: a recipient inside the app's window (its local time)
//     waits until the window ends, unless the notification is
//     time-sensitive or urgency high;
//  2. frequency caps: a recipient over a cap gets the final outcome
//     capped (time-sensitive notifications are counted, never capped);
//  3. the notification's throttle: what the fleet may send for it now goes,
//     the rest waits for its turn.
//
// What waits is queued again as a batch due when it may go, with the same
// attempt number: no worker holds a send slot while it waits. Nothing of
// it is kept outside the queue: each gate is a function of the time, the
// app's settings and Redis' counters, so a batch lost with Redis and
// queued again from the database (the reconciler) passes the gates again.

// Limits are the fleet-wide counters the gates consult, shared by every
// worker through Redis (pkg/fleetlimit).
type Limits interface {
	// AdmitCaps counts notificationID once for each recipient under each
	// of its keys and reports per recipient whether it stays within every
	// key's Max. A recipient already counted for this notification is
	// admitted again (a retry, a user's second browser). With force every
	// recipient is counted and admitted. One round trip for the batch.
	AdmitCaps(ctx context.Context, appID, notificationID string, recipients [][]CapKey, force bool) ([]bool, error)
	// TakeThrottle takes up to n sends from the notification's budget of
	// perMinute, fleet-wide, and says how many it may send now and, for the
	// rest, how long to wait.
	TakeThrottle(ctx context.Context, notificationID string, perMinute, n int) (allowed int, wait time.Duration, err error)
}

// ThrottleBatchSize is how many subscriptions a batch of a notification
// throttled to perMinute holds: one second's worth (at least one, at most
// BatchSize), the burst the throttle lets go at once.
func ThrottleBatchSize(perMinute int) int { return min(BatchSize, max(1, (perMinute+59)/60)) }

// CapKey is one frequency counter of a recipient: at most Max
// notifications per Window under Key.
type CapKey struct {
	Key    string
	Max    int
	Window time.Duration
}

// Reasons a message waits or is held back, as the Observer hears them.
const (
	ReasonQuietHours = "quiet_hours"
	ReasonThrottle   = "throttle"
	ReasonCapped     = "capped"
	ReasonPaced      = "paced" // its push service asked the fleet to slow down
)

// GateObserver, when the Observer implements it, hears of messages the
// gates held back (capped) or made wait, by push service.
type GateObserver interface {
	Gated(reason string, service pushendpoint.Service, n int)
}

// gate passes targets through the gates. It returns those to send now,
// appends capped outcomes to finals, and groups the ones that wait by
// delay.
func (d *Deliverer) gate(ctx context.Context, n *notification.Notification, targets []target, finals *[]outcome) ([]target, map[time.Duration][]string, error) {
	if len(targets) == 0 {
		return targets, nil, nil
	}
	settings, err := d.settings(ctx, n.AppID)
	if err != nil {
		return nil, nil, err
	}
	now := d.now()
	later := map[time.Duration][]string{}
	if q := settings.QuietHours; q != nil && !n.BypassesQuietHours() {
		kept := targets[:0:0]
		for _, tg := range targets {
			if until, quiet := q.Until(now, locationOf(tg.sub.Timezone, settings)); quiet {
				wait := ceilSecond(until.Sub(now))
				later[wait] = append(later[wait], tg.sub.ID)
				d.gated(ReasonQuietHours, tg, 1)
				continue
			}
			kept = append(kept, tg)
		}
		targets = kept
	}
	if len(settings.FrequencyCaps) > 0 && len(targets) > 0 {
		if targets, err = d.capTargets(ctx, n, settings.FrequencyCaps, targets, finals); err != nil {
			return nil, nil, err
		}
	}
	if per := n.ThrottlePerMinute; per > 0 && len(targets) > 0 && d.limits != nil {
		allowed, wait, err := d.limits.TakeThrottle(ctx, n.ID, per, len(targets))
		if err != nil {
			return nil, nil, err
		}
		wait = ceilSecond(max(wait, time.Second))
		for _, tg := range targets[allowed:] {
			later[wait] = append(later[wait], tg.sub.ID)
			d.gated(ReasonThrottle, tg, 1)
		}
		targets = targets[:allowed]
	}
	return targets, later, nil
}

// capTargets asks the frequency counters about every recipient of targets
// at once and turns the recipients over a cap into capped outcomes.
func (d *Deliverer) capTargets(ctx context.Context, n *notification.Notification, caps app.FrequencyCaps, targets []target, finals *[]outcome) ([]target, error) {
	if d.limits == nil {
		return targets, nil
	}
	byRecipient := map[string]int{}
	var recipients [][]CapKey
	index := make([]int, len(targets))
	topics := n.AboutTopics()
	for i, tg := range targets {
		r := "s:" + tg.sub.ID // a subscription without a user is its own recipient
		if tg.sub.UserID != nil {
			r = "u:" + *tg.sub.UserID
		}
		k, ok := byRecipient[r]
		if !ok {
			k = len(recipients)
			byRecipient[r] = k
			recipients = append(recipients, capKeys(caps, r, n.Category, topics))
		}
		index[i] = k
	}
	admitted, err := d.limits.AdmitCaps(ctx, n.AppID, n.ID, recipients, n.TimeSensitive)
	if err != nil {
		return nil, err
	}
	kept := targets[:0:0]
	for i, tg := range targets {
		if admitted[index[i]] {
			kept = append(kept, tg)
			continue
		}
		*finals = append(*finals, outcome{SubscriptionID: tg.sub.ID, Status: StatusCapped})
		d.gated(ReasonCapped, tg, 1)
	}
	return kept, nil
}

// capKeys are recipient r's counters under caps for a notification of
// category about topics. A key names its scope and window, so a changed
// max keeps the count and a changed window starts a new one.
func capKeys(caps app.FrequencyCaps, r, category string, topics []string) []CapKey {
	var keys []CapKey
	for _, c := range caps {
		window := c.Duration()
		if window <= 0 {
			continue
		}
		w := strconv.FormatInt(int64(window/time.Second), 10)
		switch c.Per {
		case app.CapPerUser:
			keys = append(keys, CapKey{Key: "u:" + w + ":" + r, Max: c.Max, Window: window})
		case app.CapPerCategory:
			if category != "" {
				keys = append(keys, CapKey{Key: "c:" + w + ":" + category + ":" + r, Max: c.Max, Window: window})
			}
		case app.CapPerTopic:
			for _, t := range topics {
				keys = append(keys, CapKey{Key: "t:" + w + ":" + t + ":" + r, Max: c.Max, Window: window})
			}
		}
	}
	return keys
}

func locationOf(tz string, s app.Settings) *time.Location {
	if tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return loc
		}
	}
	return s.Location()
}

func (d *Deliverer) gated(reason string, tg target, n int) {
	d.gatedService(reason, pushendpoint.ServiceOf(tg.sub.Endpoint), n)
}

func (d *Deliverer) gatedService(reason string, s pushendpoint.Service, n int) {
	if o, ok := d.observer.(GateObserver); ok {
		o.Gated(reason, s, n)
	}
}

// settings are the app's settings, cached briefly per worker.
func (d *Deliverer) settings(ctx context.Context, appID string) (app.Settings, error) {
	now := time.Now()
	if s, ok := d.appSettings.get(appID, now); ok {
		return s, nil
	}
	s, err := d.apps.Settings(ctx, appID)
	if err != nil {
		return app.Settings{}, err
	}
	d.appSettings.put(appID, s, now)
	return s, nil
}

// scheduleLater queues the messages that wait, one batch per delay, with
// the batch's attempt number. Its key is made of its content and its due
// second: a batch that makes the same messages wait again (still quiet,
// throttle spent) queues a new key, never its own, which the queue would
// refuse while it runs.
func (d *Deliverer) scheduleLater(ctx context.Context, n *notification.Notification, b Batch, attempt int, later map[time.Duration][]string) error {
	now := d.now()
	for delay, ids := range later {
		sort.Strings(ids)
		sum := sha256.Sum256([]byte(strings.Join(ids, ",")))
		due := now.Add(delay).Unix() + 1
		key := fmt.Sprintf("wait:%s:%d:%d:%s", n.ID, attempt, due, hex.EncodeToString(sum[:8]))
		next := Batch{NotificationID: n.ID, AppID: n.AppID, SubscriptionIDs: ids, Seq: b.Seq, Attempt: attempt}
		if err := d.jobs.EnqueueBatch(ctx, n.Priority, key, next, delay); err != nil {
			return fmt.Errorf("queue messages that wait: %w", err)
		}
	}
	return nil
}
