package webhook

import (
	"encoding/json"
	"time"
)

// MaxRecentAttempts is how many attempts a message keeps (the latest): a
// message tried for a day makes about forty, and the deliveries list
// shows a receiver what its recent answers were, not all of them.
const MaxRecentAttempts = 10

// Attempt is one request of a message as GET /v1/webhooks/{id}/deliveries
// lists it.
type Attempt struct {
	At        time.Time `json:"at"`         // when the request was made
	Status    int       `json:"status"`     // the HTTP status the endpoint answered; 0 if no answer came
	LatencyMS int64     `json:"latency_ms"` // from sending to the answer's headers
	Error     string    `json:"error"`      // why it failed ("HTTP 500: ...", a timeout); empty when delivered
}

// RecentAttempts returns the message's latest attempts, oldest first.
func (m *Message) RecentAttempts() []Attempt {
	out := []Attempt{}
	if m.RecentAttemptsJSON != "" {
		_ = json.Unmarshal([]byte(m.RecentAttemptsJSON), &out)
	}
	return out
}

// withAttempt returns the message's recent attempts with a (made at at)
// added, the oldest dropped past MaxRecentAttempts, as stored.
func (m *Message) withAttempt(a attempt, at time.Time) string {
	list := append(m.RecentAttempts(), Attempt{At: at.UTC(), Status: a.status, LatencyMS: a.latency.Milliseconds(), Error: cut(a.err)})
	if len(list) > MaxRecentAttempts {
		list = list[len(list)-MaxRecentAttempts:]
	}
	b, _ := json.Marshal(list)
	return string(b)
}
