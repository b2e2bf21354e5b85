package httpapi

import (
	"time"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/jobqueue"
	"github.com/heraldpush/herald/pkg/notification"
)

// createNotificationRequest is the body of POST /v1/notifications.
type createNotificationRequest struct {
	Target       targetJSON               `json:"target"`
	Notification notification.ContentJSON `json:"notification"`
	TTL          *int                     `json:"ttl"`
	Urgency      string                   `json:"urgency"`
	Topic        string                   `json:"topic"`
	SendAt       *time.Time               `json:"send_at"`
	// Personalization is per-user data for templates, keyed by user id.
	Personalization map[string]map[string]any `json:"personalization"`
	// Variants are A/B variants (2 to 5) over Notification.
	Variants []variantJSON `json:"variants"`
	timingJSON
	formatJSON
}

// formatJSON is how the payload is built: its format and the app badge.
type formatJSON struct {
	Format   string `json:"format,omitempty"`
	AppBadge *int   `json:"app_badge,omitempty"`
}

// timingJSON are the targeting and timing fields of a notification.
type timingJSON struct {
	// SendAtLocal is "YYYY-MM-DDTHH:MM[:SS]" on each recipient's clock.
	SendAtLocal       string `json:"send_at_local,omitempty"`
	SkipIfPast        bool   `json:"skip_if_past,omitempty"`
	TimeSensitive     bool   `json:"time_sensitive,omitempty"`
	Category          string `json:"category,omitempty"`
	ThrottlePerMinute *int   `json:"throttle_per_minute,omitempty"`
	CancelKey         string `json:"cancel_key,omitempty"`
}

// targetJSON is who a notification goes to: exactly one field set.
type targetJSON struct {
	All             bool     `json:"all,omitempty"`
	UserIDs         []string `json:"user_ids,omitempty"`
	Topics          []string `json:"topics,omitempty"`
	SubscriptionIDs []string `json:"subscription_ids,omitempty"`
	Segment         string   `json:"segment,omitempty"`
}

func (r createNotificationRequest) request(owner *app.App) notification.Request {
	t, settings := r.Target, owner.Settings
	defaults := notification.AppDefaults{Timezone: settings.Location(), ThrottlePerMinute: settings.Throttle(), TTL: defaultTTL(settings)}
	if settings.DefaultFormat != nil {
		defaults.Format = notification.Format(*settings.DefaultFormat)
	}
	if settings.ClickTracking != nil && *settings.ClickTracking != "off" {
		defaults.ClickTracking = string(*settings.ClickTracking)
	}
	if origins := owner.AllowedOrigins(); len(origins) > 0 {
		defaults.Origin = origins[0]
	}
	return notification.Request{
		Target: notification.Target{All: t.All, UserIDs: t.UserIDs, Topics: t.Topics, SubscriptionIDs: t.SubscriptionIDs,
			Segment: t.Segment},
		Notification: r.Notification.Content(), TTL: r.TTL, Urgency: r.Urgency, Topic: r.Topic, SendAt: r.SendAt,
		SendAtLocal: r.SendAtLocal, SkipIfPast: r.SkipIfPast,
		TimeSensitive: r.TimeSensitive, Category: r.Category, ThrottlePerMinute: r.ThrottlePerMinute, CancelKey: r.CancelKey,
		Format: notification.Format(r.Format), AppBadge: r.AppBadge, Personalization: r.Personalization, Variants: variantsOf(r.Variants), App: defaults,
	}
}

func defaultTTL(settings app.Settings) *int {
	if settings.DefaultTTL == nil {
		return nil
	}
	ttl := int(*settings.DefaultTTL)
	return &ttl
}

type countsView struct {
	Targeted  int64 `json:"targeted"`
	Delivered int64 `json:"delivered"`
	Gone      int64 `json:"gone"`
	Dead      int64 `json:"dead"`
	Capped    int64 `json:"capped"` // held back by a frequency cap (final)
	Pending   int64 `json:"pending"`
	Received  int64 `json:"received"` // reported by service workers (POST /v1/events)
	Clicked   int64 `json:"clicked"`
	Dismissed int64 `json:"dismissed"`
}

