package deploy

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads docker-compose.yml with the compose-spec loader (what
// `docker compose` uses), its variables from the given env files only.
func loadCompose(t *testing.T, envFiles ...string) (*types.Project, error) {
	t.Helper()
	root := repoRoot(t)
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root),
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return opts.LoadProject(ctx)
}

func exampleEnv(t *testing.T) string {
	return filepath.Join(deployDir(t), "compose.env.example")
}

func env(s types.ServiceConfig, key string) string {
	if v := s.Environment[key]; v != nil {
		return *v
	}
	return ""
}

// TestComposeProject: every service is there with a health check; Redis
// is noeviction with AOF; the Herald services get the contract's variables;
// the worker can be scaled; mounted files exist; every command names a
// binary the image holds.
func TestComposeProject(t *testing.T) {
	p, err := loadCompose(t, exampleEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name, s := range p.Services {
		names = append(names, name)
		if s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) == 0 {
			t.Errorf("service %s has no health check", name)
		}
	}
	slices.Sort(names)
	want := []string{"api", "grafana", "postgres", "prometheus", "pushsim", "redis", "worker"}
	if !slices.Equal(names, want) {
		t.Fatalf("services %v, want %v", names, want)
	}
	svc := p.Services

	if img := svc["postgres"].Image; !strings.HasPrefix(img, "postgres:16") {
		t.Errorf("postgres image %q, want postgres:16", img)
	}
	if img := svc["redis"].Image; !strings.HasPrefix(img, "redis:7") {
		t.Errorf("redis image %q, want redis:7", img)
	}
	example := readEnvFile(t, exampleEnv(t))
	checkComposeRedis(t, p, example["REDIS_PASSWORD"])
	bins := dockerfileBinaries(t)
	for _, name := range []string{"api", "worker"} {
		s := svc[name]
		checks := map[string]string{
			"HERALD_ADMIN_TOKEN":        example["HERALD_ADMIN_TOKEN"],
			"HERALD_MASTER_KEY":         example["HERALD_MASTER_KEY"],
			"HERALD_VAPID_SUBJECT":      example["HERALD_VAPID_SUBJECT"],
			"HERALD_PUSH_EXTRA_ORIGINS": "http://pushsim:8090",
		}
		for k, v := range checks {
			if got := env(s, k); got != v || v == "" {
				t.Errorf("%s: %s=%q, want %q", name, k, got, v)
			}
		}
		db, err := url.Parse(env(s, "HERALD_DATABASE_URL"))
		if err != nil || db.Scheme != "postgres" || db.Hostname() != "postgres" {
			t.Errorf("%s: HERALD_DATABASE_URL %q does not point at the postgres service", name, env(s, "HERALD_DATABASE_URL"))
		} else if pw, _ := db.User.Password(); pw != example["POSTGRES_PASSWORD"] || db.User.Username() != env(svc["postgres"], "POSTGRES_USER") {
			t.Errorf("%s: database credentials do not match the postgres service", name)
		}
		rd, err := url.Parse(env(s, "HERALD_REDIS_URL"))
		if err != nil || rd.Scheme != "redis" || rd.Hostname() != "redis" {
			t.Errorf("%s: HERALD_REDIS_URL %q does not point at the redis service", name, env(s, "HERALD_REDIS_URL"))
		} else if pw, _ := rd.User.Password(); pw != example["REDIS_PASSWORD"] {
			t.Errorf("%s: Redis password does not match the redis service", name)
		}
		timeout, err := time.ParseDuration(env(s, "HERALD_SHUTDOWN_TIMEOUT"))
		if err != nil {
			t.Errorf("%s: HERALD_SHUTDOWN_TIMEOUT: %v", name, err)
		}
		if s.StopGracePeriod == nil || time.Duration(*s.StopGracePeriod) < timeout+ShutdownOverhead {
			t.Errorf("%s: stop_grace_period %v is shorter than its worst-case shutdown, HERALD_SHUTDOWN_TIMEOUT %s + ShutdownOverhead %s",
				name, s.StopGracePeriod, timeout, ShutdownOverhead)
		}
		for _, dep := range []string{"postgres", "redis"} {
			if c := dependsCondition(p, name, dep); c != types.ServiceConditionHealthy {
				t.Errorf("%s waits for %s to be %q, want healthy", name, dep, c)
			}
		}
	}
	for name, addr := range map[string]string{"api": "HERALD_HTTP_ADDR=0.0.0.0:8080", "worker": "HERALD_WORKER_ADDR=0.0.0.0:8081"} {
		k, v, _ := strings.Cut(addr, "=")
		if got := env(svc[name], k); got != v {
			t.Errorf("%s: %s=%q, want %q", name, k, got, v)
		}
		port := strings.TrimPrefix(v, "0.0.0.0:")
		if hc := strings.Join(svc[name].HealthCheck.Test, " "); !strings.Contains(hc, "127.0.0.1:"+port+"/readyz") {
			t.Errorf("%s health check %q does not probe /readyz on %s", name, hc, port)
		}
	}
	// The API migrates (under its lock) before it is healthy; the workers,
	// which start after that, never do.
	if v := env(svc["worker"], "HERALD_MIGRATE"); v != "false" {
		t.Errorf("worker: HERALD_MIGRATE=%q, want false", v)
	}
	if v := env(svc["api"], "HERALD_MIGRATE"); v == "false" {
		t.Error("api: HERALD_MIGRATE=false, but nothing else migrates in compose")
	}
	if env(svc["pushsim"], "PUSHSIM_ADDR") != "0.0.0.0:8090" || env(svc["pushsim"], "PUSHSIM_PUBLIC_ORIGIN") != "http://pushsim:8090" {
		t.Errorf("pushsim environment %v", svc["pushsim"].Environment)
	}

	// Scalable: `docker compose up --scale worker=4` fails with a fixed
	// container name or host port.
	w := svc["worker"]
	if w.ContainerName != "" {
		t.Errorf("worker has container_name %q", w.ContainerName)
	}
	for _, port := range w.Ports {
		if port.Published != "" {
			t.Errorf("worker publishes host port %s", port.Published)
		}
	}
	if w.Deploy != nil && w.Deploy.Replicas != nil && *w.Deploy.Replicas < 1 {
		t.Error("worker deploys no replica")
	}

	// Every Herald command and health check runs a binary the image holds.
	for _, name := range []string{"api", "worker", "pushsim"} {
		s := svc[name]
		if s.Build == nil || s.Build.Dockerfile != "deploy/docker/Dockerfile" {
			t.Errorf("%s is not built from deploy/docker/Dockerfile", name)
		}
		for _, arg := range append(slices.Clone([]string(s.Command)), s.HealthCheck.Test...) {
			if bin, ok := strings.CutPrefix(arg, "/usr/local/bin/"); ok && !slices.Contains(bins, bin) {
				t.Errorf("%s runs %s, which the Dockerfile does not build (%v)", name, arg, bins)
			}
		}
	}
	for name, bin := range map[string]string{"api": "herald-api", "worker": "herald-worker", "pushsim": "herald-pushsim"} {
		if len(svc[name].Command) == 0 || filepath.Base(svc[name].Command[0]) != bin {
			t.Errorf("%s runs %v, want %s", name, svc[name].Command, bin)
		}
	}

	// Bind-mounted configuration exists.
	var mounts []string
	for _, name := range []string{"prometheus", "grafana"} {
		for _, v := range svc[name].Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			mounts = append(mounts, v.Target)
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("%s mounts a missing %s", name, v.Source)
			}
		}
	}
	for _, target := range []string{"/etc/prometheus/prometheus.yml", "/etc/prometheus/alerts.yml", "/etc/grafana/provisioning"} {
		if !slices.Contains(mounts, target) {
			t.Errorf("nothing mounted at %s", target)
		}
	}
}

