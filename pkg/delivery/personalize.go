package delivery

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/pushendpoint"
)

// rendererTTL is how long a worker keeps a personalised notification's
// compiled templates: a broadcast's batches reuse them.
const rendererTTL = 10 * time.Minute

// payloads gives each target the payload it gets when that is not the
// notification's own: its A/B variant's (chosen by notification.VariantFor,
// so a batch run again sends each the same one) and, when the content is
// personalised, rendered for it, with the templates compiled once per
// notification (and variant) and worker, from its user's attributes
// (loaded for the batch's users in one query), its subscription's and the
// request's personalization (notification.Renderer.Render). A recipient whose payload cannot
// be rendered (too large, a link that is not one) gets the final outcome
// dead with the reason, not counted against its subscription's health; the
// others go on.
func (d *Deliverer) payloads(ctx context.Context, n *notification.Notification, targets []target, attempt int, finals *[]outcome) ([]target, error) {
	variants, err := n.Variants()
	if err != nil {
		return nil, err
	}
	type choice struct {
		payload, declarative string                 // declarative: Apple's (format auto), "" for none
		renderer             *notification.Renderer // nil: not personalised
	}
	choices := []choice{{payload: n.Payload, declarative: n.PayloadDeclarative}}
	personalized := []bool{n.Content.Personalized()}
	if variants != nil {
		choices, personalized = make([]choice, len(variants)), make([]bool, len(variants))
		for i, v := range variants {
			choices[i] = choice{payload: v.Payload, declarative: v.PayloadDeclarative}
			personalized[i] = v.Personalized()
		}
	}
	if variants == nil && !personalized[0] {
		return targets, nil
	}
	now := time.Now()
	for i := range choices {
		if !personalized[i] {
			continue
		}
		key := n.ID + "/" + strconv.Itoa(i)
		r, ok := d.renderers.get(key, now)
		if !ok {
			if r, err = d.compile(n, choices[i].payload, choices[i].declarative); err != nil {
				return nil, err
			}
			d.renderers.put(key, r, now)
		}
		choices[i].renderer = r
	}
	var users map[string]map[string]string // only a personalised variant reads them
	if slices.Contains(personalized, true) {
		if users, err = d.usersOf(ctx, n.AppID, targets); err != nil {
			return nil, err
		}
	}
	plain := make([][2][]byte, len(choices))
	for i, c := range choices {
		plain[i] = [2][]byte{[]byte(c.payload), []byte(c.declarative)}
	}
	kept := targets[:0]
	for _, tg := range targets {
		i := 0
		if variants != nil {
			i = notification.VariantFor(n.ID, tg.sub.ID, variants)
		}
		apple := choices[i].declarative != "" && pushendpoint.ServiceOf(tg.sub.Endpoint) == pushendpoint.Apple
		tg.payload = plain[i][0]
		if apple {
			tg.payload = plain[i][1]
		}
		if r := choices[i].renderer; r != nil {
			rc := notification.Recipient{Subscription: tg.sub.Attributes()}
			if tg.sub.UserID != nil {
				rc.UserID = *tg.sub.UserID
				rc.User = users[rc.UserID]
			}
			if tg.payload, err = r.Render(rc, apple); err != nil {
				*finals = append(*finals, outcome{SubscriptionID: tg.sub.ID, Status: StatusDead, Attempts: attempt,
					Error: "personalised content: " + err.Error(), unrenderable: true})
				continue
			}
		}
		kept = append(kept, tg)
	}
	return kept, nil
}

// usersOf loads the attributes of the targets' users, one query for the
// batch.
func (d *Deliverer) usersOf(ctx context.Context, appID string, targets []target) (map[string]map[string]string, error) {
	ids := make([]string, 0, len(targets))
	seen := make(map[string]bool, len(targets))
	for _, tg := range targets {
		if u := tg.sub.UserID; u != nil && !seen[*u] {
			seen[*u] = true
			ids = append(ids, *u)
		}
	}
	return d.subscriptions.AttributesOfUsers(ctx, appID, ids)
}
