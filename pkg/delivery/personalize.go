package delivery

import (
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
// notification (and variant) and worker. A recipient whose payload cannot
// be rendered (too large, a link that is not one) gets the final outcome
// dead with the reason; the others go on.
func (d *Deliverer) payloads(n *notification.Notification, targets []target, attempt int, finals *[]outcome) ([]target, error) {
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
			if r, err = notification.NewRenderer(n, choices[i].payload, choices[i].declarative); err != nil {
				return nil, err
			}
			d.renderers.put(key, r, now)
		}
		choices[i].renderer = r
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
			userID := ""
			if tg.sub.UserID != nil {
				userID = *tg.sub.UserID
			}
			if tg.payload, err = r.Render(tg.sub.Attributes(), userID, apple); err != nil {
				*finals = append(*finals, outcome{SubscriptionID: tg.sub.ID, Status: StatusDead, Attempts: attempt,
					Error: "personalised content: " + err.Error()})
				continue
			}
		}
		kept = append(kept, tg)
	}
	return kept, nil
}
