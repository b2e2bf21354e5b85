package notification

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/osteele/liquid"

	"github.com/heraldpush/herald/pkg/fault"
)

// Personalised content: title, body, url, image and the actions' titles
// and urls may be Liquid templates (OneSignal's syntax, osteele/liquid),
// filled per recipient from its user's attributes, its subscription's, its
// user_id and the request's personalization for that user (Render). Templates are checked when
// the notification is accepted and compiled once per notification in the
// worker (Renderer); each recipient's rendering is then a few string
// renders spliced into the payload's JSON.

// templatedKeys are the payload keys whose strings may be templates, at
// any depth outside "data": the contract's fields, action buttons', and
// the declarative format's navigate.
var templatedKeys = map[string]bool{"title": true, "body": true, "url": true, "image": true, "navigate": true}

// linkKeys are the templated keys holding links, checked once rendered.
var linkKeys = map[string]bool{"url": true, "image": true, "navigate": true}

// templateCode is the fault code of a template that does not parse.
const templateCode = "invalid_template"

// isTemplate reports whether s holds Liquid markup.
func isTemplate(s string) bool { return strings.Contains(s, "{{") || strings.Contains(s, "{%") }

// Personalized reports whether the content holds any template.
func (c Content) Personalized() bool {
	for _, s := range []string{c.Title, c.Body, c.URL, c.Image} {
		if isTemplate(s) {
			return true
		}
	}
	for _, a := range c.Actions {
		if isTemplate(a.Title) || isTemplate(a.URL) {
			return true
		}
	}
	return false
}

// checkTemplates parses every templated field of c and renders it once
// with no data (undefined filters only show then), refusing the first
// that fails with 422 invalid_template naming the field and position.
func (c Content) checkTemplates() error {
	fields := [][2]string{{"title", c.Title}, {"body", c.Body}, {"url", c.URL}, {"image", c.Image}}
	for i, a := range c.Actions {
		fields = append(fields, [2]string{fmt.Sprintf("actions[%d].title", i), a.Title}, [2]string{fmt.Sprintf("actions[%d].url", i), a.URL})
	}
	engine := liquid.NewEngine()
	for _, f := range fields {
		if !isTemplate(f[1]) {
			continue
		}
		if _, err := compileTemplate(engine, f[0], f[1]); err != nil {
			return err
		}
	}
	for _, f := range []string{c.Icon, c.Badge, c.Tag} {
		if isTemplate(f) {
			return fault.Invalid(templateCode, "only title, body, url, image and the actions' title and url may be templates")
		}
	}
	return nil
}

var markupInError = regexp.MustCompile(` in ((?:\{\{|\{%).*(?:\}\}|%\}))$`)

// compileTemplate parses src, the template of field, and tries it on no
// data; an unclosed {{ or {% is an error here, where Liquid takes it as text.
func compileTemplate(engine *liquid.Engine, field, src string) (*liquid.Template, error) {
	for _, pair := range [][2]string{{"{{", "}}"}, {"{%", "%}"}} {
		rest, at := src, 0
		for {
			open := strings.Index(rest, pair[0])
			if open < 0 {
				break
			}
			closing := strings.Index(rest[open:], pair[1])
			if closing < 0 {
				return nil, fault.Invalid(templateCode, "notification.%s: %s at position %d is never closed with %s", field, pair[0], at+open, pair[1])
			}
			at += open + closing + len(pair[1])
			rest = rest[open+closing+len(pair[1]):]
		}
	}
	var tpl *liquid.Template
	err := unpanicked(func() (err error) {
		if tpl, err = engine.ParseString(src); err == nil {
			_, err = tpl.RenderString(liquid.Bindings{})
		}
		return err
	})
	if err != nil {
		msg := err.Error()
		if m := markupInError.FindStringSubmatch(msg); m != nil {
			if pos := strings.Index(src, m[1]); pos >= 0 {
				msg += fmt.Sprintf(" (at position %d)", pos)
			}
		}
		return nil, fault.Invalid(templateCode, "notification.%s: %s", field, msg)
	}
	return tpl, nil
}

// unpanicked runs f, turning a panic into an error: osteele/liquid panics
// on some input (an integer literal past int64 in {{ }}, found by
// FuzzTemplate), which must be a 422 for the sender, not a 500.
func unpanicked(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	return f()
}

// Renderer fills a personalised notification's payloads for one recipient
// after another. Made once per notification (NewRenderer); safe for
// concurrent use.
type Renderer struct {
	main        *payloadTemplate
	declarative *payloadTemplate // Apple's payload (format auto); nil: none
	perUser     map[string]map[string]any
}

// payloadTemplate is one payload's JSON cut around its templated strings.
type payloadTemplate struct {
	segments [][]byte // the payload's JSON around the templated strings
	slots    []slot   // slots[i] goes between segments[i] and segments[i+1]
}

