package deploy

import (
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

// namespaceRelabel is what the relabelling sets namespace to: a fixed
// replacement, or "$kubernetes" when it copies the pod's namespace; "" when
// nothing sets it.
func namespaceRelabel(rcs []relabelConfig) string {
	for _, rc := range rcs {
		if rc.TargetLabel != "namespace" || (rc.Action != "" && rc.Action != "replace") {
			continue
		}
		if slices.Equal(rc.SourceLabels, []string{"__meta_kubernetes_namespace"}) && rc.Replacement == "" {
			return "$kubernetes"
		}
		if len(rc.SourceLabels) == 0 && rc.Replacement != "" {
			return rc.Replacement
		}
	}
	return ""
}

// keeps reports whether value passes rc, a keep rule on one label (the
// regex anchored, as Prometheus anchors it).
func keeps(rc relabelConfig, value string) bool {
	return regexp.MustCompile("^(?:" + rc.Regex + ")$").MatchString(value)
}

// TestKubernetesScrapeConfig: the documented scrape jobs for a plain
// Prometheus keep exactly Herald's API and worker pods on the ports the
// Deployments declare, under the job names the alerts use, and label every
// series with the pod's namespace.
func TestKubernetesScrapeConfig(t *testing.T) {
	cfg := loadPromConfig(t, filepath.Join(deployDir(t), "prometheus", "kubernetes.yml"))
	o := buildKustomization(t, filepath.Join(deployDir(t), "k8s", "overlays", "production"))
	want := map[string]string{"herald-api": "herald-api", "herald-worker": "herald-worker"}
	seen := map[string]bool{}
	for _, sc := range cfg.ScrapeConfigs {
		d := o.deployments[want[sc.JobName]]
		if d == nil {
			t.Errorf("unexpected job %s", sc.JobName)
			continue
		}
		seen[sc.JobName] = true
		if len(sc.KubernetesSDConfigs) != 1 || sc.KubernetesSDConfigs[0].Role != "pod" {
			t.Errorf("%s: want kubernetes_sd_configs role pod, got %+v", sc.JobName, sc.KubernetesSDConfigs)
		}
		if ns := namespaceRelabel(sc.RelabelConfigs); ns != "$kubernetes" {
			t.Errorf("%s: does not copy __meta_kubernetes_namespace into namespace (%q)", sc.JobName, ns)
		}
		podLabels := d.Spec.Template.Labels
		port := strconv.Itoa(int(d.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort))
		var keptPort, keptPod bool
		for _, rc := range sc.RelabelConfigs {
			if rc.Action != "keep" {
				continue
			}
			switch {
			case slices.Equal(rc.SourceLabels, []string{"__meta_kubernetes_pod_container_port_number"}):
				keptPort = keeps(rc, port) && !keeps(rc, "9999")
			case slices.Equal(rc.SourceLabels, []string{"__meta_kubernetes_pod_label_app_kubernetes_io_name", "__meta_kubernetes_pod_label_app_kubernetes_io_component"}):
				keptPod = keeps(rc, podLabels["app.kubernetes.io/name"]+";"+podLabels["app.kubernetes.io/component"])
				for other, od := range o.deployments {
					if other != d.Name && keeps(rc, od.Spec.Template.Labels["app.kubernetes.io/name"]+";"+od.Spec.Template.Labels["app.kubernetes.io/component"]) {
						t.Errorf("%s also keeps %s's pods", sc.JobName, other)
					}
				}
			}
		}
		if !keptPort || !keptPod {
			t.Errorf("%s: keep rules do not select %s's pods on port %s (pod %v, port %v)", sc.JobName, d.Name, port, keptPod, keptPort)
		}
	}
	for job := range want {
		if !seen[job] {
			t.Errorf("no scrape job %s", job)
		}
	}
}
