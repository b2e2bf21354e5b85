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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
// page origins the browsers use; p's API key becomes the app's. It returns
// the app's id and identity secret (which signs user_hash).
func browserApp(t *testing.T, p *pipeline, origins ...string) (appID, identitySecret string) {
	t.Helper()
	created := p.call("POST", "/v1/apps", testAdminToken, map[string]any{"name": "browser", "allowed_origins": origins}, 201)
	p.apiKey = created["api_key"].(string)
	return created["id"].(string), created["identity_secret"].(string)
}

// report is what a page sends the test through the front proxy.
type report struct {
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data"`
}

// front serves Herald to a browser through a proxy of the test. The page's
// origin is the proxy; /_test/report carries the page's reports to the test;
// the demo page gets a page hook injected and the demo's service worker a
// worker hook appended (test-only additions: herald.js and herald-sw.js
// themselves are served as they are). /_test/offline?on=1 makes Herald
// unreachable for engagement reports, as a device that lost its network.
type front struct {
	URL      string
	offline  atomic.Bool
	commands chan command
	seq      atomic.Int64

	mu      sync.Mutex
	log     []report     // every report, in arrival order
	used    map[int]bool // indexes await has returned
	changed chan struct{}
}

// command is a snippet for the page hook to run (the body of an async
// function); its result comes back as a "result" report.
type command struct {
	ID int64  `json:"id"`
	JS string `json:"js"`
}

func startFront(t *testing.T, apiURL, pageHook, workerHook string) *front {
	t.Helper()
	f := &front{commands: make(chan command, 16), used: map[int]bool{}, changed: make(chan struct{})}
	target, _ := url.Parse(apiURL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(r *http.Response) error {
		var inject func([]byte) []byte
		switch {
		case r.StatusCode != 200:
			return nil
		case r.Request.URL.Path == "/demo/" && pageHook != "":
			// The hook runs each command through new Function: its page
			// may eval; the page's own code runs under the rest of the
			// demo's Content-Security-Policy.
			csp := r.Header.Get("Content-Security-Policy")
			r.Header.Set("Content-Security-Policy", strings.Replace(csp, "script-src 'self'", "script-src 'self' 'unsafe-eval'", 1))
			inject = func(b []byte) []byte {
				return bytes.Replace(b, []byte("</body>"), []byte("<script src=\"/_test/hook.js\"></script>\n</body>"), 1)
			}
		case r.Request.URL.Path == "/demo/sw.js" && workerHook != "":
			inject = func(b []byte) []byte { return append(b, "\n"+workerHook...) }
		default:
			return nil
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		r.Body.Close()
		body = inject(body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Del("Content-Length")
		return nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if f.offline.Load() && strings.HasPrefix(r.URL.Path, "/v1/events") {
			// Drop the connection: the browser's fetch fails as it does offline.
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		rp.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /_test/hook.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		io.WriteString(w, pageHook)
	})
	mux.HandleFunc("POST /_test/offline", func(w http.ResponseWriter, r *http.Request) {
		f.offline.Store(r.URL.Query().Get("on") == "1")
		t.Logf("front: Herald is %s for engagement reports", map[bool]string{true: "unreachable", false: "reachable"}[f.offline.Load()])
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_test/command", func(w http.ResponseWriter, r *http.Request) {
		select {
		case cmd := <-f.commands:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(cmd)
		case <-time.After(20 * time.Second):
			w.WriteHeader(http.StatusNoContent)
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("POST /_test/report", func(w http.ResponseWriter, r *http.Request) {
		var rep report
		if err := json.NewDecoder(r.Body).Decode(&rep); err == nil {
			t.Logf("page: %s %s", rep.Kind, rep.Data)
			f.mu.Lock()
			f.log = append(f.log, rep)
			close(f.changed)
			f.changed = make(chan struct{})
			f.mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	f.URL = ts.URL
	return f
}

// await returns the earliest report match accepts that no await returned
// before, waiting for it if need be.
func (f *front) await(t *testing.T, timeout time.Duration, what string, match func(report) bool) report {
	t.Helper()
	deadline := time.After(timeout)
	for {
		f.mu.Lock()
		for i, r := range f.log {
			if !f.used[i] && match(r) {
				f.used[i] = true
				f.mu.Unlock()
				return r
			}
		}
		changed := f.changed
		f.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no %s from the browser within %s", what, timeout)
		}
	}
}

// fire has the page evaluate js without waiting for its result: for a
// command whose effect navigates the page away, so that the page may never
// report it.
func (f *front) fire(js string) {
	f.commands <- command{ID: f.seq.Add(1), JS: js}
}

// run has the page evaluate js (an async function body) and returns what it
// returned, decoded into out; an exception fails the test.
func (f *front) run(t *testing.T, js string, out any) {
	t.Helper()
	id := f.seq.Add(1)
	f.commands <- command{ID: id, JS: js}
	r := f.await(t, time.Minute, "result of command "+strconv.FormatInt(id, 10), func(r report) bool {
		var res struct{ ID int64 }
		return r.Kind == "result" && json.Unmarshal(r.Data, &res) == nil && res.ID == id
	})
	var res struct {
		Value json.RawMessage `json:"value"`
		Error string          `json:"error"`
	}
	json.Unmarshal(r.Data, &res)
	if res.Error != "" {
		t.Fatalf("page: %s\n%s", js, res.Error)
	}
	if out != nil {
		if err := json.Unmarshal(res.Value, out); err != nil {
			t.Fatalf("page result %s: %v", res.Value, err)
		}
	}
}

// awaitWorker returns the first message from the service worker with the
// given herald kind (shown, event, resubscribed, ...) that match accepts,
// decoded into out.
func (f *front) awaitWorker(t *testing.T, timeout time.Duration, kind string, out any, match func(json.RawMessage) bool) {
	t.Helper()
	r := f.await(t, timeout, "service worker "+kind+" message", func(r report) bool {
		var m struct {
			Herald string `json:"herald"`
		}
		return r.Kind == "sw" && json.Unmarshal(r.Data, &m) == nil && m.Herald == kind && (match == nil || match(r.Data))
	})
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatal(err)
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
	return p.simPayloadOf(map[string]any{"notification": content})
}

// simPayloadOf is simPayload for a whole send request (format, app_badge,
// ...); the target is set here.
func (p *pipeline) simPayloadOf(req map[string]any) (id string, payload map[string]any) {
	p.t.Helper()
	subs := p.subscribe(1, "ok")
	heraldID := subs[0].ID[strings.Index(subs[0].ID, "|")+1:]
	simID := subs[0].ID[:strings.Index(subs[0].ID, "|")]
	body := map[string]any{"target": map[string]any{"subscription_ids": []string{heraldID}}}
	for k, v := range req {
		body[k] = v
	}
	n := p.call("POST", "/v1/notifications", p.apiKey, body, 202)
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
