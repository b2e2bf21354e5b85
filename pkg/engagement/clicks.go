package engagement

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"

	"github.com/heraldpush/herald/pkg/fault"
)

// Click links: with an app's click_tracking "link", a notification's url
// (and each action's) is a Herald link that counts the click and redirects
// to the target, so clicks are counted where no service worker reports them
// (Safari showing a declarative notification by itself). Herald redirects
// only to targets it signed: the link carries an HMAC over notification,
// action and target under the event token secret, so it is no open
// redirect. It also carries the event token (r), which the worker makes
// the recipient's in each message: a click counts once per recipient, as a
// service worker's report does, however many browsers open the link.

// ClickPath is where click links point, under Herald's public URL.
const ClickPath = "/v1/clicks/"

// clickMACLen is how much of the HMAC a link carries: 128 bits.
const clickMACLen = 16

// ErrClickLink refuses a link Herald did not sign; nothing is counted and
// nothing is redirected.
var ErrClickLink = fault.NotFound("click_link_not_found",
	"this is not a click link Herald signed (or it was changed); nothing was counted and there is nowhere to redirect")

// Links signs what a payload carries: event tokens, and click links under
// Herald's public URL.
type Links struct {
	tokens *Tokens
	base   string
}

// NewLinks returns Links signing with tokens; click links start with
// publicURL (where browsers reach Herald's API, no trailing slash).
func NewLinks(tokens *Tokens, publicURL string) *Links {
	return &Links{tokens: tokens, base: strings.TrimRight(publicURL, "/")}
}

// Token is the event token for a notification (Tokens.Token).
func (l *Links) Token(ctx context.Context, notificationID string) (string, error) {
	return l.tokens.Token(ctx, notificationID)
}

// ClickLink is the signed link that counts a click on notificationID (its
// action, "" for the body) and redirects to target, an absolute URL.
func (l *Links) ClickLink(ctx context.Context, notificationID, action, target string) (string, error) {
	secret, err := l.tokens.load(ctx)
	if err != nil {
		return "", err
	}
	token, err := l.tokens.Token(ctx, notificationID)
	if err != nil {
		return "", err
	}
	q := url.Values{"u": {target}, "s": {clickMAC(secret, notificationID, action, target)}, "r": {token}}
	if action != "" {
		q.Set("a", action)
	}
	return l.base + ClickPath + notificationID + "?" + q.Encode(), nil
}

// validClick says whether sig is Herald's signature of the link's parts.
func (t *Tokens) validClick(ctx context.Context, notificationID, action, target, sig string) (bool, error) {
	secret, err := t.load(ctx)
	if err != nil {
		return false, err
	}
	return hmac.Equal([]byte(sig), []byte(clickMAC(secret, notificationID, action, target))), nil
}

func clickMAC(secret []byte, notificationID, action, target string) string {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("herald click link v1\x00"))
	h.Write([]byte(notificationID + "\x00" + action + "\x00" + target))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:clickMACLen])
}

// Click is one visit of a click link.
type Click struct {
	NotificationID, Action, Target, Signature string
	// Recipient is the link's event token (r), the recipient's.
	Recipient string
}

// RecordClick verifies a click link and counts the click once per
// recipient (a link without a valid recipient token redirects, uncounted).
// It returns ErrClickLink for a link Herald did not sign; a valid link's
// target may be redirected to even when counting fails.
func (s *Store) RecordClick(ctx context.Context, c Click) (counted bool, err error) {
	target, err := url.Parse(c.Target)
	if err != nil || (target.Scheme != "https" && target.Scheme != "http") || target.Host == "" {
		return false, ErrClickLink
	}
	ok, err := s.tokens.validClick(ctx, c.NotificationID, c.Action, c.Target, c.Signature)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, ErrClickLink
	}
	counted, err = s.Record(ctx, Event{NotificationID: c.NotificationID, Token: c.Recipient, Type: Clicked, Action: c.Action},
		func(string) error { return nil })
	if errors.Is(err, ErrToken) { // signed, but no recipient's, or deleted since
		return false, nil
	}
	return counted, err
}
