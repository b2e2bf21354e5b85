package pushsim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Firefox's push client speaks a WebSocket protocol (the one Mozilla's
// autopush serves) to the server in its dom.push.serverURL pref. In this
// mode the simulator is that server: browsers connect to /_sim/webpush,
// register channels whose endpoints are POST /wpush/{channelID} on the
// simulator's origin, and encrypted bodies pushed there are forwarded to the
// browser as they are. The browser decrypts; the simulator cannot.

// WebPushPath is where browsers open their push WebSocket.
const WebPushPath = "/_sim/webpush"

// WebPushMessage is one push forwarded to a browser, and the browser's answer.
type WebPushMessage struct {
	ChannelID string
	Version   string
	Body      []byte // the aes128gcm body as the sender posted it
	VAPIDKey  string // the key it was signed with, base64url
	Sent      bool   // written to a connected browser
	AckCode   int    // 100 delivered, 101 decryption failed, ...; 0 until acked
}

// WebPushChannel is a registration a browser made.
type WebPushChannel struct {
	UAID      string
	ChannelID string
	Endpoint  string
	Key       string // the applicationServerKey the browser sent, base64url
}

type wpConn struct {
	uaid  string
	send  chan []byte
	close func() // ends the connection, as a push server restarting does
}

// wpServer is the simulator's WebSocket side.
type wpServer struct {
	s *Server

	mu        sync.Mutex
	channels  map[string]*WebPushChannel // by channel id
	conns     map[string]*wpConn         // by uaid, the connected browsers
	forgotten map[string]bool            // uaids whose next hello gets a new one
	messages  []*WebPushMessage
	changed   chan struct{} // closed and replaced on every change
}

func newWebPush(s *Server) *wpServer {
	return &wpServer{s: s, channels: map[string]*WebPushChannel{}, conns: map[string]*wpConn{},
		forgotten: map[string]bool{}, changed: make(chan struct{})}
}

func (s *Server) webpushRoutes(mux *http.ServeMux) {
	s.wp = newWebPush(s)
	mux.HandleFunc("GET "+WebPushPath, s.wp.serveSocket)
	mux.HandleFunc("POST /wpush/{channel}", s.wp.handlePush)
}

// bump wakes every waiter; call with mu held.
func (w *wpServer) bump() {
	close(w.changed)
	w.changed = make(chan struct{})
}

// WebPushChannels returns the registrations made so far.
func (s *Server) WebPushChannels() []WebPushChannel {
	s.wp.mu.Lock()
	defer s.wp.mu.Unlock()
	out := make([]WebPushChannel, 0, len(s.wp.channels))
	for _, c := range s.wp.channels {
		out = append(out, *c)
	}
	return out
}

// WebPushMessages returns every push forwarded so far, with ack codes.
func (s *Server) WebPushMessages() []WebPushMessage {
	s.wp.mu.Lock()
	defer s.wp.mu.Unlock()
	out := make([]WebPushMessage, len(s.wp.messages))
	for i, m := range s.wp.messages {
		out[i] = *m
	}
	return out
}

// WaitWebPush blocks until cond holds for the channels and messages, or ctx ends.
func (s *Server) WaitWebPush(ctx context.Context, cond func([]WebPushChannel, []WebPushMessage) bool) error {
	for {
		s.wp.mu.Lock()
		ch := s.wp.changed
		s.wp.mu.Unlock()
		if cond(s.WebPushChannels(), s.WebPushMessages()) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for web push state: %w", ctx.Err())
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// handlePush accepts an RFC 8030 push for a channel: VAPID must verify, the
// body is forwarded encrypted. 404 for an unknown channel.
func (w *wpServer) handlePush(rw http.ResponseWriter, r *http.Request) {
	id := r.PathValue("channel")
	w.mu.Lock()
	ch, ok := w.channels[id]
	w.mu.Unlock()
	if !ok {
		http.Error(rw, "no such channel", http.StatusNotFound)
		return
	}
	v, rej := w.s.verifyVAPID(r.Header, w.s.now())
	if rej != nil {
		http.Error(rw, rej.msg, rej.status())
		return
	}
	// A channel registered with an applicationServerKey takes pushes signed
	// with that key only, as Mozilla's push service does: a sender that
	// rotated its VAPID key must keep signing old subscriptions with the old.
	if raw, err := decodeBase64URL(ch.Key); ch.Key != "" && (err != nil || !bytes.Equal(raw, v.key)) {
		rej := reject(RejectKeyMismatch, "k is not the key the channel was registered with")
		http.Error(rw, rej.msg, rej.status())
		return
	}
	if r.Header.Get("Content-Encoding") != "aes128gcm" {
		http.Error(rw, "Content-Encoding must be aes128gcm", http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPushBody+1))
	if err != nil || len(body) > maxPushBody {
		http.Error(rw, "body over 4096 bytes or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	msg := &WebPushMessage{ChannelID: id, Version: randomHex(16), Body: body, VAPIDKey: v.keyB64}
	w.mu.Lock()
	w.messages = append(w.messages, msg)
	conn := w.conns[ch.UAID]
	w.bump()
	w.mu.Unlock()
	if conn != nil {
		w.deliver(conn, msg)
	}
	rw.Header().Set("Location", w.s.PublicOrigin()+"/wpush/"+id+"/"+msg.Version)
	rw.WriteHeader(http.StatusCreated)
}

// deliver queues msg on conn's writer; a full queue leaves it for the
// browser's next connection.
func (w *wpServer) deliver(conn *wpConn, m *WebPushMessage) {
	frame, _ := json.Marshal(map[string]any{
		"messageType": "notification", "channelID": m.ChannelID, "version": m.Version,
		"data": base64.RawURLEncoding.EncodeToString(m.Body), "headers": map[string]string{"encoding": "aes128gcm"},
	})
	select {
	case conn.send <- frame:
		w.mu.Lock()
		m.Sent = true
		w.bump()
		w.mu.Unlock()
	default:
	}
}

// serveSocket runs one browser connection until it closes.
func (w *wpServer) serveSocket(rw http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(rw, r, &websocket.AcceptOptions{
		Subprotocols: []string{"push-notification"}, InsecureSkipVerify: true,
	})
	if err != nil {
		w.s.log.Debug("webpush accept", "err", err)
		return
	}
	defer c.CloseNow()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	conn := &wpConn{send: make(chan []byte, 64), close: cancel}
	go func() {
		for {
			select {
			case frame := <-conn.send:
				wctx, done := context.WithTimeout(ctx, 10*time.Second)
				err := c.Write(wctx, websocket.MessageText, frame)
				done()
				if err != nil {
					cancel()
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	defer w.disconnect(conn)
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		w.handleFrame(conn, data)
	}
}

func (w *wpServer) disconnect(conn *wpConn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if conn.uaid != "" && w.conns[conn.uaid] == conn {
		delete(w.conns, conn.uaid)
		w.bump()
	}
}
