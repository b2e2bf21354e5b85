package deploy

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	promlabels "github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
)

// k8sObjects is one kustomize build decoded into Kubernetes types.
type k8sObjects struct {
	deployments  map[string]*appsv1.Deployment
	services     map[string]*corev1.Service
	configMaps   map[string]*corev1.ConfigMap
	secrets      map[string]*corev1.Secret
	pdbs         map[string]*policyv1.PodDisruptionBudget
	hpas         map[string]*autoscalingv2.HorizontalPodAutoscaler
	jobs         map[string]*batchv1.Job
	ingresses    map[string]*networkingv1.Ingress
	netpols      map[string]*networkingv1.NetworkPolicy
	monitors     map[string]*monitoringv1.ServiceMonitor
	rules        map[string]*monitoringv1.PrometheusRule
	scaledObjs   map[string]*unstructured.Unstructured
	namespaced   []string // kind/name of every namespaced object
	namespaces   map[string]bool
	objNamespace map[string]string
}

var k8sDecoder = func() runtime.Decoder {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme,
		policyv1.AddToScheme, autoscalingv2.AddToScheme, networkingv1.AddToScheme,
		monitoringv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	// Strict: an unknown or duplicated field is an error, not ignored.
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}()

// buildKustomization runs kustomize (the library kubectl -k uses) on dir
// and decodes every object into its Kubernetes type; KEDA's ScaledObject
// stays unstructured.
func buildKustomization(t *testing.T, dir string) *k8sObjects {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	o := &k8sObjects{
		deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{},
		pdbs: map[string]*policyv1.PodDisruptionBudget{}, hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		jobs: map[string]*batchv1.Job{}, scaledObjs: map[string]*unstructured.Unstructured{},
		ingresses: map[string]*networkingv1.Ingress{}, netpols: map[string]*networkingv1.NetworkPolicy{},
		monitors: map[string]*monitoringv1.ServiceMonitor{}, rules: map[string]*monitoringv1.PrometheusRule{},
		namespaces: map[string]bool{}, objNamespace: map[string]string{},
	}
	for _, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		id := r.GetKind() + "/" + r.GetName()
		if r.GetApiVersion() == "keda.sh/v1alpha1" {
			u := &unstructured.Unstructured{}
			j, err := yaml.ToJSON(y)
			if err != nil {
				t.Fatal(err)
			}
			if err := u.UnmarshalJSON(j); err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			o.scaledObjs[u.GetName()] = u
			o.namespaced = append(o.namespaced, id)
			o.objNamespace[id] = u.GetNamespace()
			continue
		}
		obj, _, err := k8sDecoder.Decode(y, nil, nil)
		if err != nil {
			t.Errorf("%s does not decode as a Kubernetes object: %v", id, err)
			continue
		}
		switch v := obj.(type) {
		case *appsv1.Deployment:
			o.deployments[v.Name] = v
		case *corev1.Service:
			o.services[v.Name] = v
		case *corev1.ConfigMap:
			o.configMaps[v.Name] = v
		case *corev1.Secret:
			o.secrets[v.Name] = v
		case *policyv1.PodDisruptionBudget:
			o.pdbs[v.Name] = v
		case *autoscalingv2.HorizontalPodAutoscaler:
			o.hpas[v.Name] = v
		case *batchv1.Job:
			o.jobs[v.Name] = v
		case *networkingv1.Ingress:
			o.ingresses[v.Name] = v
		case *networkingv1.NetworkPolicy:
			o.netpols[v.Name] = v
		case *monitoringv1.ServiceMonitor:
			o.monitors[v.Name] = v
		case *monitoringv1.PrometheusRule:
			o.rules[v.Name] = v
		case *corev1.ServiceAccount:
		case *corev1.Namespace:
			o.namespaces[v.Name] = true
			continue
		default:
			t.Errorf("unexpected object %s (%T)", id, obj)
		}
		o.namespaced = append(o.namespaced, id)
		o.objNamespace[id] = r.GetNamespace()
	}
	return o
}

