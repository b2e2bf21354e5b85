package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/heraldclient"
	"github.com/heraldpush/herald/pkg/testkit/proctest"
	"github.com/heraldpush/herald/services/heraldctl/ctl"
)

// asHeraldctlEnv makes this test binary run heraldctl (see TestMain), so
// the quick tour's ./bin/heraldctl needs no build.
const asHeraldctlEnv = "HERALD_TEST_AS_HERALDCTL"

// runAsHeraldctlIfAsked runs heraldctl and exits when the test binary was
// started as ./bin/heraldctl.
func runAsHeraldctlIfAsked() {
	if os.Getenv(asHeraldctlEnv) != "1" {
		return
	}
	os.Exit(ctl.Run(context.Background(), os.Args[1:], ctl.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Version: "test"}))
}

// quickTour is the README's quick-tour block: the shell block after the
// quick-tour marker.
func quickTour(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "<!-- quick-tour:")
	if !ok {
		t.Fatal("README.md has no quick-tour marker")
	}
	m := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(after)
	if m == nil {
		t.Fatal("no sh block after the quick-tour marker")
	}
	return m[1]
}

// A fresh start, as a newcomer follows the README: `make run` (dev mode:
// embedded storage, its push simulator), then the quick tour's commands as
// written, in a shell, against it. Only the addresses change: the test's
// Herald listens on free ports, not 8080 and 8090. Then the app the
// banner's curl creates takes a subscription from the dev server's own
// origin, as /demo sends it.
func TestREADMEQuickTour(t *testing.T) {
	t.Parallel()
	if "http://"+devPushsimDefault != ctl.DefaultPushsimURL {
		t.Fatalf("dev mode's push simulator listens on %s, heraldctl looks for %s", devPushsimDefault, ctl.DefaultPushsimURL)
	}
	tour := quickTour(t)
	dir := t.TempDir()
	apiAddr, simAddr := proctest.FreeAddr(t), proctest.FreeAddr(t)
	p := proctest.Start(t, dir, "HERALD_HTTP_ADDR="+apiAddr, "HERALD_WORKER_ADDR="+proctest.FreeAddr(t), "HERALD_DEV_PUSHSIM="+simAddr)
	t.Cleanup(func() { p.Stop(t, syscall.SIGINT, 30*time.Second) })
	p.WaitOutput(t, "Press Ctrl-C", 60*time.Second)
	banner := p.Output()
	apiURL := "http://" + apiAddr
	for _, want := range []string{apiURL + "/demo", apiURL + "/dashboard", "Push sim:     http://" + simAddr} {
		if !strings.Contains(banner, want) {
			t.Fatalf("banner lacks %q:\n%s", want, banner)
		}
	}
	if err := proctest.WaitHTTP(t.Context(), apiURL+"/readyz", 200, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	bin := filepath.Join(dir, "bin")
	os.MkdirAll(bin, 0o755)
	wrapper := "#!/bin/sh\nexec env " + asHeraldctlEnv + "=1 '" + os.Args[0] + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "heraldctl"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	script := strings.ReplaceAll(tour, "127.0.0.1:8080", apiAddr)
	out := runShell(t, dir, script, "HERALD_API_URL="+apiURL, "HERALD_PUSHSIM_URL=http://"+simAddr)
	if !regexp.MustCompile(`notification \S+ completed: targeted 3, delivered 3, gone 0, dead 0, capped 0, pending 0`).MatchString(out) {
		t.Fatalf("the quick tour did not show a completed notification:\n%s", out)
	}
	if !strings.Contains(out, `"status":"queued"`) {
		t.Fatalf("the tour's curl send was not accepted:\n%s", out)
	}

	// The banner's curl: an app whose pages on this server may subscribe.
	curl := regexp.MustCompile(`(?m)^  (curl .*\\\n.*)$`).FindStringSubmatch(banner)
	if curl == nil {
		t.Fatalf("no curl in the banner:\n%s", banner)
	}
	var created struct{ ID string }
	if err := json.Unmarshal([]byte(runShell(t, dir, curl[1])), &created); err != nil || created.ID == "" {
		t.Fatalf("banner's curl: %v", err)
	}
	body := `{"subscription":{"endpoint":"http://` + simAddr + `/push/x","keys":{"p256dh":"BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM","auth":"tBHItJI5svbpez7KI4CCXg"}}}`
	req, _ := http.NewRequest("POST", apiURL+"/v1/apps/"+created.ID+"/subscriptions", strings.NewReader(body))
	req.Header.Set("Origin", apiURL)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("a subscription from %s, as /demo posts it: %d", apiURL, resp.StatusCode)
	}

	// Everything the tour sent completed.
	token := strings.TrimSpace(readFile(t, filepath.Join(dir, "data", "admin-token")))
	stats, err := heraldclient.New(apiURL, heraldclient.WithAdminToken(token)).AdminStats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for stats.Counts.Notifications["completed"] != 2 && time.Now().Before(deadline) {
		time.Sleep(300 * time.Millisecond)
		if stats, err = heraldclient.New(apiURL, heraldclient.WithAdminToken(token)).AdminStats(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if stats.Counts.Notifications["completed"] != 2 {
		t.Fatalf("notifications by status %v, want the tour's 2 completed", stats.Counts.Notifications)
	}
}

// runShell runs script in bash (-e: the first failing command fails it).
func runShell(t *testing.T, dir, script string, env ...string) string {
	t.Helper()
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\nscript:\n%s\noutput:\n%s", err, script, out.String())
	}
	return out.String()
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// make test on a machine without PostgreSQL or Redis names the packages to
// install instead of failing in the first integration test.
func TestMakeTestNamesMissingPackages(t *testing.T) {
	t.Parallel()
	bin := t.TempDir()
	for _, tool := range []string{"bash", "ls", "head", "seq", "sleep"} {
		path, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s: %v", tool, err)
		}
		os.Symlink(path, filepath.Join(bin, tool))
	}
	for env, want := range map[string]string{
		"":                                     "apt-get install postgresql postgresql-client",
		"HERALD_TEST_DATABASE_URL=postgres://": "apt-get install redis-server redis-tools",
	} {
		cmd := exec.Command(filepath.Join(bin, "bash"), "../../.ci/services")
		cmd.Env = []string{"PATH=" + bin, env}
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("with %q: err %v, output %q; want it to name %q", env, err, out, want)
		}
	}
}
