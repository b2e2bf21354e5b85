package pushsim

// ForgetWebPushBrowser makes the simulator lose one browser's registrations,
// as a push service does after losing its data: the browser's channels are
// deleted (their endpoints answer 404), its connection is closed, and its
// next hello is answered with a new UAID. Firefox then drops every
// subscription it holds and fires pushsubscriptionchange at each service
// worker. It reports whether uaid was known.
func (s *Server) ForgetWebPushBrowser(uaid string) bool {
	w := s.wp
	w.mu.Lock()
	known := false
	for id, ch := range w.channels {
		if ch.UAID == uaid {
			delete(w.channels, id)
			known = true
		}
	}
	conn := w.conns[uaid]
	if conn != nil {
		known = true
		delete(w.conns, uaid)
	}
	if known {
		w.forgotten[uaid] = true
		w.bump()
	}
	w.mu.Unlock()
	if conn != nil && conn.close != nil {
		conn.close()
	}
	return known
}