func k8sTargets(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join(deployDir(t), "k8s")
	overlays, err := filepath.Glob(filepath.Join(dir, "overlays", "*"))
	if err != nil || len(overlays) < 2 {
		t.Fatalf("overlays: %v %v", overlays, err)
	}
	return append([]string{filepath.Join(dir, "base")}, overlays...)
}

// TestKustomizeBuilds builds the base and every overlay and checks what
// Kubernetes needs to run Herald well: probes, resources, non-root
// read-only containers, graceful termination, disruption budgets,
// autoscaling of the worker Deployment, secrets kept out of ConfigMaps,
// migrations in init containers only, the Ingress, NetworkPolicies and
// zone spread (k8s_cluster_test.go).
func TestKustomizeBuilds(t *testing.T) {
	var keda int
	for _, dir := range k8sTargets(t) {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			o := buildKustomization(t, dir)
			overlay := name != "base"
			checkWorkloads(t, o, overlay)
			checkConfig(t, o, overlay)
			checkAPIServiceAndPDB(t, o)
			if len(o.scaledObjs) > 0 {
				keda++
			}
			checkAutoscaling(t, o)
			checkMigrations(t, o)
			checkSpread(t, o)
			checkIngress(t, o)
			checkNetworkPolicies(t, o)
			checkWorkerService(t, o)
			if overlay {
				if len(o.namespaces) != 1 {
					t.Errorf("overlay creates namespaces %v, want one", o.namespaces)
				}
				for _, id := range o.namespaced {
					if ns := o.objNamespace[id]; !o.namespaces[ns] {
						t.Errorf("%s is in namespace %q, not the overlay's", id, ns)
					}
				}
			}
		})
	}
	if keda == 0 {
		t.Error("no overlay autoscales workers on queue latency with KEDA")
	}
}

func podSpecs(o *k8sObjects) map[string]*corev1.PodTemplateSpec {
	pods := map[string]*corev1.PodTemplateSpec{}
	for n, d := range o.deployments {
		pods["Deployment/"+n] = &d.Spec.Template
	}
	for n, j := range o.jobs {
		pods["Job/"+n] = &j.Spec.Template
	}
	return pods
}

func checkWorkloads(t *testing.T, o *k8sObjects, overlay bool) {
	t.Helper()
	for _, n := range []string{"herald-api", "herald-worker"} {
		if o.deployments[n] == nil {
			t.Fatalf("no Deployment %s", n)
		}
	}
	for id, pod := range podSpecs(o) {
		ps := pod.Spec
		if sc := ps.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot ||
			sc.RunAsUser == nil || *sc.RunAsUser == 0 {
			t.Errorf("%s: pod must set runAsNonRoot and a non-zero runAsUser", id)
		}
		if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
			t.Errorf("%s mounts a service account token it does not need", id)
		}
		for _, c := range append(slices.Clone(ps.InitContainers), ps.Containers...) {
			cid := id + "/" + c.Name
			if overlay && (strings.HasSuffix(c.Image, ":latest") || !strings.Contains(c.Image, ":")) {
				t.Errorf("%s: overlay runs image %s; pin a tag", cid, c.Image)
			}
			// A moving tag (main) with IfNotPresent runs whichever build a
			// node pulled first.
			if overlay && !releaseImage(c.Image) && c.ImagePullPolicy != corev1.PullAlways {
				t.Errorf("%s: image %s is not a release or digest, so imagePullPolicy must be Always (is %q)", cid, c.Image, c.ImagePullPolicy)
			}
			checkGoMemLimit(t, cid, c)
			if !strings.Contains(c.Image, "/") {
				t.Errorf("%s: image %q was not set by kustomize's images", cid, c.Image)
			}
			sc := c.SecurityContext
			if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
				sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
				t.Errorf("%s: want allowPrivilegeEscalation false, readOnlyRootFilesystem true, capabilities drop ALL", cid)
			}
			for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if _, ok := c.Resources.Requests[res]; !ok {
					t.Errorf("%s: no %s request", cid, res)
				}
				if _, ok := c.Resources.Limits[res]; !ok {
					t.Errorf("%s: no %s limit", cid, res)
				}
			}
			if len(c.Command) == 0 || !slices.Contains(dockerfileBinaries(t), filepath.Base(c.Command[0])) {
				t.Errorf("%s runs %v, which the image does not hold", cid, c.Command)
			}
		}
	}

	for name, want := range map[string][]string{
		"herald-api":    {"/usr/local/bin/herald-api"},
		"herald-worker": {"/usr/local/bin/herald-worker"},
	} {
		d := o.deployments[name]
		ps := d.Spec.Template.Spec
		if len(ps.Containers) != 1 {
			t.Fatalf("%s: %d containers", name, len(ps.Containers))
		}
		c := ps.Containers[0]
		if !slices.Equal(c.Command, want) {
			t.Errorf("%s runs %v, want %v", name, c.Command, want)
		}
		checkProbe(t, name+" liveness", c, c.LivenessProbe, "/healthz")
		checkProbe(t, name+" readiness", c, c.ReadinessProbe, "/readyz")
		grace := time.Duration(0)
		if ps.TerminationGracePeriodSeconds != nil {
			grace = time.Duration(*ps.TerminationGracePeriodSeconds) * time.Second
		}
		var preStop time.Duration
		if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
			preStop = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
		}
		// The worker's worst case is both job servers holding batches for
		// the whole timeout, then handing them back (ShutdownOverhead).
		timeout := shutdownTimeoutOf(t, o, c)
		if worst := preStop + timeout + ShutdownOverhead; grace < worst {
			t.Errorf("%s: terminationGracePeriodSeconds %s is shorter than its worst-case shutdown: preStop %s + HERALD_SHUTDOWN_TIMEOUT %s + ShutdownOverhead %s",
				name, grace, preStop, timeout, ShutdownOverhead)
		}
		sel, err := labelSelector(d.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("%s: selector does not match its pods (%v)", name, err)
		}
	}
	if r := o.deployments["herald-worker"].Spec.Replicas; r != nil {
		t.Errorf("herald-worker sets replicas %d: every apply would fight the autoscaler", *r)
	}
}

