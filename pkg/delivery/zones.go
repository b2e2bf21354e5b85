package delivery

import (
	"context"
	"fmt"

	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/subscription"
)

// zoneRun is what a local-time notification's fan-out walks now: one zone
// of its plan (notification/zones.go).
type zoneRun struct {
	zoned bool
	last  bool // the plan's last zone: its end is the fan-out's
	wait  bool // the zone is not due yet: its own job comes then
}

// zone narrows audience to the zone n's fan-out is at, planning the zones
// first when no fan-out has: the audience's distinct time zones grouped by
// the instant send_at_local falls on in each, one fan-out job per group.
func (f *Fanout) zone(ctx context.Context, n *notification.Notification, audience *subscription.Audience) (zoneRun, error) {
	if !n.Zoned() {
		return zoneRun{last: true}, nil
	}
	plan, err := n.ZonePlan()
	if err != nil {
		return zoneRun{}, err
	}
	if !plan.Planned {
		if plan, err = f.planZones(ctx, n, *audience); err != nil {
			return zoneRun{}, err
		}
	}
	run := zoneRun{zoned: true, last: n.ZoneIndex >= len(plan.Zones)-1}
	if n.ZoneIndex >= len(plan.Zones) {
		// No zone (no one in the audience, or every zone past and
		// skipped): the fan-out ends at once, with an empty audience.
		audience.Timezones = []string{}
		return run, nil
	}
	z := plan.Zones[n.ZoneIndex]
	if z.At.After(f.now()) {
		run.wait = true
		return run, nil
	}
	audience.Timezones = z.Timezones
	return run, nil
}

// planZones plans n's zones, stores the plan and queues each future
// zone's fan-out job at its instant. Another fan-out may have planned it
// first: then its plan stands.
func (f *Fanout) planZones(ctx context.Context, n *notification.Notification, audience subscription.Audience) (notification.ZonePlan, error) {
	timezones, err := f.subscriptions.AudienceTimezones(ctx, audience)
	if err != nil {
		return notification.ZonePlan{}, err
	}
	now := f.now()
	plan, err := n.PlanZones(timezones, now)
	if err != nil {
		return plan, err
	}
	saved, err := f.notifications.SaveZonePlan(ctx, n, plan)
	if err != nil {
		return plan, err
	}
	if !saved {
		fresh, err := f.notifications.Load(ctx, n.ID)
		if err != nil {
			return plan, err
		}
		*n = *fresh
		if plan, err = n.ZonePlan(); err != nil || !plan.Planned {
			return plan, fmt.Errorf("notification %s: zones changed while planning: %w", n.ID, err)
		}
	}
	for _, z := range plan.Zones {
		if z.At.After(now) {
			if err := f.jobs.EnqueueZoneFanout(ctx, n, z.At); err != nil {
				return plan, fmt.Errorf("queue a zone's fan-out: %w", err)
			}
		}
	}
	if len(plan.Zones) > 0 {
		n.SendAt = &plan.Zones[0].At
	}
	return plan, nil
}
