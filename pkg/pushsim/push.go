package pushsim

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// statusClientClosed records a request whose sender hung up while a delay
// was being simulated (nginx's convention; never sent on the wire).
const statusClientClosed = 499

// rejection is a request refused before the subscription's behavior applies.
type rejection struct {
	reason Reason
	msg    string
}

func reject(reason Reason, msg string) *rejection { return &rejection{reason: reason, msg: msg} }

func (r *rejection) status() int {
	switch r.reason {
	case RejectUnknownSubscription:
		return http.StatusNotFound
	case RejectPayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case RejectBadEncoding:
		return http.StatusUnsupportedMediaType
	case RejectBadTTL, RejectBadUrgency, RejectBadTopic, RejectDecryptFailed:
		return http.StatusBadRequest
	case RejectKeyMismatch:
		return http.StatusForbidden
	}
	return http.StatusUnauthorized
}

// message is a validated, decrypted push request.
type message struct {
	plaintext []byte // aliases a pooled buffer until cloned
	claims    Claims
	key       string // VAPID public key, base64url
	ttl       int
	urgency   string
	topic     string
}

func (s *Server) handlePush(w http.ResponseWriter, r *http.Request) {
	arrived := s.now()
	s.stats.received.Add(1)
	if !sleep(r.Context(), s.delay) {
		s.stats.status(statusClientClosed)
		return
	}
	rec, ok := s.subs.get(r.PathValue("id"))
	if !ok {
		s.refuse(w, r.PathValue("id"), reject(RejectUnknownSubscription, "no such subscription"))
		return
	}
	bufp := s.bodies.Get().(*[]byte)
	defer s.bodies.Put(bufp)

	msg, rej, err := s.readPush(r, rec, arrived, *bufp)
	switch {
	case err != nil:
		s.stats.status(http.StatusBadRequest)
		http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
		return
	case rej != nil:
		s.settle(rec, arrived, nil, rej)
		s.refuse(w, rec.id, rej)
		return
	}
	if rec.behavior.Kind == BehaviorSlow && !sleep(r.Context(), rec.behavior.Delay) {
		s.settle(rec, arrived, nil, nil)
		s.stats.status(statusClientClosed)
		return
	}
	out, location := s.settle(rec, arrived, msg, nil)
	s.stats.status(out.status)
	switch out.status {
	case http.StatusCreated:
		w.Header().Set("Location", location)
		w.Header().Set("TTL", strconv.Itoa(msg.ttl))
		w.WriteHeader(http.StatusCreated)
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.FormatInt(int64(out.retryAfter/time.Second), 10))
		http.Error(w, "rate limited (simulated)", out.status)
	default:
		http.Error(w, http.StatusText(out.status)+" (simulated)", out.status)
	}
}

func (s *Server) refuse(w http.ResponseWriter, subID string, rej *rejection) {
	s.stats.rejected[rej.reason].Add(1)
	s.stats.status(rej.status())
	s.log.Debug("push rejected", "subscription", subID, "reason", rej.reason.String(), "detail", rej.msg)
	if rej.status() == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "vapid")
	}
	http.Error(w, rej.reason.String()+": "+rej.msg, rej.status())
}

// readPush runs every check a push service makes, in order: size, headers,
// VAPID, decryption. buf has room for maxPushBody+1 bytes.
func (s *Server) readPush(r *http.Request, rec *record, now time.Time, buf []byte) (*message, *rejection, error) {
	if r.ContentLength > maxPushBody {
		return nil, reject(RejectPayloadTooLarge, fmt.Sprintf("body over %d bytes", maxPushBody)), nil
	}
	n, err := io.ReadFull(r.Body, buf[:maxPushBody+1])
	switch {
	case n > maxPushBody:
		return nil, reject(RejectPayloadTooLarge, fmt.Sprintf("body over %d bytes", maxPushBody)), nil
	case err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF):
		return nil, nil, err
	}
	body := buf[:n]

	msg := &message{}
	if rej := parsePushHeaders(r.Header, len(body), msg); rej != nil {
		return nil, rej, nil
	}
	v, rej := s.verifyVAPID(r.Header, now)
	if rej != nil {
		return nil, rej, nil
	}
	if rec.appServerKey != nil && !bytes.Equal(v.key, rec.appServerKey) {
		return nil, reject(RejectKeyMismatch, "k is not the subscription's applicationServerKey"), nil
	}
	msg.claims, msg.key = v.claims, v.keyB64
	if len(body) == 0 && r.Header.Get("Content-Encoding") == "" {
		return msg, nil, nil // a payload-less push (RFC 8030 §5) is legal
	}
	priv, err := ecdh.P256().NewPrivateKey(rec.priv[:])
	if err != nil {
		return nil, nil, fmt.Errorf("subscription key: %w", err)
	}
	pt, err := decryptPush(body, priv, rec.auth[:])
	if err != nil {
		return nil, reject(RejectDecryptFailed, err.Error()), nil
	}
	msg.plaintext = pt
	return msg, nil, nil
}

// parsePushHeaders checks the RFC 8030 / RFC 8291 request headers.
func parsePushHeaders(h http.Header, bodyLen int, msg *message) *rejection {
	ttlValues := h.Values("TTL")
	if len(ttlValues) != 1 {
		return reject(RejectBadTTL, "exactly one TTL header required")
	}
	ttl, err := strconv.Atoi(strings.TrimSpace(ttlValues[0]))
	if err != nil || ttl < 0 {
		return reject(RejectBadTTL, "TTL must be an integer >= 0")
	}
	msg.ttl = ttl

	enc := h.Get("Content-Encoding")
	if (bodyLen > 0 || enc != "") && !strings.EqualFold(strings.TrimSpace(enc), "aes128gcm") {
		return reject(RejectBadEncoding, "Content-Encoding must be aes128gcm")
	}

	if u := h.Get("Urgency"); u != "" {
		switch u {
		case "very-low", "low", "normal", "high":
			msg.urgency = u
		default:
			return reject(RejectBadUrgency, "Urgency must be very-low, low, normal or high")
		}
	}
	if t := h.Get("Topic"); t != "" {
		if len(t) > 32 || !isBase64URL(t) {
			return reject(RejectBadTopic, "Topic must be at most 32 base64url characters")
		}
		msg.topic = t
	}
	return nil
}

func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// sleep waits d unless ctx ends first; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