type slot struct {
	tpl  *liquid.Template
	key  string // the payload key it fills
	link bool
}

// sentinel marks a templated string in the re-encoded payload; JSON
// encodes the NUL bytes as \u0000, which no real content holds.
var sentinel = regexp.MustCompile(`"\\u0000herald-template-(\d+)\\u0000"`)

// NewRenderer compiles the templates of payloads, n's or one of its
// variants' (declarative: Apple's, "" for none).
func NewRenderer(n *Notification, payload, declarative string) (*Renderer, error) {
	engine := liquid.NewEngine()
	main, err := compilePayload(engine, payload)
	if err != nil {
		return nil, fmt.Errorf("notification %s payload: %w", n.ID, err)
	}
	r := &Renderer{main: main}
	if declarative != "" {
		if r.declarative, err = compilePayload(engine, declarative); err != nil {
			return nil, fmt.Errorf("notification %s declarative payload: %w", n.ID, err)
		}
	}
	if n.Personalization != "" {
		if err := json.Unmarshal([]byte(n.Personalization), &r.perUser); err != nil {
			return nil, fmt.Errorf("notification %s personalization: %w", n.ID, err)
		}
	}
	return r, nil
}

// compilePayload parses the templated strings of one payload's JSON.
func compilePayload(engine *liquid.Engine, payload string) (*payloadTemplate, error) {
	var tree any
	dec := json.NewDecoder(strings.NewReader(payload))
	dec.UseNumber() // data's numbers stay as sent
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	var slots []slot
	var walk func(v any, key string) (any, error)
	walk = func(v any, key string) (any, error) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if k == "data" {
					continue
				}
				out, err := walk(child, k)
				if err != nil {
					return nil, err
				}
				v[k] = out
			}
		case []any:
			for i, child := range v {
				out, err := walk(child, key)
				if err != nil {
					return nil, err
				}
				v[i] = out
			}
		case string:
			if templatedKeys[key] && isTemplate(v) {
				tpl, err := compileTemplate(engine, key, v)
				if err != nil {
					return nil, err
				}
				slots = append(slots, slot{tpl: tpl, key: key, link: linkKeys[key]})
				return fmt.Sprintf("\x00herald-template-%d\x00", len(slots)-1), nil
			}
		}
		return v, nil
	}
	tree, err := walk(tree, "")
	if err != nil {
		return nil, err
	}
	encoded, err := json.Marshal(tree)
	if err != nil {
		return nil, err
	}
	t := &payloadTemplate{}
	last := 0
	for _, m := range sentinel.FindAllSubmatchIndex(encoded, -1) {
		i, _ := strconv.Atoi(string(encoded[m[2]:m[3]]))
		t.segments = append(t.segments, encoded[last:m[0]])
		t.slots = append(t.slots, slots[i])
		last = m[1]
	}
	t.segments = append(t.segments, encoded[last:])
	return t, nil
}

// Recipient is what one recipient's templates are filled from.
type Recipient struct {
	UserID       string            // "" for none
	User         map[string]string // the user's own attributes
	Subscription map[string]string // its subscription's attributes
}

// Render returns the payload for a recipient. Its variables are, each
// overriding the ones before: the user's attributes, the subscription's
// (one browser of the user: what is true of it, such as its language, is
// more specific than the user's profile), user_id, then the request's
// personalization for the user (this one send, the most specific of all).
// declarative asks for Apple's payload when the notification has one. An
// error says why this recipient cannot have it (too large, a link that is
// not one); it is the recipient's outcome, not the notification's.
func (r *Renderer) Render(rc Recipient, declarative bool) ([]byte, error) {
	vars := make(liquid.Bindings, len(rc.User)+len(rc.Subscription)+4)
	for k, v := range rc.User {
		vars[k] = v
	}
	for k, v := range rc.Subscription {
		vars[k] = v
	}
	if rc.UserID != "" {
		vars["user_id"] = rc.UserID
		for k, v := range r.perUser[rc.UserID] {
			vars[k] = v
		}
	}
	t := r.main
	if declarative && r.declarative != nil {
		t = r.declarative
	}
	var buf bytes.Buffer
	buf.Grow(MaxPayloadBytes)
	for i, s := range t.slots {
		buf.Write(t.segments[i])
		var text string
		err := unpanicked(func() (err error) {
			text, err = s.tpl.RenderString(vars)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", s.key, err)
		}
		if s.link && !validLink(text) {
			return nil, fmt.Errorf("the rendered %s %q is not an http(s) URL or a path", s.key, text)
		}
		quoted, _ := json.Marshal(text)
		buf.Write(quoted)
	}
	buf.Write(t.segments[len(t.segments)-1])
	if buf.Len() > MaxPayloadBytes {
		return nil, fmt.Errorf("the personalised payload is %d bytes of JSON; at most %d fit one encrypted push record", buf.Len(), MaxPayloadBytes)
	}
	return buf.Bytes(), nil
}
