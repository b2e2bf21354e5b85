package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The real-browser tests need Firefox ESR, Chromium and the npm packages in
// services/api/web/test (.ci/setup.d/browsers.sh installs them). `make test`
// runs them through `make test-browser`, which sets HERALD_BROWSER_TESTS=1;
// a plain `go test` skips them.
func needBrowsers(t *testing.T) {
	t.Helper()
	if os.Getenv("HERALD_BROWSER_TESTS") != "1" {
		t.Skip("real-browser test: run `make test-browser` (sets HERALD_BROWSER_TESTS=1)")
	}
}

// webTestDir is the browser test harness: node scripts and injected hooks.
const webTestDir = "../api/web/test"

// browserApp is the pipeline with an app whose allowed_origins include the
// page origins the browsers use.
func browserApp(t *testing.T, p *pipeline, origins ...string) (appID string) {
	t.Helper()
	created := p.call("POST", "/v1/apps", testAdminToken, map[string]any{"name": "browser", "allowed_origins": origins}, 201)
	p.apiKey = created["api_key"].(string)
	return created["id"].(string)
}

// report is what a page sends the test through the front proxy.
type report struct {
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data"`
}

// frontProxy serves Herald to the browser through a proxy of the test: the
// page's origin is the proxy, /_test/report carries the page's reports to
// the test, and the demo page gets hookJS injected.
func frontProxy(t *testing.T, apiURL, hookJS string) (origin string, reports <-chan report) {
	t.Helper()
	target, _ := url.Parse(apiURL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(r *http.Response) error {
		if r.Request.URL.Path != "/demo/" || r.StatusCode != 200 {
			return nil
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		r.Body.Close()
		body = bytes.Replace(body, []byte("</body>"), []byte("<script src=\"/_test/hook.js\"></script>\n</body>"), 1)
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Del("Content-Length")
		return nil
	}
	ch := make(chan report, 256)
	mux := http.NewServeMux()
	mux.Handle("/", rp)
	mux.HandleFunc("GET /_test/hook.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		io.WriteString(w, hookJS)
	})
	mux.HandleFunc("POST /_test/report", func(w http.ResponseWriter, r *http.Request) {
		var rep report
		if err := json.NewDecoder(r.Body).Decode(&rep); err == nil {
			t.Logf("page: %s %s", rep.Kind, rep.Data)
			select {
			case ch <- rep:
			default:
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts.URL, ch
}

// awaitReport returns the first report match accepts.
func awaitReport(t *testing.T, reports <-chan report, timeout time.Duration, what string, match func(report) bool) report {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case r := <-reports:
			if match(r) {
				return r
			}
		case <-deadline:
			t.Fatalf("no %s from the browser within %s", what, timeout)
		}
	}
}

// waitCount polls the notification until counts[name] reaches want.
func (p *pipeline) waitCount(id, name string, want float64, timeout time.Duration) map[string]any {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n := p.call("GET", "/v1/notifications/"+id, p.apiKey, nil, 200)
		if n["counts"].(map[string]any)[name] == want {
			return n
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("counts.%s did not reach %v in %s: %v", name, want, timeout, n["counts"])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// postEvent posts to POST /v1/events and returns status and error code.
func (p *pipeline) postEvent(body map[string]any) (int, string) {
	p.t.Helper()
	data, _ := json.Marshal(body)
	resp, err := http.Post(p.apiURL+"/v1/events", "application/json", bytes.NewReader(data))
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Error struct{ Code string } `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.Error.Code
}

// simPayload sends a notification to a simulated browser and returns the
// payload it decrypted: a genuine event token for that notification.
func (p *pipeline) simPayload(content map[string]any) (id string, payload map[string]any) {
	p.t.Helper()
	subs := p.subscribe(1, "ok")
	heraldID := subs[0].ID[strings.Index(subs[0].ID, "|")+1:]
	simID := subs[0].ID[:strings.Index(subs[0].ID, "|")]
	n := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"subscription_ids": []string{heraldID}}, "notification": content}, 202)
	id = n["id"].(string)
	p.waitCompleted(id, time.Minute)
	ds := p.sim.Deliveries(simID)
	if len(ds) != 1 {
		p.t.Fatalf("sim got %d deliveries, want 1", len(ds))
	}
	if err := json.Unmarshal(ds[0].Payload, &payload); err != nil {
		p.t.Fatal(err)
	}
	return id, payload
}

func readHarnessFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(webTestDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