func labelSelector(ls *metav1.LabelSelector) (labels.Selector, error) {
	if ls == nil {
		return nil, fmt.Errorf("no label selector")
	}
	return metav1.LabelSelectorAsSelector(ls)
}

func checkProbe(t *testing.T, what string, c corev1.Container, p *corev1.Probe, path string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s: no HTTP probe", what)
		return
	}
	if p.HTTPGet.Path != path {
		t.Errorf("%s probes %s, want %s", what, p.HTTPGet.Path, path)
	}
	if !containerHasPort(c, p.HTTPGet.Port) {
		t.Errorf("%s probes port %s, which the container does not declare", what, p.HTTPGet.Port.String())
	}
}

func containerHasPort(c corev1.Container, port intstr.IntOrString) bool {
	for _, cp := range c.Ports {
		if (port.Type == intstr.String && cp.Name == port.StrVal) || (port.Type == intstr.Int && cp.ContainerPort == port.IntVal) {
			return true
		}
	}
	return false
}

// checkConfig: pods read the generated ConfigMap and the herald-secrets
// Secret; the ConfigMap sets the listen addresses and holds no secret.
func checkConfig(t *testing.T, o *k8sObjects, overlay bool) {
	t.Helper()
	secretKeys := []string{"HERALD_MASTER_KEY", "HERALD_ADMIN_TOKEN", "HERALD_DATABASE_URL", "HERALD_REDIS_URL"}
	for id, pod := range podSpecs(o) {
		for _, c := range append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...) {
			var cm, secret string
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil {
					cm = ef.ConfigMapRef.Name
				}
				if ef.SecretRef != nil {
					secret = ef.SecretRef.Name
				}
			}
			m := o.configMaps[cm]
			if m == nil {
				t.Errorf("%s reads ConfigMap %q, which the build does not contain", id, cm)
				continue
			}
			if m.Data["HERALD_HTTP_ADDR"] != "0.0.0.0:8080" || m.Data["HERALD_WORKER_ADDR"] != "0.0.0.0:8081" {
				t.Errorf("ConfigMap %s: listen addresses %q, %q", cm, m.Data["HERALD_HTTP_ADDR"], m.Data["HERALD_WORKER_ADDR"])
			}
			if d, err := time.ParseDuration(m.Data["HERALD_SHUTDOWN_TIMEOUT"]); err != nil || d <= 0 {
				t.Errorf("ConfigMap %s: HERALD_SHUTDOWN_TIMEOUT %q is not a duration", cm, m.Data["HERALD_SHUTDOWN_TIMEOUT"])
			}
			if !strings.HasPrefix(m.Data["HERALD_VAPID_SUBJECT"], "mailto:") && !strings.HasPrefix(m.Data["HERALD_VAPID_SUBJECT"], "https:") {
				t.Errorf("ConfigMap %s: HERALD_VAPID_SUBJECT %q", cm, m.Data["HERALD_VAPID_SUBJECT"])
			}
			for _, k := range secretKeys {
				if _, ok := m.Data[k]; ok {
					t.Errorf("ConfigMap %s holds secret %s", cm, k)
				}
			}
			if secret != "herald-secrets" {
				t.Errorf("%s reads Secret %q, want herald-secrets", id, secret)
			}
		}
	}
	s, inBuild := o.secrets["herald-secrets"]
	if overlay {
		if inBuild {
			t.Error("overlay ships the placeholder Secret; secrets come from outside git")
		}
		return
	}
	if !inBuild {
		t.Fatal("base has no herald-secrets placeholder")
	}
	for _, k := range secretKeys {
		if _, ok := s.Data[k]; !ok {
			t.Errorf("Secret herald-secrets has no %s", k)
		}
	}
}