func dependsCondition(p *types.Project, service, dep string) string {
	d, ok := p.Services[service].DependsOn[dep]
	if !ok {
		return ""
	}
	return d.Condition
}

// TestComposeNeedsSecrets: without an .env the loader stops and names the
// missing secret instead of starting Herald with empty keys.
func TestComposeNeedsSecrets(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.env")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := loadCompose(t, empty)
	if err == nil || !strings.Contains(err.Error(), "in .env") {
		t.Fatalf("compose loaded without secrets: %v", err)
	}
}

// TestComposeEnvExampleDocumentsEveryVariable: each ${VAR} the compose file
// reads is in compose.env.example (set, or commented out when optional),
// and every required one is set there.
func TestComposeEnvExampleDocumentsEveryVariable(t *testing.T) {
	compose := string(readFile(t, filepath.Join(repoRoot(t), "docker-compose.yml")))
	example := string(readFile(t, exampleEnv(t)))
	set := readEnvFile(t, exampleEnv(t))
	re := regexp.MustCompile(`\$\{([A-Z0-9_]+)(:?[?-])?`)
	seen := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(compose, -1) {
		name, op := m[1], m[2]
		if seen[name+op] {
			continue
		}
		seen[name+op] = true
		if !regexp.MustCompile(`(?m)^#?` + name + `=`).MatchString(example) {
			t.Errorf("%s is not documented in compose.env.example", name)
		}
		if strings.HasSuffix(op, "?") && set[name] == "" {
			t.Errorf("required %s has no value in compose.env.example", name)
		}
	}
}

