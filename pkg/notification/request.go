// Package notification turns a send request into a stored notification
// (validation, the payload the service worker decrypts, idempotency) and
// owns its state from then on: status, fan-out cursor, enqueued mark,
// outcome and engagement counts, completion. It owns the notifications and
// notification_counts tables.
package notification

import (
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/segment"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/textcheck"
)

// Limits of a send request.
const (
	MaxTTL          = 2419200 // 28 days, what push services keep at most
	DefaultTTL      = 86400
	MaxTargetIDs    = 10000
	MaxActions      = 4
	MaxTextLength   = 2000
	MaxPayloadBytes = 3993 // one 4096-byte aes128gcm record: 4096 - 86 header - 16 tag - 1 delimiter
)

var topicPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Target says who receives a notification; exactly one field is set.
type Target struct {
	All             bool
	UserIDs         []string
	Topics          []string
	SubscriptionIDs []string
	Segment         string // a segment expression (pkg/segment)
}

// Action is a notification button.
type Action struct {
	Action string
	Title  string
	URL    string
	Icon   string
}

// Content is what the browser shows; fields as in the contract. The
// payload and the stored row encode it as JSON (content.go).
type Content struct {
	Title              string
	Body               string
	Icon               string
	Badge              string
	Image              string
	URL                string
	Tag                string
	Lang               string // BCP 47 language tag of title and body
	Dir                string // text direction: auto, ltr or rtl
	Actions            []Action
	Data               json.RawMessage
	RequireInteraction bool
	Renotify           bool
	Silent             bool
	Vibrate            []int
}

// Request is a send request.
type Request struct {
	Target       Target
	Notification Content
	TTL          *int
	Urgency      string
	Topic        string
	SendAt       *time.Time
	// SendAtLocal is "YYYY-MM-DDTHH:MM[:SS]" on each recipient's wall clock.
	SendAtLocal   string
	SkipIfPast    bool
	TimeSensitive bool
	Category      string
	// ThrottlePerMinute: nil takes the app's default, 0 sends unthrottled.
	ThrottlePerMinute *int
	CancelKey         string
	// Format is the payload format; "" takes the app's default (auto).
	Format Format
	// AppBadge is the number the browser shows on the app's icon (0 clears
	// it); nil leaves the badge alone.
	AppBadge *int
	// Personalization is per-user data for the content's templates, keyed
	// by user id.
	Personalization map[string]map[string]any
	// Variants are A/B variants (2 to 5) whose contents override
	// Notification's; none: Notification is the content.
	Variants []Variant
	// App holds the app's settings the request falls back on: its default
	// time zone and throttle.
	App AppDefaults
}

// AppDefaults are what an app's settings give a request that says nothing.
type AppDefaults struct {
	Timezone          *time.Location // nil: UTC
	ThrottlePerMinute int
	Format            Format // "": auto
	// ClickTracking is the app's click_tracking: "" (the service worker
	// reports clicks), ClickTrackingLink or ClickTrackingPage.
	ClickTracking string
	// Origin is the app's first allowed origin: the base of site-relative
	// links in declarative payloads, and their navigate target when the
	// notification has no url.
	Origin string
	TTL    *int // nil: DefaultTTL
}

// format is the payload format the request is sent in.
func (r *Request) format() Format {
	switch {
	case r.Format != "":
		return r.Format
	case r.App.Format != "":
		return r.App.Format
	}
	return FormatAuto
}

// MaxAppBadge is the largest app badge taken: platforms show far less, and
// it keeps the value an integer in every JSON parser.
const MaxAppBadge = 1_000_000

// Limits of the targeting and timing fields.
const (
	MaxCategoryLength  = 64
	MaxCancelKeyLength = 255
	MaxThrottle        = 10_000_000
	// MaxScheduleAhead is how far ahead send_at and send_at_local may be: a
	// year (and a day, for a send_at_local in the furthest time zone).
	MaxScheduleAhead = 366 * 24 * time.Hour
	localLayout      = "2006-01-02T15:04:05"
)

var langPattern = regexp.MustCompile(`^([A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*)?$`)

var categoryPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

