package pushsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// mintRequest is the body of POST /_sim/subscriptions.
type mintRequest struct {
	Count                int    `json:"count"`
	Behavior             string `json:"behavior"`
	ApplicationServerKey string `json:"application_server_key"`
}

type mintResponse struct {
	Subscriptions []Subscription `json:"subscriptions"`
}

// maxControlBody bounds control API request bodies.
const maxControlBody = 1 << 20

func (s *Server) handleMint(w http.ResponseWriter, r *http.Request) {
	var req mintRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, fmt.Errorf("decode mint request: %w", err))
		return
	}
	if req.Count == 0 {
		req.Count = 1
	}
	behavior, err := ParseBehavior(req.Behavior)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	subs, err := s.mint(req.Count, behavior, req.ApplicationServerKey)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusCreated, mintResponse{Subscriptions: subs})
}

func (s *Server) handleSubscription(w http.ResponseWriter, r *http.Request) {
	st, ok := s.Subscription(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, errors.New("no such subscription"))
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	keep := false
	if v := r.URL.Query().Get("keep_subscriptions"); v != "" {
		var err error
		if keep, err = strconv.ParseBool(v); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("keep_subscriptions: %w", err))
			return
		}
	}
	if keep {
		s.ResetStats()
	} else {
		s.Reset()
	}
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The status is already sent; an encode error can only mean the client left.
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}
