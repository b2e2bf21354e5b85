package pushsim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// BehaviorKind names a failure-injection mode.
type BehaviorKind uint8

// The zero kind, BehaviorDefault, means "whatever the server's
// Config.DefaultBehavior is" and is resolved when a subscription is minted.
const (
	BehaviorDefault    BehaviorKind = iota // resolve to Config.DefaultBehavior at mint time
	BehaviorOK                             // "ok": 201
	BehaviorGone                           // "gone": always 410
	BehaviorNotFound                       // "not_found": always 404
	BehaviorFailFirst                      // "fail_first:K": 500 for the first K attempts
	BehaviorRateLimit                      // "rate_limit:K:S": 429 + Retry-After S for the first K attempts
	BehaviorAlwaysFail                     // "always_fail": always 500
	BehaviorBadRequest                     // "bad_request": always 400
	BehaviorSlow                           // "slow:MS": wait MS milliseconds, then 201
)

var behaviorNames = [...]string{
	BehaviorDefault:    "",
	BehaviorOK:         "ok",
	BehaviorGone:       "gone",
	BehaviorNotFound:   "not_found",
	BehaviorFailFirst:  "fail_first",
	BehaviorRateLimit:  "rate_limit",
	BehaviorAlwaysFail: "always_fail",
	BehaviorBadRequest: "bad_request",
	BehaviorSlow:       "slow",
}

// Behavior is how a subscription answers valid push requests. The zero value
// is BehaviorDefault. It marshals to and from its string form (see
// ParseBehavior), so it can sit in JSON as "fail_first:2".
type Behavior struct {
	Kind BehaviorKind
	// Count is K for fail_first and rate_limit.
	Count int
	// RetryAfter is S for rate_limit, whole seconds.
	RetryAfter time.Duration
	// Delay is MS for slow.
	Delay time.Duration
}

// ParseBehavior parses "ok", "gone", "not_found", "fail_first:K",
// "rate_limit:K:S", "always_fail", "bad_request" or "slow:MS". The empty
// string is BehaviorDefault.
func ParseBehavior(s string) (Behavior, error) {
	name, rest, _ := strings.Cut(strings.TrimSpace(s), ":")
	var args []string
	if rest != "" {
		args = strings.Split(rest, ":")
	}
	want := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("behavior %q: want %d argument(s), got %d", s, n, len(args))
		}
		return nil
	}
	switch name {
	case "":
		return Behavior{}, want(0)
	case "ok":
		return Behavior{Kind: BehaviorOK}, want(0)
	case "gone":
		return Behavior{Kind: BehaviorGone}, want(0)
	case "not_found":
		return Behavior{Kind: BehaviorNotFound}, want(0)
	case "always_fail":
		return Behavior{Kind: BehaviorAlwaysFail}, want(0)
	case "bad_request":
		return Behavior{Kind: BehaviorBadRequest}, want(0)
	case "fail_first":
		if err := want(1); err != nil {
			return Behavior{}, err
		}
		k, err := nonNegative(args[0])
		if err != nil {
			return Behavior{}, fmt.Errorf("behavior %q: count: %w", s, err)
		}
		return Behavior{Kind: BehaviorFailFirst, Count: k}, nil
	case "rate_limit":
		if err := want(2); err != nil {
			return Behavior{}, err
		}
		k, err := nonNegative(args[0])
		if err != nil {
			return Behavior{}, fmt.Errorf("behavior %q: count: %w", s, err)
		}
		secs, err := nonNegative(args[1])
		if err != nil {
			return Behavior{}, fmt.Errorf("behavior %q: retry-after: %w", s, err)
		}
		return Behavior{Kind: BehaviorRateLimit, Count: k, RetryAfter: time.Duration(secs) * time.Second}, nil
	case "slow":
		if err := want(1); err != nil {
			return Behavior{}, err
		}
		ms, err := nonNegative(args[0])
		if err != nil {
			return Behavior{}, fmt.Errorf("behavior %q: milliseconds: %w", s, err)
		}
		return Behavior{Kind: BehaviorSlow, Delay: time.Duration(ms) * time.Millisecond}, nil
	}
	return Behavior{}, fmt.Errorf("unknown behavior %q", s)
}

func nonNegative(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("not an integer: %w", err)
	}
	if n < 0 {
		return 0, fmt.Errorf("negative: %d", n)
	}
	return n, nil
}

// String gives the form ParseBehavior accepts.
func (b Behavior) String() string {
	if int(b.Kind) >= len(behaviorNames) {
		return fmt.Sprintf("behavior(%d)", b.Kind)
	}
	name := behaviorNames[b.Kind]
	switch b.Kind {
	case BehaviorFailFirst:
		return fmt.Sprintf("%s:%d", name, b.Count)
	case BehaviorRateLimit:
		return fmt.Sprintf("%s:%d:%d", name, b.Count, int64(b.RetryAfter/time.Second))
	case BehaviorSlow:
		return fmt.Sprintf("%s:%d", name, b.Delay.Milliseconds())
	}
	return name
}

// MarshalText implements encoding.TextMarshaler.
func (b Behavior) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *Behavior) UnmarshalText(text []byte) error {
	parsed, err := ParseBehavior(string(text))
	if err != nil {
		return err
	}
	*b = parsed
	return nil
}

// outcome is the answer a behavior gives to the attempt-th valid request
// (1-based).
type outcome struct {
	status     int
	retryAfter time.Duration // set only with 429
}

func (b Behavior) outcome(attempt int64) outcome {
	switch b.Kind {
	case BehaviorGone:
		return outcome{status: http.StatusGone}
	case BehaviorNotFound:
		return outcome{status: http.StatusNotFound}
	case BehaviorAlwaysFail:
		return outcome{status: http.StatusInternalServerError}
	case BehaviorBadRequest:
		return outcome{status: http.StatusBadRequest}
	case BehaviorFailFirst:
		if attempt <= int64(b.Count) {
			return outcome{status: http.StatusInternalServerError}
		}
	case BehaviorRateLimit:
		if attempt <= int64(b.Count) {
			return outcome{status: http.StatusTooManyRequests, retryAfter: b.RetryAfter}
		}
	}
	return outcome{status: http.StatusCreated}
}

// goneLike reports whether the behavior tells the sender the subscription is
// dead, after which a well-behaved sender stops contacting it.
func goneLike(status int) bool {
	return status == http.StatusGone || status == http.StatusNotFound
}
