package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// promConfig is the part of Prometheus' configuration prometheus.yml
// uses, decoded strictly: an unknown or misspelt key is an error. (Prometheus'
// own config package drags in every cloud SDK and service discovery and
// breaks `go mod tidy`, so the test mirrors the fields instead.)
type promConfig struct {
	Global struct {
		ScrapeInterval     string `yaml:"scrape_interval"`
		EvaluationInterval string `yaml:"evaluation_interval"`
	} `yaml:"global"`
	RuleFiles     []string `yaml:"rule_files"`
	ScrapeConfigs []struct {
		JobName      string `yaml:"job_name"`
		MetricsPath  string `yaml:"metrics_path"`
		DNSSDConfigs []struct {
			Names           []string `yaml:"names"`
			Type            string   `yaml:"type"`
			Port            int      `yaml:"port"`
			RefreshInterval string   `yaml:"refresh_interval"`
		} `yaml:"dns_sd_configs"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
		KubernetesSDConfigs []struct {
			Role string `yaml:"role"`
		} `yaml:"kubernetes_sd_configs"`
		RelabelConfigs []relabelConfig `yaml:"relabel_configs"`
	} `yaml:"scrape_configs"`
}

type relabelConfig struct {
	SourceLabels []string `yaml:"source_labels"`
	Regex        string   `yaml:"regex"`
	Action       string   `yaml:"action"`
	TargetLabel  string   `yaml:"target_label"`
	Replacement  string   `yaml:"replacement"`
}

// loadPromConfig decodes a Prometheus configuration file strictly.
func loadPromConfig(t *testing.T, path string) promConfig {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, path)))
	dec.KnownFields(true)
	var cfg promConfig
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cfg
}

// TestPrometheusConfig: API and worker jobs under the names the alerts
// use, found through DNS (every replica of a scaled compose service), on
// the ports the compose file sets, and the rule file next to it.
func TestPrometheusConfig(t *testing.T) {
	dir := filepath.Join(deployDir(t), "prometheus")
	cfg := loadPromConfig(t, filepath.Join(dir, "prometheus.yml"))
	for _, d := range []string{cfg.Global.ScrapeInterval, cfg.Global.EvaluationInterval} {
		if _, err := model.ParseDuration(d); err != nil {
			t.Errorf("global interval %q: %v", d, err)
		}
	}
	for _, f := range cfg.RuleFiles {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("rule file %s: %v", f, err)
		}
	}
	if !slices.Contains(cfg.RuleFiles, "alerts.yml") {
		t.Errorf("rule files %v do not include alerts.yml", cfg.RuleFiles)
	}
	want := map[string]struct {
		service string
		port    int
	}{"herald-api": {"api", 8080}, "herald-worker": {"worker", 8081}}
	seen := map[string]bool{}
	for _, sc := range cfg.ScrapeConfigs {
		if seen[sc.JobName] {
			t.Errorf("job %s defined twice", sc.JobName)
		}
		seen[sc.JobName] = true
		if sc.MetricsPath != "" && sc.MetricsPath != "/metrics" {
			t.Errorf("%s scrapes %s", sc.JobName, sc.MetricsPath)
		}
		for _, sd := range sc.DNSSDConfigs {
			if sd.Type != "A" || sd.Port == 0 || len(sd.Names) == 0 {
				t.Errorf("%s: dns_sd_config %+v needs names, type A and a port", sc.JobName, sd)
			}
			if _, err := model.ParseDuration(sd.RefreshInterval); sd.RefreshInterval != "" && err != nil {
				t.Errorf("%s: refresh_interval: %v", sc.JobName, err)
			}
		}
		w, ok := want[sc.JobName]
		if !ok {
			continue
		}
		if ns := namespaceRelabel(sc.RelabelConfigs); ns != "herald" {
			t.Errorf("%s: series get namespace %q, want herald (the alerts and dashboard group by it)", sc.JobName, ns)
		}
		if len(sc.DNSSDConfigs) != 1 || !slices.Equal(sc.DNSSDConfigs[0].Names, []string{w.service}) || sc.DNSSDConfigs[0].Port != w.port {
			t.Errorf("%s: want dns_sd_configs on compose service %s port %d, got %+v", sc.JobName, w.service, w.port, sc.DNSSDConfigs)
		}
	}
	for job := range want {
		if !seen[job] {
			t.Errorf("no scrape job %s", job)
		}
	}
}

// TestAlertRules parses alerts.yml with Prometheus' rule loader (which also
// parses every expression and annotation template) and checks each
// expression's metrics against deploy.Metrics and that the required alerts
// exist and watch the right metrics.
func TestAlertRules(t *testing.T) {
	path := filepath.Join(deployDir(t), "prometheus", "alerts.yml")
	groups, errs := rulefmt.ParseFile(path, false, model.UTF8Validation, promql, discard)
	for _, err := range errs {
		t.Error(err)
	}
	if len(errs) > 0 {
		return
	}
	uses := map[string][]string{} // alert -> series names
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				t.Errorf("group %s: recording rule %s; this file holds alerts only", g.Name, r.Record)
				continue
			}
			names, err := checkQuery(r.Expr)
			if err != nil {
				t.Errorf("alert %s: %v", r.Alert, err)
			}
			uses[r.Alert] = names
			expr, err := promql.ParseExpr(r.Expr)
			if err != nil {
				continue // checkQuery reported it
			}
			if !keepsLabel(expr, "namespace") {
				t.Errorf("alert %s does not keep the namespace label: one installation's series would hide or fire another's", r.Alert)
			}
			if err := trafficGuard(expr); err != nil {
				t.Errorf("alert %s: %v", r.Alert, err)
			}
			if r.Labels["severity"] == "" {
				t.Errorf("alert %s has no severity label", r.Alert)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("alert %s needs summary and description annotations", r.Alert)
			}
			if r.For == 0 {
				t.Errorf("alert %s has no `for`: it would fire on one bad scrape", r.Alert)
			}
		}
	}
	required := map[string][]string{
		"HeraldCriticalQueueLatencyHigh":  {"herald_queue_latency_seconds"},
		"HeraldQueueLatencyHigh":          {"herald_queue_latency_seconds"},
		"HeraldDeadLettersGrowing":        {"herald_dead_letters"},
		"HeraldPushServiceErrorRatioHigh": {"herald_push_responses_total"},
		"HeraldNoWorkerAlive":             {"up", "herald_workers"},
		"HeraldAPIServerErrors":           {"herald_http_requests_total"},
		// Fan-outs and batches abandoned after their retries.
		"HeraldTasksArchived": {"herald_queue_size"},
		// Dropped when Redis fails, which silences the latency alerts.
		"HeraldQueueMetricsMissing": {"up", "herald_queue_latency_seconds"},
	}
	for alert, metrics := range required {
		got, ok := uses[alert]
		if !ok {
			t.Errorf("required alert %s is missing", alert)
			continue
		}
		for _, m := range metrics {
			if !slices.Contains(got, m) {
				t.Errorf("alert %s does not use %s (uses %v)", alert, m, got)
			}
		}
	}
	if !strings.Contains(string(readFile(t, path)), `up{job="herald-worker"}`) {
		t.Error(`HeraldNoWorkerAlive must watch up{job="herald-worker"}, the scrape job's name`)
	}
}