func checkAPIServiceAndPDB(t *testing.T, o *k8sObjects) {
	t.Helper()
	api := o.deployments["herald-api"]
	podLabels := labels.Set(api.Spec.Template.Labels)
	svc := o.services["herald-api"]
	if svc == nil {
		t.Fatal("no Service herald-api")
	}
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
		t.Error("Service herald-api does not select the API pods")
	}
	for _, p := range svc.Spec.Ports {
		if !containerHasPort(api.Spec.Template.Spec.Containers[0], p.TargetPort) {
			t.Errorf("Service port %s targets %s, which the API does not declare", p.Name, p.TargetPort.String())
		}
	}
	worker := o.deployments["herald-worker"]
	if ws := o.services["herald-worker"]; ws != nil && labels.SelectorFromSet(ws.Spec.Selector).Matches(podLabels) {
		t.Error("Service herald-worker selects API pods")
	}
	for name, d := range map[string]*appsv1.Deployment{"herald-api": api, "herald-worker": worker} {
		pdb := o.pdbs[name]
		if name == "herald-api" && pdb == nil {
			t.Fatal("no PodDisruptionBudget for herald-api")
		}
		if pdb == nil {
			continue
		}
		sel, err := labelSelector(pdb.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("PodDisruptionBudget %s does not select %s's pods", name, name)
		}
		if pdb.Spec.MinAvailable == nil && pdb.Spec.MaxUnavailable == nil {
			t.Errorf("PodDisruptionBudget %s sets neither minAvailable nor maxUnavailable", name)
		}
		if name == "herald-api" && api.Spec.Replicas != nil && *api.Spec.Replicas < 2 && pdb.Spec.MinAvailable != nil {
			t.Error("herald-api: a minAvailable PodDisruptionBudget on one replica blocks node drains")
		}
	}
}