// validate checks everything but the payload size.
func (r *Request) validate() (kind subscription.AudienceKind, values []string, err error) {
	if kind, values, err = r.Target.validate(); err != nil {
		return "", nil, err
	}
	if r.Variants == nil {
		if err := r.Notification.validate(); err != nil {
			return "", nil, err
		}
		if err := r.Notification.checkTemplates(); err != nil {
			return "", nil, err
		}
	}
	if r.TTL != nil && (*r.TTL < 0 || *r.TTL > MaxTTL) {
		return "", nil, fault.Invalid("invalid_ttl", "ttl must be 0 to %d seconds", MaxTTL)
	}
	switch r.Urgency {
	case "", "very-low", "low", "normal", "high":
	default:
		return "", nil, fault.Invalid("invalid_urgency", "urgency must be very-low, low, normal or high")
	}
	if r.Topic != "" && !topicPattern.MatchString(r.Topic) {
		return "", nil, fault.Invalid("invalid_topic", "topic must be 1 to 32 URL-safe base64 characters (A-Z a-z 0-9 - _)")
	}
	if err := r.validateTiming(); err != nil {
		return "", nil, err
	}
	if r.Format != "" && !r.Format.Valid() {
		return "", nil, fault.Invalid("invalid_format", "format must be auto (declarative for Safari, standard elsewhere), standard or declarative")
	}
	if b := r.AppBadge; b != nil && (*b < 0 || *b > MaxAppBadge) {
		return "", nil, fault.Invalid("invalid_app_badge", "app_badge must be 0 (clears the badge) to %d", MaxAppBadge)
	}
	return kind, values, nil
}

func (r *Request) validateTiming() error {
	if r.Category != "" && !categoryPattern.MatchString(r.Category) {
		return fault.Invalid("invalid_category", "category must be 1 to %d characters of A-Z a-z 0-9 _ . : -", MaxCategoryLength)
	}
	if r.CancelKey != "" && (len(r.CancelKey) > MaxCancelKeyLength || !printableText(r.CancelKey)) {
		return fault.Invalid("invalid_cancel_key", "cancel_key must be 1 to %d printable bytes", MaxCancelKeyLength)
	}
	if t := r.ThrottlePerMinute; t != nil && (*t < 0 || *t > MaxThrottle) {
		return fault.Invalid("invalid_throttle", "throttle_per_minute must be 0 (unthrottled) to %d", MaxThrottle)
	}
	if r.SendAt != nil && r.SendAt.After(time.Now().Add(MaxScheduleAhead)) {
		return fault.Invalid("invalid_send_at", "send_at must be at most a year ahead")
	}
	if r.SendAtLocal != "" {
		if r.SendAt != nil {
			return fault.Invalid("invalid_send_at_local", "give send_at or send_at_local, not both")
		}
		local, err := ParseLocal(r.SendAtLocal)
		if err != nil {
			return err
		}
		if at, _ := time.Parse(localLayout, local); at.After(time.Now().Add(MaxScheduleAhead + 24*time.Hour)) {
			return fault.Invalid("invalid_send_at_local", "send_at_local must be at most a year ahead")
		}
	} else if r.SkipIfPast {
		return fault.Invalid("invalid_send_at_local", "skip_if_past applies only with send_at_local")
	}
	return nil
}

// ParseLocal reads a wall-clock time "YYYY-MM-DDTHH:MM[:SS]" (no offset) and
// returns it in its canonical form, with seconds.
func ParseLocal(s string) (string, error) {
	layout := localLayout
	if len(s) == len("2006-01-02T15:04") {
		layout = "2006-01-02T15:04"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return "", fault.Invalid("invalid_send_at_local", `send_at_local must be a wall-clock time "YYYY-MM-DDTHH:MM[:SS]" with no offset, like "2026-12-24T09:00"`)
	}
	return t.Format(localLayout), nil
}

