package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

var httpc = &http.Client{Timeout: 5 * time.Minute}

func doJSON(ctx context.Context, method, url, token string, in, out any, want int) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return fmt.Errorf("%s %s: status %d: %s", method, url, resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// simSub is a subscription minted by herald-pushsim, as a browser's
// PushSubscription.toJSON() plus the simulator's id.
type simSub struct {
	ID       string `json:"id"`
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

type simStats struct {
	Delivered     int64            `json:"delivered"`
	Received      int64            `json:"received"`
	Duplicates    int64            `json:"duplicates"`
	RejectedTotal int64            `json:"rejected_total"`
	Rejected      map[string]int64 `json:"rejected"`
	FirstDelivery time.Time        `json:"first_delivery"`
	LastDelivery  time.Time        `json:"last_delivery"`
}

type simDelivery struct {
	At      time.Time `json:"at"`
	Payload *string   `json:"payload"`
}

// sim is one herald-pushsim process's control API.
type sim struct{ base string }

func (s sim) mint(ctx context.Context, n int) ([]simSub, error) {
	var subs []simSub
	for len(subs) < n {
		var resp struct {
			Subscriptions []simSub `json:"subscriptions"`
		}
		count := min(n-len(subs), 100000)
		if err := doJSON(ctx, "POST", s.base+"/_sim/subscriptions", "", map[string]any{"count": count}, &resp, http.StatusCreated); err != nil {
			return nil, fmt.Errorf("mint: %w", err)
		}
		subs = append(subs, resp.Subscriptions...)
	}
	return subs, nil
}

func (s sim) stats(ctx context.Context) (simStats, error) {
	var st simStats
	err := doJSON(ctx, "GET", s.base+"/_sim/stats", "", nil, &st, http.StatusOK)
	return st, err
}

func (s sim) resetStats(ctx context.Context) error {
	return doJSON(ctx, "POST", s.base+"/_sim/reset?keep_subscriptions=true", "", nil, nil, http.StatusNoContent)
}

func (s sim) deliveries(ctx context.Context, id string) ([]simDelivery, error) {
	var st struct {
		Deliveries []simDelivery `json:"deliveries"`
	}
	err := doJSON(ctx, "GET", s.base+"/_sim/subscriptions/"+id, "", nil, &st, http.StatusOK)
	return st.Deliveries, err
}

// api is herald-api, with the app the benchmark created.
type api struct {
	base, adminToken string
	appID, apiKey    string
}

func (a *api) createApp(ctx context.Context) error {
	var resp struct {
		ID     string `json:"id"`
		APIKey string `json:"api_key"`
	}
	in := map[string]any{"name": "Bench", "allowed_origins": []string{"https://bench.example"}}
	if err := doJSON(ctx, "POST", a.base+"/v1/apps", a.adminToken, in, &resp, http.StatusCreated); err != nil {
		return fmt.Errorf("create app: %w", err)
	}
	a.appID, a.apiKey = resp.ID, resp.APIKey
	return nil
}

// notify posts a notification and returns its id.
func (a *api) notify(ctx context.Context, body map[string]any) (string, error) {
	var resp struct {
		ID string `json:"id"`
	}
	if err := doJSON(ctx, "POST", a.base+"/v1/notifications", a.apiKey, body, &resp, http.StatusAccepted); err != nil {
		return "", err
	}
	return resp.ID, nil
}
