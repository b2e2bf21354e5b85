package httpapi

import (
	"context"

	"github.com/heraldpush/herald/pkg/notification"
)

// variantJSON is one A/B variant of POST /v1/notifications: its content
// overrides the top-level notification's, field by field.
type variantJSON struct {
	Name         string             `json:"name"`
	Weight       int                `json:"weight"`
	Notification variantContentJSON `json:"notification"`
}

// variantContentJSON is a variant's content: the top-level notification's
// fields, with its switches able to say false (a variant turns off what the
// top level turns on) apart from not given. encoding/json decodes a
// field named here in place of the embedded one of the same name.
type variantContentJSON struct {
	notification.ContentJSON
	RequireInteraction *bool `json:"require_interaction,omitempty" doc:"the top-level value when not given"`
	Renotify           *bool `json:"renotify,omitempty" doc:"the top-level value when not given"`
	Silent             *bool `json:"silent,omitempty" doc:"the top-level value when not given"`
}

func variantsOf(in []variantJSON) []notification.Variant {
	if in == nil {
		return nil
	}
	out := make([]notification.Variant, len(in))
	for i, v := range in {
		c := v.Notification
		out[i] = notification.Variant{Name: v.Name, Weight: v.Weight, Notification: c.Content(),
			RequireInteraction: c.RequireInteraction, Renotify: c.Renotify, Silent: c.Silent}
	}
	return out
}

// variantView is a variant in GET /v1/notifications/{id}: its final
// outcomes so far, which add up over the variants to the notification's.
type variantView struct {
	Name         string                   `json:"name"`
	Weight       int                      `json:"weight"`
	Notification notification.ContentJSON `json:"notification"`
	Counts       variantCountsJS          `json:"counts"`
}

type variantCountsJS struct {
	Delivered int64 `json:"delivered"`
	Gone      int64 `json:"gone"`
	Dead      int64 `json:"dead"`
	Capped    int64 `json:"capped"`
	Final     int64 `json:"final"` // the four together
	// Engagement service workers reported for this variant (POST /v1/events).
	Received  int64 `json:"received"`
	Clicked   int64 `json:"clicked"`
	Dismissed int64 `json:"dismissed"`
	// ClickThroughRate is clicked over delivered (0 before any delivery).
	ClickThroughRate float64 `json:"click_through_rate"`
}

// viewVariants is the variants of n with their counts (nil without any).
func (a *api) viewVariants(ctx context.Context, n *notification.Notification) ([]variantView, error) {
	vs, err := n.Variants()
	if err != nil || vs == nil {
		return nil, err
	}
	counts, err := a.Notifications.VariantCounts(ctx, n.ID)
	if err != nil {
		return nil, err
	}
	out := make([]variantView, len(vs))
	for i, v := range vs {
		c := counts[i]
		out[i] = variantView{Name: v.Name, Weight: v.Weight, Notification: v.ContentOf().JSON(),
			Counts: variantCountsJS{Delivered: c.Delivered, Gone: c.Gone, Dead: c.Dead, Capped: c.Capped,
				Final: c.Delivered + c.Gone + c.Dead + c.Capped, Received: c.Received, Clicked: c.Clicked, Dismissed: c.Dismissed}}
		if c.Delivered > 0 {
			out[i].Counts.ClickThroughRate = float64(c.Clicked) / float64(c.Delivered)
		}
	}
	return out, nil
}