// trafficGuard: an alert on a ratio (a division) must also require traffic,
// `ratio > x and <denominator> > n`, or two errors among three requests at
// night page someone.
func trafficGuard(e parser.Expr) error {
	var div *parser.BinaryExpr
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if b, ok := n.(*parser.BinaryExpr); ok && b.Op == parser.DIV && div == nil {
			div = b
		}
		return nil
	})
	if div == nil {
		return nil
	}
	top, ok := unparen(e).(*parser.BinaryExpr)
	if ok && top.Op == parser.LAND {
		if guard, ok := unparen(top.RHS).(*parser.BinaryExpr); ok && guard.Op == parser.GTR {
			limit, isNum := unparen(guard.RHS).(*parser.NumberLiteral)
			if isNum && limit.Val > 0 && sameMetrics(guard.LHS, div.RHS) {
				return nil
			}
		}
	}
	return fmt.Errorf("a ratio with no minimum-traffic guard (`... and <denominator> > n`): %s", e)
}

func unparen(e parser.Expr) parser.Expr {
	for {
		p, ok := e.(*parser.ParenExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

func sameMetrics(a, b parser.Expr) bool {
	names := func(e parser.Expr) []string {
		var out []string
		parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok {
				out = append(out, vs.String())
			}
			return nil
		})
		slices.Sort(out)
		return out
	}
	return slices.Equal(names(a), names(b))
}

type grafanaPanel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource json.RawMessage `json:"datasource"`
	GridPos    *struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []grafanaPanel `json:"panels"`
}

