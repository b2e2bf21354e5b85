package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
)

// deployDir is this directory; repoRoot is the repository root.
func deployDir(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the deploy directory")
	}
	return filepath.Dir(file)
}

func repoRoot(t *testing.T) string { return filepath.Dir(deployDir(t)) }

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var promql = parser.NewParser(parser.Options{})

// builtinSeries are series Prometheus makes itself, not Herald.
var builtinSeries = map[string][]string{"up": {"job", "instance"}}

// grafanaVars stand in for Grafana's interval variables so a panel query
// parses as PromQL.
var grafanaVars = strings.NewReplacer(
	"$__rate_interval", "1m",
	"${__rate_interval}", "1m",
	"$__interval", "1m",
	"${__interval}", "1m",
	"$__range", "1h",
	"${__range}", "1h",
)

// checkQuery parses expr as PromQL and checks that every series it selects
// is in Metrics (or is Prometheus' own up) and that every label it matches
// on is one that series has. It returns the series names used.
func checkQuery(expr string) ([]string, error) {
	node, err := promql.ParseExpr(grafanaVars.Replace(expr))
	if err != nil {
		return nil, fmt.Errorf("%q does not parse: %w", expr, err)
	}
	var names []string
	var problems []string
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		if name == "" {
			problems = append(problems, fmt.Sprintf("selector %s names no metric", vs))
			return nil
		}
		labels, builtin := builtinSeries[name]
		if !builtin {
			var known bool
			_, labels, known = LookupSeries(name)
			if !known {
				problems = append(problems, fmt.Sprintf("metric %s is not in deploy.Metrics", name))
				return nil
			}
		}
		names = append(names, name)
		for _, m := range vs.LabelMatchers {
			if m.Name == "__name__" {
				continue
			}
			if !slices.Contains(labels, m.Name) {
				problems = append(problems, fmt.Sprintf("%s has no label %q (has %v)", name, m.Name, labels))
			}
		}
		return nil
	})
	if len(problems) > 0 {
		return names, fmt.Errorf("%q: %s", expr, strings.Join(problems, "; "))
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%q selects no series", expr)
	}
	return names, nil
}

func TestCheckQuery(t *testing.T) {
	good := []string{
		`sum by (result) (rate(herald_deliveries_total[$__rate_interval]))`,
		`histogram_quantile(0.95, sum by (le, service) (rate(herald_push_request_duration_seconds_bucket[5m])))`,
		`absent(up{job="herald-worker"} == 1) or max(herald_workers) == 0`,
	}
	for _, q := range good {
		if _, err := checkQuery(q); err != nil {
			t.Errorf("good query rejected: %v", err)
		}
	}
	bad := []string{
		`sum(rate(herald_delivery_total[1m]))`,                  // misspelt
		`herald_queue_latency_seconds{queu="herald:bulk"}`,      // unknown label
		`herald_push_request_duration_seconds_bucket{le="1"} >`, // does not parse
		`herald_dead_letters_bucket`,                            // gauge has no buckets
		`{__name__=~"herald_.*"}`,                               // no metric name
	}
	for _, q := range bad {
		if _, err := checkQuery(q); err == nil {
			t.Errorf("bad query %q accepted", q)
		}
	}
}

func TestMetricsList(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Metrics {
		if seen[m.Name] {
			t.Errorf("%s listed twice", m.Name)
		}
		seen[m.Name] = true
		switch m.Type {
		case "counter":
			if !strings.HasSuffix(m.Name, "_total") {
				t.Errorf("counter %s does not end in _total", m.Name)
			}
		case "gauge", "histogram", "summary":
		default:
			t.Errorf("%s: unknown type %q", m.Name, m.Type)
		}
		switch m.Process {
		case ProcessAPI, ProcessWorker, ProcessBoth:
		default:
			t.Errorf("%s: unknown process %q", m.Name, m.Process)
		}
	}
}