// readEnvFile reads KEY=value lines, skipping comments.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	vars := map[string]string{}
	for _, line := range strings.Split(string(readFile(t, path)), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: bad line %q", path, line)
		}
		vars[k] = v
	}
	return vars
}

// checkComposeRedis: noeviction with a memory limit (without one, Redis is
// OOM-killed instead of refusing writes), AOF, and its password read from a
// secret file, never on a command line or in its environment.
func checkComposeRedis(t *testing.T, p *types.Project, password string) {
	t.Helper()
	r := p.Services["redis"]
	cmd := " " + strings.Join(r.Command, " ") + " "
	for _, flag := range []string{"--maxmemory-policy noeviction", "--appendonly yes"} {
		if !strings.Contains(cmd, " "+flag+" ") {
			t.Errorf("redis command %q lacks %s", cmd, flag)
		}
	}
	if m := regexp.MustCompile(` --maxmemory (\S+) `).FindStringSubmatch(cmd); m == nil ||
		!regexp.MustCompile(`(?i)^[1-9]\d*(b|k|kb|m|mb|g|gb)?$`).MatchString(m[1]) {
		t.Errorf("redis command %q sets no --maxmemory size", cmd)
	}
	visible := strings.Join(append(append(slices.Clone([]string(r.Entrypoint)), r.Command...), r.HealthCheck.Test...), " ")
	for k, v := range r.Environment {
		if v != nil {
			visible += " " + k + "=" + *v
		}
	}
	if password == "" || strings.Contains(visible, password) || strings.Contains(visible, "--requirepass") {
		t.Errorf("the Redis password shows in its command, entrypoint, health check or environment: %s", visible)
	}
	sec, ok := p.Secrets["redis-password"]
	if !ok || sec.Environment != "REDIS_PASSWORD" {
		t.Errorf("no secret redis-password from REDIS_PASSWORD: %+v", p.Secrets)
	}
	var mounted bool
	for _, s := range r.Secrets {
		mounted = mounted || s.Source == "redis-password"
	}
	if !mounted || !strings.Contains(visible, "/run/secrets/redis-password") {
		t.Error("redis does not read its password from the redis-password secret")
	}
}