// printableText reports whether s is valid UTF-8 without control characters.
func printableText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func (t Target) validate() (subscription.AudienceKind, []string, error) {
	set := 0
	kind, values := subscription.AudienceKind(""), []string(nil)
	if t.All {
		set++
		kind = TargetAll
	}
	if t.UserIDs != nil {
		set++
		kind, values = TargetUsers, t.UserIDs
	}
	if t.Topics != nil {
		set++
		kind, values = TargetTopics, t.Topics
	}
	if t.SubscriptionIDs != nil {
		set++
		kind, values = TargetSubscriptions, t.SubscriptionIDs
	}
	if t.Segment != "" {
		set++
		kind = TargetSegment
	}
	if set != 1 {
		return "", nil, fault.Invalid("invalid_target",
			`target must be exactly one of {"all": true}, {"user_ids": [...]}, {"topics": [...]}, {"subscription_ids": [...]}, {"segment": "..."}`)
	}
	if kind == TargetSegment {
		expr, err := ParseSegment(t.Segment)
		if err != nil {
			return "", nil, err
		}
		return kind, []string{expr.String()}, nil
	}
	if kind != TargetAll && (len(values) == 0 || len(values) > MaxTargetIDs) {
		return "", nil, fault.Invalid("invalid_target", "target.%s must hold 1 to %d items", kind, MaxTargetIDs)
	}
	seen := make(map[string]bool, len(values))
	unique := values[:0:0]
	for _, v := range values {
		switch kind {
		case TargetUsers:
			if !textcheck.Identifier(v, subscription.MaxUserIDLength) {
				return "", nil, fault.Invalid("invalid_target",
					"user ids must be 1 to %d printable characters, as subscriptions take them (no control characters)", subscription.MaxUserIDLength)
			}
		case TargetTopics:
			if _, err := subscription.ValidateTopics([]string{v}); err != nil {
				return "", nil, fault.Invalid("invalid_target", "topics must be 1 to %d printable characters", subscription.MaxTopicLength)
			}
		case TargetSubscriptions:
			if _, err := uuid.Parse(v); err != nil {
				return "", nil, fault.Invalid("invalid_target", "subscription id %q is not an id Herald issued", v)
			}
		}
		if !seen[v] {
			seen[v] = true
			unique = append(unique, v)
		}
	}
	return kind, unique, nil
}

// ParseSegment parses a segment expression, or says where it is wrong
// (422 invalid_segment).
func ParseSegment(text string) (*segment.Node, error) {
	expr, err := segment.Parse(text)
	if err != nil {
		var pe *segment.Error
		if errors.As(err, &pe) {
			return nil, fault.Invalid("invalid_segment", "segment: %s at position %d (counting from 0): %s", pe.Msg, pe.Pos, pointAt(text, pe.Pos))
		}
		return nil, fault.Invalid("invalid_segment", "segment: %v", err)
	}
	return expr, nil
}

// pointAt shows the expression around pos with a marker: `news && >>)<<`.
func pointAt(text string, pos int) string {
	from, to := max(0, pos-20), min(len(text), pos+20)
	for from > 0 && !utf8.RuneStart(text[from]) {
		from--
	}
	for to < len(text) && !utf8.RuneStart(text[to]) {
		to++
	}
	if pos >= len(text) {
		return strconv.Quote(text[from:] + " <<here")
	}
	return strconv.Quote(text[from:pos] + " >>" + text[pos:to])
}

func (c *Content) validate() error {
	if c.Title == "" {
		return fault.Invalid("invalid_notification", "notification.title is required")
	}
	for name, text := range map[string]string{"title": c.Title, "body": c.Body, "tag": c.Tag} {
		if utf8.RuneCountInString(text) > MaxTextLength {
			return fault.Invalid("invalid_notification", "notification.%s is longer than %d characters", name, MaxTextLength)
		}
	}
	for name, link := range map[string]string{"icon": c.Icon, "badge": c.Badge, "image": c.Image, "url": c.URL} {
		if !validLink(link) && !startsWithTemplate(link) {
			return fault.Invalid("invalid_notification", "notification.%s must be an http(s) URL or a path", name)
		}
	}
	if len(c.Lang) > 35 || !langPattern.MatchString(c.Lang) {
		return fault.Invalid("invalid_notification", `notification.lang must be a BCP 47 language tag such as "en" or "pt-BR"`)
	}
	switch c.Dir {
	case "", "auto", "ltr", "rtl":
	default:
		return fault.Invalid("invalid_notification", "notification.dir must be auto, ltr or rtl")
	}
	if len(c.Actions) > MaxActions {
		return fault.Invalid("invalid_notification", "at most %d actions", MaxActions)
	}
	for _, a := range c.Actions {
		if a.Action == "" || a.Title == "" || !validLink(a.URL) && !startsWithTemplate(a.URL) || !validLink(a.Icon) {
			return fault.Invalid("invalid_notification", "each action needs action and title; url and icon must be http(s) URLs or paths")
		}
	}
	if len(c.Data) > 0 && !json.Valid(c.Data) {
		return fault.Invalid("invalid_notification", "notification.data must be JSON")
	}
	return nil
}

// startsWithTemplate is a link whose start is filled per recipient: it is
// checked once rendered (Renderer.Render).
func startsWithTemplate(link string) bool {
	return strings.HasPrefix(link, "{{") || strings.HasPrefix(link, "{%")
}

// validLink accepts empty, absolute http(s) URLs and site-relative paths.
func validLink(s string) bool {
	if s == "" {
		return true
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	if u.Scheme == "" {
		return u.Host == "" && len(s) > 0 && s[0] == '/'
	}
	return (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