// TestGrafanaDashboard loads the dashboard JSON and checks that every
// panel query parses as PromQL and names only metrics (and labels) Herald
// exports, that panels are laid out and uniquely numbered, and that the
// dashboard covers deliveries, push latency, queues and workers.
func TestGrafanaDashboard(t *testing.T) {
	var dash struct {
		UID        string         `json:"uid"`
		Title      string         `json:"title"`
		Panels     []grafanaPanel `json:"panels"`
		Templating struct {
			List []struct {
				Name, Type string
				Query      json.RawMessage
				Multi      bool
				IncludeAll bool `json:"includeAll"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(deployDir(t), "grafana", "herald-dashboard.json")), &dash); err != nil {
		t.Fatal(err)
	}
	if dash.UID == "" || dash.Title == "" {
		t.Error("dashboard needs a uid and a title")
	}
	var dsVar, nsVar bool
	for _, v := range dash.Templating.List {
		if v.Name == "datasource" && v.Type == "datasource" && string(v.Query) == `"prometheus"` {
			dsVar = true
		}
		// One installation at a time: the panels' max() and sum() would
		// add production and staging together.
		if v.Name == "namespace" && v.Type == "query" && strings.Contains(string(v.Query), "label_values(") &&
			strings.Contains(string(v.Query), "namespace)") && !v.Multi && !v.IncludeAll {
			nsVar = true
		}
	}
	if !dsVar {
		t.Error("no Prometheus datasource variable named datasource")
	}
	if !nsVar {
		t.Error("no single-valued namespace variable (label_values(..., namespace))")
	}
	ids := map[int]string{}
	used := map[string]bool{}
	var queries int
	var walk func([]grafanaPanel)
	walk = func(panels []grafanaPanel) {
		for _, p := range panels {
			if prev, dup := ids[p.ID]; dup || p.ID == 0 {
				t.Errorf("panel %q: id %d missing or shared with %q", p.Title, p.ID, prev)
			}
			ids[p.ID] = p.Title
			if p.GridPos == nil || p.GridPos.W == 0 || p.GridPos.H == 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("panel %q: bad gridPos", p.Title)
			}
			if p.Type != "row" {
				if len(p.Targets) == 0 {
					t.Errorf("panel %q has no query", p.Title)
				}
				if !strings.Contains(string(p.Datasource), "${datasource}") {
					t.Errorf("panel %q does not use the datasource variable: %s", p.Title, p.Datasource)
				}
			}
			for _, tg := range p.Targets {
				queries++
				names, err := checkQuery(tg.Expr)
				if err != nil {
					t.Errorf("panel %q query %s: %v", p.Title, tg.RefID, err)
				}
				for _, n := range names {
					used[n] = true
				}
				for name, ms := range selectorMatchers(t, tg.Expr, "namespace") {
					for _, m := range ms {
						if m == nil || m.Type != labels.MatchEqual || m.Value != "$namespace" {
							t.Errorf("panel %q selects %s without namespace=\"$namespace\": it would add up every installation", p.Title, name)
						}
					}
				}
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	if queries < 10 {
		t.Errorf("only %d queries", queries)
	}
	for _, m := range []string{
		"herald_deliveries_total", "herald_push_request_duration_seconds_bucket",
		"herald_push_responses_total", "herald_queue_size", "herald_queue_latency_seconds",
		"herald_dead_letters", "herald_workers", "herald_http_requests_total",
		"herald_worker_sends_limit", // the documented scaling signal
		"up",                        // worker processes (herald_workers counts three job servers each)
	} {
		if !used[m] {
			t.Errorf("no panel shows %s", m)
		}
	}
}

// TestGrafanaProvisioning checks the provisioning files compose mounts: the
// datasource points at the compose Prometheus, and the dashboard provider
// reads the directory the dashboard is mounted into.
func TestGrafanaProvisioning(t *testing.T) {
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name, Type, URL, UID string
			IsDefault            bool `yaml:"isDefault"`
		} `yaml:"datasources"`
	}
	dir := filepath.Join(deployDir(t), "grafana", "provisioning")
	if err := yaml.Unmarshal(readFile(t, filepath.Join(dir, "datasources", "prometheus.yml")), &ds); err != nil {
		t.Fatal(err)
	}
	if ds.APIVersion != 1 || len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" ||
		ds.Datasources[0].URL != "http://prometheus:9090" || !ds.Datasources[0].IsDefault {
		t.Errorf("datasource provisioning: %+v", ds)
	}
	var dp struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Type    string
			Options struct{ Path string }
		} `yaml:"providers"`
	}
	if err := yaml.Unmarshal(readFile(t, filepath.Join(dir, "dashboards", "herald.yml")), &dp); err != nil {
		t.Fatal(err)
	}
	if dp.APIVersion != 1 || len(dp.Providers) != 1 || dp.Providers[0].Type != "file" {
		t.Fatalf("dashboard provisioning: %+v", dp)
	}
	compose := string(readFile(t, filepath.Join(repoRoot(t), "docker-compose.yml")))
	mount := "./deploy/grafana/herald-dashboard.json:" + dp.Providers[0].Options.Path + "/herald-dashboard.json"
	if !strings.Contains(compose, mount) {
		t.Errorf("docker-compose.yml does not mount the dashboard where the provider reads (%s)", mount)
	}
}
