package pushsim

import "encoding/json"

// clientFrame is any message a browser sends on the push socket.
type clientFrame struct {
	MessageType string `json:"messageType"`
	UAID        string `json:"uaid"`
	ChannelID   string `json:"channelID"`
	Key         string `json:"key"`
	Updates     []struct {
		ChannelID string `json:"channelID"`
		Version   string `json:"version"`
		Code      int    `json:"code"`
	} `json:"updates"`
}

// handleFrame answers one browser message: hello, register, unregister,
// ack, nack or a ping ("{}").
func (w *wpServer) handleFrame(conn *wpConn, data []byte) {
	var f clientFrame
	if err := json.Unmarshal(data, &f); err != nil {
		return
	}
	reply := func(v map[string]any) {
		b, _ := json.Marshal(v)
		select {
		case conn.send <- b:
		default:
		}
	}
	switch f.MessageType {
	case "":
		reply(map[string]any{}) // ping
	case "hello":
		w.hello(conn, f.UAID)
		reply(map[string]any{"messageType": "hello", "uaid": conn.uaid, "status": 200, "use_webpush": true, "broadcasts": map[string]any{}})
		w.redeliver(conn)
	case "register":
		if conn.uaid == "" || f.ChannelID == "" {
			reply(map[string]any{"messageType": "register", "channelID": f.ChannelID, "status": 401})
			return
		}
		endpoint := w.s.PublicOrigin() + "/wpush/" + f.ChannelID
		w.mu.Lock()
		w.channels[f.ChannelID] = &WebPushChannel{UAID: conn.uaid, ChannelID: f.ChannelID, Endpoint: endpoint, Key: f.Key}
		w.bump()
		w.mu.Unlock()
		reply(map[string]any{"messageType": "register", "channelID": f.ChannelID, "status": 200, "pushEndpoint": endpoint})
	case "unregister":
		w.mu.Lock()
		if ch, ok := w.channels[f.ChannelID]; ok && ch.UAID == conn.uaid {
			delete(w.channels, f.ChannelID)
			w.bump()
		}
		w.mu.Unlock()
		reply(map[string]any{"messageType": "unregister", "channelID": f.ChannelID, "status": 200})
	case "ack", "nack":
		w.mu.Lock()
		for _, u := range f.Updates {
			for _, m := range w.messages {
				if m.ChannelID == u.ChannelID && m.Version == u.Version {
					m.AckCode = u.Code
					if m.AckCode == 0 && f.MessageType == "ack" {
						m.AckCode = 100
					}
				}
			}
		}
		w.bump()
		w.mu.Unlock()
	}
}

// hello binds conn to a uaid: the browser's own when it has one and it was
// not forgotten, else new.
func (w *wpServer) hello(conn *wpConn, uaid string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(uaid) < 8 || len(uaid) > 64 || w.forgotten[uaid] {
		delete(w.forgotten, uaid)
		uaid = randomHex(16)
	}
	conn.uaid = uaid
	w.conns[uaid] = conn
	w.bump()
}

// redeliver sends what arrived while the browser was away.
func (w *wpServer) redeliver(conn *wpConn) {
	w.mu.Lock()
	var pending []*WebPushMessage
	for _, m := range w.messages {
		if ch, ok := w.channels[m.ChannelID]; ok && ch.UAID == conn.uaid && !m.Sent {
			pending = append(pending, m)
		}
	}
	w.mu.Unlock()
	for _, m := range pending {
		w.deliver(conn, m)
	}
}
