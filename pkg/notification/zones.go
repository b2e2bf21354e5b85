package notification

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// A notification with send_at_local reaches each recipient at that wall
// clock time in its subscription's time zone (the app's default zone for
// those that sent none). Its fan-out is planned once, by the first fan-out
// job: the audience's distinct time zones are grouped by the UTC instant
// the wall time falls on there (one group per UTC offset), and each group
// is a zone with a fan-out job of its own due then. Zones are fanned out
// in order with the notification's one cursor (ZoneIndex says which zone
// it walks); the notification stays scheduled until the first one starts,
// its counts cover every zone, and it completes after the last.

// ZonePlan is a local-time notification's zones, stored as JSON.
type ZonePlan struct {
	// DefaultTimezone is the app's default time zone when the notification
	// was accepted: the zone of subscriptions that sent none.
	DefaultTimezone string `json:"default_timezone,omitempty"`
	Planned         bool   `json:"planned"`
	Zones           []Zone `json:"zones"`
	// Skipped are the time zones whose time had passed when planned, with
	// skip_if_past.
	Skipped []string `json:"skipped,omitempty"`
}

// Zone is the time zones in which the wall time falls on one UTC instant.
type Zone struct {
	At        time.Time `json:"at"`
	Timezones []string  `json:"timezones"` // as subscriptions store them; "" for none
}

// ZonePlan reads the stored plan.
func (n *Notification) ZonePlan() (ZonePlan, error) {
	var p ZonePlan
	if n.Zones == "" {
		return p, nil
	}
	if err := json.Unmarshal([]byte(n.Zones), &p); err != nil {
		return p, fmt.Errorf("notification %s zones: %w", n.ID, err)
	}
	return p, nil
}

func (p ZonePlan) encode() string {
	b, _ := json.Marshal(p)
	return string(b)
}

// PlanZones groups timezones (the audience's distinct values) into zones:
// the instant the notification's wall time falls on in each, in order. A
// zone whose instant is not after now goes at now, or is skipped with
// skip_if_past. An empty or unknown name takes the default zone; in a
// wall time that a DST change skips or repeats, Go's time.Date decides.
func (n *Notification) PlanZones(timezones []string, now time.Time) (ZonePlan, error) {
	plan, err := n.ZonePlan()
	if err != nil {
		return plan, err
	}
	wall, err := time.Parse(localLayout, n.SendAtLocal)
	if err != nil {
		return plan, fmt.Errorf("notification %s send_at_local: %w", n.ID, err)
	}
	def := time.UTC
	if plan.DefaultTimezone != "" {
		if loc, err := time.LoadLocation(plan.DefaultTimezone); err == nil {
			def = loc
		}
	}
	byInstant := map[int64][]string{}
	for _, name := range timezones {
		loc := def
		if name != "" {
			if l, err := time.LoadLocation(name); err == nil {
				loc = l
			}
		}
		at := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, loc)
		if !at.After(now) {
			if n.SkipIfPast {
				plan.Skipped = append(plan.Skipped, name)
				continue
			}
			at = now
		}
		byInstant[at.Unix()] = append(byInstant[at.Unix()], name)
	}
	plan.Planned, plan.Zones = true, nil
	for unix, names := range byInstant {
		plan.Zones = append(plan.Zones, Zone{At: time.Unix(unix, 0).UTC(), Timezones: names})
	}
	sort.Slice(plan.Zones, func(i, j int) bool { return plan.Zones[i].At.Before(plan.Zones[j].At) })
	return plan, nil
}

// SaveZonePlan stores the plan of a notification not planned yet, and its
// first zone's instant as its send_at. It reports false when another
// fan-out planned it first (load it again).
func (s *Store) SaveZonePlan(ctx context.Context, n *Notification, plan ZonePlan) (bool, error) {
	var first *time.Time
	if len(plan.Zones) > 0 {
		first = &plan.Zones[0].At
	}
	res := s.db.WithContext(ctx).Model(&Notification{}).Where("id = ? AND zones = ?", n.ID, n.Zones).
		Updates(map[string]any{"zones": plan.encode(), "send_at": first, "updated_at": s.now()})
	if res.Error != nil {
		return false, fmt.Errorf("store zones: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}
