package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldpush/herald/pkg/pushsim"
	"github.com/heraldpush/herald/services/heraldctl/ctl"
)

// ctlRun runs heraldctl in process with env as its environment.
type ctlRun struct {
	t   *testing.T
	env map[string]string
}

type ctlResult struct {
	code           int
	stdout, stderr string
}

func (r ctlRun) run(stdin string, args ...string) ctlResult {
	r.t.Helper()
	var out, errOut bytes.Buffer
	code := ctl.Run(r.t.Context(), args, ctl.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return r.env[k] }, Version: "test"})
	return ctlResult{code, out.String(), errOut.String()}
}

// ok runs args and fails the test unless heraldctl exits 0.
func (r ctlRun) ok(args ...string) string {
	r.t.Helper()
	res := r.run("", args...)
	if res.code != 0 {
		r.t.Fatalf("heraldctl %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res.stdout
}

// exits runs args and checks the exit code.
func (r ctlRun) exits(want int, stdin string, args ...string) ctlResult {
	r.t.Helper()
	res := r.run(stdin, args...)
	if res.code != want {
		r.t.Fatalf("heraldctl %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), res.code, want, res.stdout, res.stderr)
	}
	return res
}

func decodeOut(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
}

// heraldctl against a real Herald: an app made and changed, keys, simulated
// subscriptions, a send followed to completion, dead letters retried, and
// the exit codes the help promises.
func TestHeraldctlAgainstHerald(t *testing.T) {
	t.Parallel()
	p, _ := startOpsPipeline(t, pushsim.Config{KeepPayloads: true})
	admin := ctlRun{t, map[string]string{"HERALD_API_URL": p.apiURL, "HERALD_ADMIN_TOKEN": testAdminToken}}

	var created struct {
		ID     string `json:"id"`
		APIKey string `json:"api_key"`
	}
	decodeOut(t, admin.ok("apps", "create", "--name", "Shop", "--origin", "https://shop.example", "--set", "default_ttl=600", "--json"), &created)
	if !strings.Contains(admin.ok("apps", "list"), "Shop") {
		t.Fatal("apps list lacks the new app")
	}
	got := admin.ok("apps", "update", created.ID, "--name", "Shop EU", "--origin", "https://eu.shop.example")
	if !strings.Contains(got, "Shop EU") || !strings.Contains(got, "https://eu.shop.example") || !strings.Contains(got, "600") {
		t.Fatalf("apps update:\n%s", got)
	}
	admin.ok("apps", "get", created.ID)
	var key2 struct {
		ID     string `json:"id"`
		APIKey string `json:"api_key"`
	}
	decodeOut(t, admin.ok("api-keys", "create", "--app", created.ID, "--json"), &key2)
	if keys := admin.ok("api-keys", "list", "--app", created.ID); strings.Count(keys, "\n") != 3 {
		t.Fatalf("api-keys list:\n%s", keys)
	}
	admin.ok("api-keys", "revoke", "--app", created.ID, key2.ID)

	pair := filepath.Join(t.TempDir(), "vapid.json")
	if err := os.WriteFile(pair, []byte(admin.ok("vapid", "generate", "--json")), 0o600); err != nil {
		t.Fatal(err)
	}
	admin.ok("vapid", "import", "--app", created.ID, "--file", pair)
	admin.ok("vapid", "rotate", "--app", created.ID)
	var vkeys struct {
		Items []struct{ Active bool } `json:"items"`
	}
	decodeOut(t, admin.ok("vapid", "list", "--app", created.ID, "--json"), &vkeys)
	if len(vkeys.Items) != 3 {
		t.Fatalf("vapid list: %+v", vkeys)
	}

	// An app's work, with its API key; the simulator's subscriptions bound
	// to the app's active VAPID key, as a browser's would be.
	app := ctlRun{t, map[string]string{"HERALD_API_URL": p.apiURL, "HERALD_API_KEY": created.APIKey,
		"HERALD_APP_ID": created.ID, "HERALD_PUSHSIM_URL": p.sim.PublicOrigin()}}
	ids := strings.Fields(app.ok("subscriptions", "simulate", "--count", "3", "--topic", "news"))
	app.ok("subscriptions", "simulate", "--behavior", "always_fail", "--user", "u9")
	if len(ids) != 3 {
		t.Fatalf("simulate printed %v", ids)
	}
	if !strings.Contains(app.ok("subscriptions", "get", ids[0]), "active") {
		t.Fatal("subscription not active")
	}
	if !strings.Contains(app.ok("segments", "preview", "news"), "3 active") {
		t.Fatal("segment preview")
	}

	res := app.exits(0, "", "send", "--title", "Hello", "--body", "from heraldctl", "--all", "--wait", "--interval", "100ms")
	if !strings.Contains(res.stdout, "completed: targeted 4, delivered 3, gone 0, dead 1") {
		t.Fatalf("send --wait printed:\n%s\nstderr:\n%s", res.stdout, res.stderr)
	}
	if !strings.Contains(res.stderr, "delivered") {
		t.Fatalf("no progress on stderr:\n%s", res.stderr)
	}
	if st := p.sim.Stats(); st.Delivered < 3 {
		t.Fatalf("the simulator decrypted %d pushes, want 3", st.Delivered)
	}
	notificationID := strings.Fields(res.stdout)[1]

	// The body of POST /v1/notifications on standard input, answered as JSON.
	res = app.exits(0, `{"target":{"topics":["news"]},"notification":{"title":"From stdin"}}`, "send", "--json")
	var sent struct{ ID, Status string }
	decodeOut(t, res.stdout, &sent)
	app.ok("notifications", "wait", sent.ID, "--interval", "100ms")
	if !regexp.MustCompile(`delivered:\s+3\n`).MatchString(app.ok("notifications", "get", sent.ID)) {
		t.Fatal("notifications get lacks the counts")
	}

	if dl := app.ok("dead-letters", "list", "--notification", notificationID); strings.Count(dl, "\n") != 2 {
		t.Fatalf("dead-letters list:\n%s", dl)
	}
	if out := app.ok("dead-letters", "retry", "--all", "--notification", notificationID); !strings.HasPrefix(out, "1 dead letters") {
		t.Fatalf("retry --all: %s", out)
	}
	app.ok("notifications", "wait", notificationID, "--interval", "100ms")
	if !strings.Contains(app.ok("stats"), "QUEUE") {
		t.Fatal("stats")
	}

	// Exit codes, as `heraldctl --help` documents them.
	app.exits(ctl.ExitUsage, "", "send", "--title", "x")
	app.exits(ctl.ExitUsage, "", "nope")
	app.exits(ctl.ExitUsage, "", "notifications", "get")
	app.exits(ctl.ExitUsage, "not json", "send")
	app.exits(ctl.ExitRefused, `{"target":{"all":true},"notification":{"title":"x"},"colour":"red"}`, "send")
	app.exits(ctl.ExitNotFound, "", "notifications", "get", "0190f5c2-0000-7000-8000-000000000000")
	app.exits(ctl.ExitAuth, "", "apps", "list")
	app.exits(ctl.ExitAuth, "", "stats", "--api-key", "hk_wrong")
	later := app.exits(0, "", "send", "--title", "Later", "--all", "--send-at", time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339), "--json")
	decodeOut(t, later.stdout, &sent)
	app.exits(ctl.ExitNotCompleted, "", "notifications", "wait", sent.ID, "--wait-timeout", "300ms", "--interval", "100ms")
	// What a command did when the API answers with no body to show: a
	// sentence, or with --json a map.
	if out := app.ok("notifications", "cancel", "--key", "no-such-key"); out != "cancelled 0 notifications with cancel key \"no-such-key\"\n" {
		t.Fatalf("cancel --key: %q", out)
	}
	var cancelled map[string]any
	decodeOut(t, app.ok("notifications", "cancel", "--key", "no-such-key", "--json"), &cancelled)
	if len(cancelled) != 2 || cancelled["cancel_key"] != "no-such-key" || cancelled["cancelled"] != float64(0) {
		t.Fatalf("cancel --key --json: %v", cancelled)
	}
	if out := app.ok("subscriptions", "delete", ids[2]); out != "unsubscribed "+ids[2]+"\n" {
		t.Fatalf("subscriptions delete: %q", out)
	}
	// A scheduled notification keeps its app from deletion without --force.
	admin.exits(ctl.ExitRefused, "", "apps", "delete", created.ID)
	app.ok("notifications", "cancel", sent.ID)
	if out := admin.ok("apps", "delete", created.ID); !strings.Contains(out, "4 subscriptions, 3 notifications") {
		t.Fatalf("apps delete: %s", out)
	}
}

// send --to-subscription: one notification straight to one subscription,
// signed with the key it was made with, verified and decrypted by the
// simulator; a wrong key is refused by it and exits non-zero.
func TestHeraldctlSendToOneSubscription(t *testing.T) {
	t.Parallel()
	sim, ln, err := pushsim.Listen("127.0.0.1:0", pushsim.Config{KeepPayloads: true})
	if err != nil {
		t.Fatal(err)
	}
	go http.Serve(ln, sim.Handler())
	t.Cleanup(func() { ln.Close() })
	r := ctlRun{t, map[string]string{}}
	dir := t.TempDir()
	pairFile := filepath.Join(dir, "vapid.json")
	os.WriteFile(pairFile, []byte(r.ok("vapid", "generate", "--json")), 0o600)
	var pair struct {
		PublicKey string `json:"public_key"`
	}
	data, _ := os.ReadFile(pairFile)
	json.Unmarshal(data, &pair)
	sub, err := sim.Mint(pushsim.Behavior{}, pair.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	subFile := filepath.Join(dir, "sub.json")
	b, _ := json.Marshal(sub.ToJSON())
	os.WriteFile(subFile, b, 0o600)

	out := r.ok("send", "--to-subscription", subFile, "--vapid-keys", pairFile, "--title", "Local test", "--body", "hi")
	if !strings.Contains(out, "201") {
		t.Fatalf("send --to-subscription: %s", out)
	}
	state, _ := sim.Subscription(sub.ID)
	if len(state.Deliveries) != 1 || !strings.Contains(string(state.Deliveries[0].Payload), `"title":"Local test"`) {
		t.Fatalf("the simulator holds %+v", state)
	}
	otherFile := filepath.Join(dir, "other.json")
	os.WriteFile(otherFile, []byte(r.ok("vapid", "generate", "--json")), 0o600)
	r.exits(ctl.ExitFailure, "", "send", "--to-subscription", subFile, "--vapid-keys", otherFile, "--title", "Wrong key")
}

// --help works on every command, and --version prints the version.
func TestHeraldctlHelpEverywhere(t *testing.T) {
	t.Parallel()
	r := ctlRun{t, map[string]string{"HERALD_ADMIN_TOKEN": "secret-token-not-in-help"}}
	var walk func(path []string, c *cobra.Command)
	count := 0
	walk = func(path []string, c *cobra.Command) {
		res := r.exits(0, "", append(path, "--help")...)
		if !strings.Contains(res.stdout, "Usage:") || strings.Contains(res.stdout, "secret-token-not-in-help") {
			t.Fatalf("heraldctl %s --help:\n%s", strings.Join(path, " "), res.stdout)
		}
		count++
		for _, sub := range c.Commands() {
			if sub.Name() != "help" && sub.Name() != "completion" {
				walk(append(append([]string(nil), path...), sub.Name()), sub)
			}
		}
	}
	walk(nil, ctl.Command(ctl.Env{Getenv: func(string) string { return "" }}))
	if count < 30 {
		t.Fatalf("walked %d commands", count)
	}
	if out := r.ok("--version"); !strings.HasPrefix(out, "heraldctl test") {
		t.Fatalf("--version: %q", out)
	}
}
