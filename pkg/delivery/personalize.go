package delivery

import (
	"time"

	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/pushendpoint"
)

// rendererTTL is how long a worker keeps a personalised notification's
// compiled templates: a broadcast's batches reuse them.
const rendererTTL = 10 * time.Minute

// personalize renders each target's payload of a personalised
// notification, with the templates compiled once per notification and
// worker. A recipient whose payload cannot be rendered (too large, a link
// that is not one) gets the final outcome dead with the reason; the
// others go on.
func (d *Deliverer) personalize(n *notification.Notification, targets []target, attempt int, finals *[]outcome) ([]target, error) {
	r, ok := d.renderers.get(n.ID, time.Now())
	if !ok {
		var err error
		if r, err = notification.NewRenderer(n); err != nil {
			return nil, err
		}
		d.renderers.put(n.ID, r, time.Now())
	}
	kept := targets[:0]
	for _, tg := range targets {
		userID := ""
		if tg.sub.UserID != nil {
			userID = *tg.sub.UserID
		}
		apple := n.PayloadDeclarative != "" && pushendpoint.ServiceOf(tg.sub.Endpoint) == pushendpoint.Apple
		payload, err := r.Render(tg.sub.Attributes(), userID, apple)
		if err != nil {
			*finals = append(*finals, outcome{SubscriptionID: tg.sub.ID, Status: StatusDead, Attempts: attempt,
				Error: "personalised content: " + err.Error()})
			continue
		}
		tg.payload = payload
		kept = append(kept, tg)
	}
	return kept, nil
}
