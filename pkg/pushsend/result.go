package pushsend

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldpush/herald/pkg/pushendpoint"
)

const (
	// maxBody is how much of a response body is kept, for dead letters.
	maxBody = 1 << 10
	// maxDrain is how much more is read so the connection can be reused; a
	// longer body is abandoned and its connection closed.
	maxDrain = 16 << 10
	// maxRetryAfter caps a Retry-After, so a bogus one cannot park a
	// delivery for weeks.
	maxRetryAfter = 24 * time.Hour
)

// Outcome is what the worker should do with a subscription after a send.
type Outcome int

const (
	Delivered Outcome = iota + 1 // accepted by the push service
	Gone                         // the subscription no longer exists: delete it
	Retry                        // transient: try again later
	Failed                       // permanent for this message: dead-letter it
)

func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Gone:
		return "gone"
	case Retry:
		return "retry"
	case Failed:
		return "failed"
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// Result describes one send. Err is nil exactly when Outcome is Delivered.
type Result struct {
	Outcome    Outcome
	Status     int           // HTTP status; 0 if no response arrived
	RetryAfter time.Duration // from Retry-After, capped at 24h; 0 if absent
	Body       string        // first 1 KiB of the response body
	Err        error
	Service    pushendpoint.Service
	Duration   time.Duration // wall time of Send
	// Paced: not sent, because the fleet holds sends to this push service
	// while it asked to slow down; RetryAfter is how long the hold lasts.
	Paced bool
}

// Classify maps a push service's status to an Outcome (RFC 8030 §5-8 and
// what FCM, autopush, APNs and WNS actually send).
func Classify(status int) Outcome {
	switch {
	case status >= 200 && status < 300:
		return Delivered
	case status == http.StatusNotFound || status == http.StatusGone:
		return Gone
	case status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500 && status < 600:
		return Retry
	}
	// 400, 401, 403, 413 and the rest: resending the same request cannot
	// succeed. 3xx lands here too since redirects are not followed.
	return Failed
}

// parseRetryAfter reads a Retry-After value, delay-seconds or HTTP-date
// (RFC 9110 §10.2.3), relative to now.
func parseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if at, err := http.ParseTime(h); err == nil {
		d = at.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// finish reads what is kept of resp, drains and closes its body, and fills
// the status-dependent part of r.
func finish(resp *http.Response, now time.Time, r *Result) {
	body := readBody(resp)
	r.Status = resp.StatusCode
	r.Body = body
	r.Outcome = Classify(resp.StatusCode)
	r.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	if r.Outcome != Delivered {
		r.Err = &StatusError{Status: resp.StatusCode, Body: body}
	}
}

// readBody returns up to maxBody bytes as valid UTF-8 and always closes the
// body. Read errors are ignored: the status is what counts.
func readBody(resp *http.Response) string {
	b := resp.Body
	defer b.Close()
	if resp.ContentLength == 0 {
		return "" // the usual 201: skip the buffer
	}
	var buf [maxBody]byte
	n, _ := io.ReadFull(b, buf[:])
	_, _ = io.CopyN(io.Discard, b, maxDrain)
	if n == 0 {
		return ""
	}
	return strings.ToValidUTF8(string(buf[:n]), "\uFFFD")
}
