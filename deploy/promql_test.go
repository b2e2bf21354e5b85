package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
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
var builtinSeries = map[string][]string{"up": targetLabels}

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

// keepsLabel reports whether every series expr returns carries label l of
// the series it selected, and only ever combines series that agree on it:
// an alert (or a panel) grouped by namespace stays one per installation,
// and one installation's figures never match another's. Aggregations must
// keep l (by l, or without anything but l), vector matching must match on
// it, and absent() only keeps it from an equality matcher.
func keepsLabel(e parser.Expr, l string) bool {
	switch n := e.(type) {
	case *parser.VectorSelector, *parser.MatrixSelector:
		return true // every scraped series carries the target labels
	case *parser.ParenExpr:
		return keepsLabel(n.Expr, l)
	case *parser.UnaryExpr:
		return keepsLabel(n.Expr, l)
	case *parser.SubqueryExpr:
		return keepsLabel(n.Expr, l)
	case *parser.StepInvariantExpr:
		return keepsLabel(n.Expr, l)
	case *parser.AggregateExpr:
		switch n.Op {
		case parser.TOPK, parser.BOTTOMK, parser.LIMITK, parser.LIMIT_RATIO:
			return keepsLabel(n.Expr, l) // they return their input series whole
		}
		if n.Without {
			return !slices.Contains(n.Grouping, l) && keepsLabel(n.Expr, l)
		}
		return slices.Contains(n.Grouping, l) && keepsLabel(n.Expr, l)
	case *parser.Call:
		switch n.Func.Name {
		case "absent", "absent_over_time":
			return hasEqualMatcher(n.Args[0], l)
		case "label_replace", "label_join":
			if dst, ok := n.Args[1].(*parser.StringLiteral); ok && dst.Val == l {
				return false // overwritten
			}
		}
		for _, a := range n.Args {
			if t := a.Type(); t == parser.ValueTypeVector || t == parser.ValueTypeMatrix {
				return keepsLabel(a, l)
			}
		}
		return false // scalar(), vector(), time(): no labels at all
	case *parser.BinaryExpr:
		lv, rv := n.LHS.Type() == parser.ValueTypeVector, n.RHS.Type() == parser.ValueTypeVector
		switch {
		case lv && !rv:
			return keepsLabel(n.LHS, l)
		case rv && !lv:
			return keepsLabel(n.RHS, l)
		case !lv:
			return false
		}
		if vm := n.VectorMatching; vm != nil && vm.On != slices.Contains(vm.MatchingLabels, l) {
			return false // on(...) without l, or ignoring(l): installations mix
		}
		if n.Op == parser.LAND || n.Op == parser.LUNLESS {
			return keepsLabel(n.LHS, l) // the left side's series, filtered
		}
		return keepsLabel(n.LHS, l) && keepsLabel(n.RHS, l)
	}
	return false
}

// hasEqualMatcher: e is a selector with an l="value" matcher.
func hasEqualMatcher(e parser.Expr, l string) bool {
	if m, ok := e.(*parser.MatrixSelector); ok {
		e = m.VectorSelector
	}
	vs, ok := e.(*parser.VectorSelector)
	if !ok {
		return false
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == l && m.Type == labels.MatchEqual && m.Value != "" {
			return true
		}
	}
	return false
}

// selectorMatchers returns, for each metric selected in expr, its matcher on
// label l ("" when it has none).
func selectorMatchers(t *testing.T, expr, l string) map[string][]*labels.Matcher {
	t.Helper()
	node, err := promql.ParseExpr(grafanaVars.Replace(expr))
	if err != nil {
		t.Fatalf("%q: %v", expr, err)
	}
	out := map[string][]*labels.Matcher{}
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			var found *labels.Matcher
			for _, m := range vs.LabelMatchers {
				if m.Name == l {
					found = m
				}
			}
			out[vs.Name] = append(out[vs.Name], found)
		}
		return nil
	})
	return out
}

func TestKeepsLabel(t *testing.T) {
	keeps := []string{
		`max by (namespace, queue) (herald_queue_latency_seconds) > 30`,
		`sum by (namespace) (rate(herald_http_requests_total{code=~"5.."}[5m])) / sum by (namespace) (rate(herald_http_requests_total[5m])) > 0.02 and sum by (namespace) (rate(herald_http_requests_total[5m])) > 1`,
		`group by (namespace) (up == 1) unless on (namespace) group by (namespace) (herald_workers)`,
		`sum without (instance) (rate(herald_deliveries_total[5m]))`,
		`absent(herald_workers{namespace="herald"})`,
		`topk(3, herald_worker_sends_limit)`,
		`herald_workers == 0`,
	}
	for _, q := range keeps {
		if e, err := promql.ParseExpr(q); err != nil || !keepsLabel(e, "namespace") {
			t.Errorf("%s: loses namespace (%v)", q, err)
		}
	}
	loses := []string{
		`max(herald_queue_latency_seconds) > 30`,
		`max by (queue) (herald_queue_latency_seconds)`,
		`absent(up{job="herald-worker"} == 1)`,
		`absent(herald_workers)`,
		`sum without (namespace) (herald_workers)`,
		`herald_workers and on (queue) herald_queue_size`,
		`herald_workers / ignoring (namespace) herald_dead_letters`,
		`vector(1)`,
		`max by (namespace) (herald_workers) * on () group_left () sum(herald_dead_letters)`,
		`max by (namespace) (herald_workers) or max(herald_dead_letters)`,
		`label_replace(herald_workers, "namespace", "x", "", "")`,
	}
	for _, q := range loses {
		if e, err := promql.ParseExpr(q); err != nil || keepsLabel(e, "namespace") {
			t.Errorf("%s: accepted as keeping namespace (%v)", q, err)
		}
	}
}

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
