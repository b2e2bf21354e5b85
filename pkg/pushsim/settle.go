package pushsim

import (
	"bytes"
	"net/http"
	"strconv"
	"time"
)

// settle records one request against its subscription and, for a valid
// message, applies the behavior and stores the delivery. rej != nil means
// the request was refused; msg == nil && rej == nil means the sender hung up
// during a simulated delay. It returns the behavior's answer and, on
// delivery, the message's Location.
func (s *Server) settle(rec *record, arrived time.Time, msg *message, rej *rejection) (outcome, string) {
	answered := s.now()
	// Clone outside the lock: the plaintext lives in a pooled buffer.
	var payload []byte
	if s.keepPayloads && msg != nil {
		payload = bytes.Clone(msg.plaintext)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.received++
	arrivedNs := arrived.UnixNano()
	if rec.goneAt != 0 && arrivedNs >= rec.goneAt {
		s.stats.goneContacted.Add(1)
	}
	if rec.retryNotBefore != 0 && arrivedNs < rec.retryNotBefore {
		s.stats.earlyRetries.Add(1)
	}
	if s.keepPayloads && rec.history == nil {
		rec.history = &history{}
	}

	var out outcome
	var location string
	switch {
	case rej != nil:
		out = outcome{status: rej.status()}
	case msg == nil:
		rec.attempts++
		out = outcome{status: statusClientClosed}
	default:
		rec.attempts++
		out = rec.behavior.outcome(rec.attempts)
	}
	switch {
	case out.status == http.StatusCreated:
		rec.delivered++
		if rec.delivered > 1 {
			s.stats.duplicates.Add(1)
		}
		s.stats.delivery(answered)
		location = s.PublicOrigin() + "/m/" + rec.id + "." + strconv.FormatInt(rec.delivered, 10)
		if s.keepPayloads {
			rec.history.deliveries = append(rec.history.deliveries, Delivery{
				At:       answered,
				Location: location,
				Payload:  payload,
				Claims:   msg.claims,
				VAPIDKey: msg.key,
				TTL:      msg.ttl,
				Urgency:  msg.urgency,
				Topic:    msg.topic,
			})
		}
	case out.status == http.StatusTooManyRequests:
		rec.retryNotBefore = answered.Add(out.retryAfter).UnixNano()
	case rej == nil && goneLike(out.status) && rec.goneAt == 0:
		rec.goneAt = answered.UnixNano()
	}
	if s.keepPayloads {
		a := Attempt{At: arrived, Status: out.status}
		if rej != nil {
			a.Reason = rej.reason.String()
		}
		rec.history.attempts = append(rec.history.attempts, a)
	}
	return out, location
}
