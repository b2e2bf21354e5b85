package pushsim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// Attempt is one request to a subscription's endpoint.
type Attempt struct {
	At     time.Time `json:"at"` // arrival
	Status int       `json:"status"`
	Reason string    `json:"reason,omitempty"` // why it was rejected, if it was
}

// Delivery is one accepted (201) push message.
type Delivery struct {
	At       time.Time
	Location string
	Payload  []byte // decrypted plaintext
	Claims   Claims
	VAPIDKey string // k, base64url
	TTL      int
	Urgency  string
	Topic    string
}

// deliveryJSON is Delivery on the wire: the payload as text when it is
// UTF-8 (it usually is JSON) and always as base64.
type deliveryJSON struct {
	At            time.Time `json:"at"`
	Location      string    `json:"location"`
	Payload       *string   `json:"payload"`
	PayloadBase64 string    `json:"payload_base64"`
	Claims        Claims    `json:"claims"`
	VAPIDKey      string    `json:"vapid_key"`
	TTL           int       `json:"ttl"`
	Urgency       string    `json:"urgency,omitempty"`
	Topic         string    `json:"topic,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (d Delivery) MarshalJSON() ([]byte, error) {
	j := deliveryJSON{
		At: d.At, Location: d.Location, Claims: d.Claims, VAPIDKey: d.VAPIDKey,
		TTL: d.TTL, Urgency: d.Urgency, Topic: d.Topic,
		PayloadBase64: base64.StdEncoding.EncodeToString(d.Payload),
	}
	if utf8.Valid(d.Payload) {
		text := string(d.Payload)
		j.Payload = &text
	}
	return json.Marshal(j)
}

// UnmarshalJSON implements json.Unmarshaler, for clients of the control API.
func (d *Delivery) UnmarshalJSON(data []byte) error {
	var j deliveryJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	payload, err := base64.StdEncoding.DecodeString(j.PayloadBase64)
	if err != nil {
		return fmt.Errorf("delivery payload_base64: %w", err)
	}
	*d = Delivery{
		At: j.At, Location: j.Location, Payload: payload, Claims: j.Claims, VAPIDKey: j.VAPIDKey,
		TTL: j.TTL, Urgency: j.Urgency, Topic: j.Topic,
	}
	return nil
}

// SubscriptionState is a subscription with its history. Attempts and
// Deliveries are only kept with Config.KeepPayloads; the counts always are.
type SubscriptionState struct {
	Subscription
	CreatedAt     time.Time `json:"created_at"`
	Received      int64     `json:"received"`       // every request to the endpoint
	AttemptCount  int64     `json:"attempt_count"`  // requests that passed validation
	DeliveryCount int64     `json:"delivery_count"` // 201 answers
	// GoneAt is when the subscription first answered 404/410; zero if never.
	GoneAt     time.Time  `json:"gone_at,omitzero"`
	Attempts   []Attempt  `json:"attempts"`
	Deliveries []Delivery `json:"deliveries"`
}

// Subscription returns one subscription's state.
func (s *Server) Subscription(id string) (SubscriptionState, bool) {
	rec, ok := s.subs.get(id)
	if !ok {
		return SubscriptionState{}, false
	}
	st := SubscriptionState{Subscription: s.subscriptionOf(rec, nil), CreatedAt: time.Unix(0, rec.createdAt)}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	st.Received, st.AttemptCount, st.DeliveryCount = rec.received, rec.attempts, rec.delivered
	if rec.goneAt != 0 {
		st.GoneAt = time.Unix(0, rec.goneAt)
	}
	// Copy so callers never race with appends; payloads are never mutated.
	st.Attempts, st.Deliveries = []Attempt{}, []Delivery{}
	if rec.history != nil {
		st.Attempts = append(st.Attempts, rec.history.attempts...)
		st.Deliveries = append(st.Deliveries, rec.history.deliveries...)
	}
	return st, true
}

// Deliveries returns the messages delivered to a subscription (nil if the
// id is unknown; empty without KeepPayloads).
func (s *Server) Deliveries(id string) []Delivery {
	rec, ok := s.subs.get(id)
	if !ok {
		return nil
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.history == nil {
		return []Delivery{}
	}
	return append([]Delivery{}, rec.history.deliveries...)
}