// checkAutoscaling: exactly one autoscaler owns the worker Deployment, a
// CPU HorizontalPodAutoscaler or a KEDA ScaledObject whose Prometheus
// triggers query queue latency with PromQL that parses and names real
// Herald metrics.
func checkAutoscaling(t *testing.T, o *k8sObjects) {
	t.Helper()
	var owners []string
	for n, h := range o.hpas {
		ref := h.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || o.deployments[ref.Name] == nil {
			t.Errorf("HorizontalPodAutoscaler %s targets %s %s/%s, not a Deployment of this build", n, ref.APIVersion, ref.Kind, ref.Name)
		}
		if ref.Name != "herald-worker" {
			continue
		}
		owners = append(owners, "HorizontalPodAutoscaler/"+n)
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 1 || h.Spec.MaxReplicas <= *h.Spec.MinReplicas {
			t.Errorf("HorizontalPodAutoscaler %s: min %v max %d", n, h.Spec.MinReplicas, h.Spec.MaxReplicas)
		}
		var cpu bool
		for _, m := range h.Spec.Metrics {
			if m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil && m.Resource.Name == corev1.ResourceCPU &&
				m.Resource.Target.Type == autoscalingv2.UtilizationMetricType && m.Resource.Target.AverageUtilization != nil {
				cpu = true
			}
		}
		if !cpu {
			t.Errorf("HorizontalPodAutoscaler %s does not scale on CPU utilization", n)
		}
	}
	for n, so := range o.scaledObjs {
		if err := checkScaledObject(so, o); err != nil {
			t.Errorf("ScaledObject %s: %v", n, err)
		}
		owners = append(owners, "ScaledObject/"+n)
	}
	if len(owners) != 1 {
		t.Errorf("herald-worker is autoscaled by %v; want exactly one autoscaler", owners)
	}
}

func checkScaledObject(so *unstructured.Unstructured, o *k8sObjects) error {
	if so.GetKind() != "ScaledObject" {
		return fmt.Errorf("kind %s", so.GetKind())
	}
	target, _, _ := unstructured.NestedString(so.Object, "spec", "scaleTargetRef", "name")
	if target != "herald-worker" || o.deployments[target] == nil {
		return fmt.Errorf("scaleTargetRef.name %q is not the worker Deployment", target)
	}
	if kind, found, _ := unstructured.NestedString(so.Object, "spec", "scaleTargetRef", "kind"); found && kind != "Deployment" {
		return fmt.Errorf("scaleTargetRef.kind %q", kind)
	}
	minR, _, _ := unstructured.NestedInt64(so.Object, "spec", "minReplicaCount")
	maxR, found, _ := unstructured.NestedInt64(so.Object, "spec", "maxReplicaCount")
	if minR < 1 || !found || maxR <= minR {
		return fmt.Errorf("replica counts min %d max %d: keep at least one worker", minR, maxR)
	}
	triggers, _, _ := unstructured.NestedSlice(so.Object, "spec", "triggers")
	var latency bool
	for i, tr := range triggers {
		m, ok := tr.(map[string]any)
		if !ok {
			return fmt.Errorf("trigger %d is not an object", i)
		}
		typ, _ := m["type"].(string)
		md, _ := m["metadata"].(map[string]any)
		if typ == "" || md == nil {
			return fmt.Errorf("trigger %d needs type and metadata", i)
		}
		if typ != "prometheus" {
			continue
		}
		for _, k := range []string{"serverAddress", "query", "threshold"} {
			if s, _ := md[k].(string); s == "" {
				return fmt.Errorf("prometheus trigger %d: metadata.%s missing (strings only)", i, k)
			}
		}
		names, err := checkQuery(md["query"].(string))
		if err != nil {
			return fmt.Errorf("trigger %d: %w", i, err)
		}
		// One Prometheus may scrape several installations: the query must
		// read this one's series only, or staging's backlog scales production.
		if err := onlyNamespace(md["query"].(string), so.GetNamespace()); err != nil {
			return fmt.Errorf("trigger %d: %w", i, err)
		}
		if slices.Contains(names, "herald_queue_latency_seconds") {
			latency = true
		}
	}
	if !latency {
		return fmt.Errorf("no prometheus trigger on herald_queue_latency_seconds")
	}
	return nil
}

// onlyNamespace: every series expr selects has namespace="ns".
func onlyNamespace(expr, ns string) error {
	node, err := promql.ParseExpr(expr)
	if err != nil {
		return err
	}
	var bad []string
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok && !slices.ContainsFunc(vs.LabelMatchers, func(m *promlabels.Matcher) bool {
			return m.Name == "namespace" && m.Type == promlabels.MatchEqual && m.Value == ns
		}) {
			bad = append(bad, vs.String())
		}
		return nil
	})
	if ns == "" || len(bad) > 0 {
		return fmt.Errorf("%q: selectors %v lack namespace=%q (the ScaledObject's namespace)", expr, bad, ns)
	}
	return nil
}
