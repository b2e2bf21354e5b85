package deploy

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"k8s.io/apimachinery/pkg/labels"
)

// buildWithComponent builds overlay with one more component, as a user who
// adds it to the overlay's components gets.
func buildWithComponent(t *testing.T, overlay, component, namespace string) *k8sObjects {
	t.Helper()
	dir := t.TempDir()
	rel := func(p string) string {
		r, err := filepath.Rel(dir, p)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	k8s := filepath.Join(deployDir(t), "k8s")
	kust := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: " + namespace +
		"\nresources:\n  - " + rel(filepath.Join(k8s, "overlays", overlay)) +
		"\ncomponents:\n  - " + rel(filepath.Join(k8s, "components", component)) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(kust), 0o600); err != nil {
		t.Fatal(err)
	}
	return buildKustomization(t, dir)
}

// TestPrometheusOperatorComponent: ServiceMonitors that scrape the API and
// workers through their Services' ports under the job names the alerts use
// (the operator names the job after the Service), and a PrometheusRule
// holding exactly the rules of prometheus/alerts.yml.
func TestPrometheusOperatorComponent(t *testing.T) {
	o := buildWithComponent(t, "production-keda", "prometheus-operator", "herald")
	checkWorkloads(t, o, true)
	for _, job := range []string{"herald-api", "herald-worker"} {
		sm := o.monitors[job]
		if sm == nil {
			t.Errorf("no ServiceMonitor %s", job)
			continue
		}
		if sm.Namespace != "herald" {
			t.Errorf("ServiceMonitor %s in namespace %q", job, sm.Namespace)
		}
		if sm.Spec.JobLabel != "" {
			t.Errorf("ServiceMonitor %s sets jobLabel %q: the job must stay the Service's name", job, sm.Spec.JobLabel)
		}
		var matched []string
		for name, svc := range o.services {
			if labels.SelectorFromSet(sm.Spec.Selector.MatchLabels).Matches(labels.Set(svc.Labels)) && len(sm.Spec.Selector.MatchExpressions) == 0 {
				matched = append(matched, name)
			}
		}
		if len(matched) != 1 || matched[0] != job {
			t.Errorf("ServiceMonitor %s selects Services %v, want exactly %s (its name becomes the job label)", job, matched, job)
			continue
		}
		svc := o.services[job]
		for _, ep := range sm.Spec.Endpoints {
			var ok bool
			for _, p := range svc.Spec.Ports {
				ok = ok || p.Name == ep.Port
			}
			if !ok || (ep.Path != "" && ep.Path != "/metrics") {
				t.Errorf("ServiceMonitor %s scrapes port %q path %q; Service %s has no such port", job, ep.Port, ep.Path, job)
			}
		}
		if len(sm.Spec.Endpoints) == 0 {
			t.Errorf("ServiceMonitor %s has no endpoints", job)
		}
	}

	rule := o.rules["herald"]
	if rule == nil {
		t.Fatal("no PrometheusRule herald")
	}
	groups, errs := rulefmt.ParseFile(filepath.Join(deployDir(t), "prometheus", "alerts.yml"), false, model.UTF8Validation, promql, discard)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(rule.Spec.Groups) != len(groups.Groups) {
		t.Fatalf("PrometheusRule has %d groups, alerts.yml %d", len(rule.Spec.Groups), len(groups.Groups))
	}
	for i, g := range groups.Groups {
		pg := rule.Spec.Groups[i]
		if pg.Name != g.Name || len(pg.Rules) != len(g.Rules) {
			t.Errorf("group %d: PrometheusRule %s (%d rules), alerts.yml %s (%d rules)", i, pg.Name, len(pg.Rules), g.Name, len(g.Rules))
			continue
		}
		for j, r := range g.Rules {
			pr := pg.Rules[j]
			var pfor time.Duration
			if pr.For != nil {
				d, err := model.ParseDuration(string(*pr.For))
				if err != nil {
					t.Errorf("%s: for %q: %v", pr.Alert, *pr.For, err)
				}
				pfor = time.Duration(d)
			}
			if pr.Alert != r.Alert || pr.Expr.String() != r.Expr || pfor != time.Duration(r.For) ||
				!equalMaps(pr.Labels, r.Labels) || !equalMaps(pr.Annotations, r.Annotations) {
				t.Errorf("rule %s differs between the PrometheusRule and alerts.yml (edit both)", r.Alert)
			}
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