type notificationView struct {
	ID           string                   `json:"id"`
	Status       string                   `json:"status"`
	Counts       countsView               `json:"counts"`
	Target       map[string]any           `json:"target"`
	Notification notification.ContentJSON `json:"notification"`
	TTL          int                      `json:"ttl"`
	Urgency      string                   `json:"urgency,omitempty"`
	Topic        string                   `json:"topic,omitempty"`
	Queue        string                   `json:"queue"`
	SendAt       *time.Time               `json:"send_at"`
	CreatedAt    time.Time                `json:"created_at"`
	CompletedAt  *time.Time               `json:"completed_at"`
	// Warnings name what may surprise: no_recipients when it completed
	// having reached no subscription.
	Warnings []string      `json:"warnings"`
	Variants []variantView `json:"variants,omitempty"`
	timingJSON
	formatJSON
	// Zones are a local-time notification's fan-outs, one per UTC offset
	// of its audience, once the first fan-out has planned them.
	Zones []zoneView `json:"zones,omitempty"`
	// SkippedTimezones had passed send_at_local when planned (skip_if_past).
	SkippedTimezones []string `json:"skipped_timezones,omitempty"`
}

type zoneView struct {
	At        time.Time `json:"at"`
	Timezones []string  `json:"timezones"` // "" stands for subscriptions that sent none (the app's default)
	Status    string    `json:"status"`    // waiting, sending (its fan-out under way) or fanned_out
}

func viewNotification(n *notification.Notification) notificationView {
	target := map[string]any{}
	switch n.TargetKind {
	case notification.TargetAll:
		target["all"] = true
	case notification.TargetSegment:
		audience, _ := n.Audience()
		if len(audience.Values) == 1 {
			target["segment"] = audience.Values[0]
		}
	default:
		audience, _ := n.Audience()
		target[string(n.TargetKind)] = audience.Values
	}
	v := notificationView{
		ID: n.ID, Status: string(n.Status), Target: target, Notification: n.Content.JSON(),
		Counts: countsView{Targeted: n.Targeted, Delivered: n.Delivered, Gone: n.Gone, Dead: n.Dead, Capped: n.Capped, Pending: n.Pending(),
			Received: n.Received, Clicked: n.Clicked, Dismissed: n.Dismissed},
		TTL: n.TTL, Urgency: n.Urgency, Topic: n.Topic, Queue: jobqueue.QueueFor(n.Priority), SendAt: n.SendAt,
		CreatedAt: n.CreatedAt, CompletedAt: n.CompletedAt, Warnings: warnings(n), timingJSON: viewTiming(n.Timing),
		formatJSON: formatJSON{Format: string(n.Format), AppBadge: n.AppBadge},
	}
	if plan, err := n.ZonePlan(); err == nil && plan.Planned {
		v.SkippedTimezones = plan.Skipped
		for i, z := range plan.Zones {
			status := "waiting"
			switch {
			case i < n.ZoneIndex || n.FanoutDone:
				status = "fanned_out"
			case i == n.ZoneIndex && n.Status != notification.Scheduled && !z.At.After(time.Now()):
				status = "sending"
			}
			v.Zones = append(v.Zones, zoneView{At: z.At, Timezones: z.Timezones, Status: status})
		}
	}
	return v
}

func warnings(n *notification.Notification) []string {
	w := []string{}
	if n.Status == notification.Completed && n.Targeted == 0 {
		w = append(w, "no_recipients")
	}
	return w
}

func viewTiming(t notification.Timing) timingJSON {
	throttle := t.ThrottlePerMinute
	j := timingJSON{SendAtLocal: t.SendAtLocal, SkipIfPast: t.SkipIfPast, TimeSensitive: t.TimeSensitive, Category: t.Category}
	if throttle > 0 {
		j.ThrottlePerMinute = &throttle
	}
	if t.CancelKey != nil {
		j.CancelKey = *t.CancelKey
	}
	return j
}

// Personalised content's error codes, among every code /openapi.json names.
func init() {
	errorCodes = append(errorCodes, "invalid_template", "invalid_personalization", "personalization_too_large", "invalid_attributes", "invalid_variants")
}
