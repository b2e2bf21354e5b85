package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/testkit/proctest"
)

func TestMain(m *testing.M) {
	runAsHeraldctlIfAsked()
	proctest.RunMainIfChild(main)
	os.Exit(m.Run())
}

// What `make run` gives a fresh machine: no configuration but free ports,
// embedded storage announced, an app and a subscription can be created, and
// Ctrl-C stops it cleanly.
func TestZeroConfigDevMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := proctest.Start(t, dir, "HERALD_HTTP_ADDR="+proctest.FreeAddr(t), "HERALD_WORKER_ADDR="+proctest.FreeAddr(t),
		"HERALD_DEV_PUSHSIM="+proctest.FreeAddr(t))
	p.WaitOutput(t, "Press Ctrl-C", 60*time.Second)
	out := p.Output()
	for _, want := range []string{"EMBEDDED (dev only)", "DEV MODE: embedded SQLite", "DEV MODE: embedded in-process Redis"} {
		if !bytes.Contains([]byte(out), []byte(want)) {
			t.Errorf("output lacks %q", want)
		}
	}
	apiURL := regexp.MustCompile(`API:\s+(\S+)`).FindStringSubmatch(out)[1]
	workerURL := regexp.MustCompile(`Worker:\s+(\S+)`).FindStringSubmatch(out)[1]
	token := regexp.MustCompile(`Admin token:\s+(\S+)`).FindStringSubmatch(out)[1]
	for _, u := range []string{apiURL + "/healthz", apiURL + "/readyz", workerURL + "/healthz", workerURL + "/readyz", workerURL + "/metrics"} {
		if err := proctest.WaitHTTP(t.Context(), u, 200, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}

	created := post(t, apiURL+"/v1/apps", token, map[string]any{"name": "dev"}, 201)
	sub := post(t, apiURL+"/v1/subscriptions", created["api_key"].(string), map[string]any{
		"subscription": map[string]any{
			"endpoint": "https://updates.push.services.mozilla.com/wpush/v2/gAAAAA",
			"keys": map[string]any{
				"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
				"auth":   "tBHItJI5svbpez7KI4CCXg",
			},
		},
	}, 201)
	if sub["id"] == "" {
		t.Fatal("no subscription id")
	}
	for _, f := range []string{"herald.db", "master.key", "admin-token"} {
		if _, err := os.Stat(filepath.Join(dir, "data", f)); err != nil {
			t.Errorf("data/%s: %v", f, err)
		}
	}
	if err := p.Stop(t, syscall.SIGINT, 30*time.Second); err != nil {
		t.Fatalf("Ctrl-C: exit %v", err)
	}
	if !bytes.Contains([]byte(p.Output()), []byte("herald stopped cleanly")) {
		t.Fatal("no clean-stop message")
	}
}

func post(t *testing.T, url, token string, body any, want int) map[string]any {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d %v", url, resp.StatusCode, out)
	}
	return out
}
