package deploy

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// releaseImage: a version tag (v1.2.3) or a digest, which never move.
func releaseImage(image string) bool {
	if strings.Contains(image, "@sha256:") {
		return true
	}
	i := strings.LastIndex(image, ":")
	return i > 0 && regexp.MustCompile(`^v?\d+\.\d+\.\d+([-+][\w.]+)?$`).MatchString(image[i+1:])
}

// checkGoMemLimit: the Go runtime's soft limit is the container's own memory
// limit, from the downward API, so the GC works harder before an OOM kill.
func checkGoMemLimit(t *testing.T, cid string, c corev1.Container) {
	t.Helper()
	for _, e := range c.Env {
		if e.Name != "GOMEMLIMIT" {
			continue
		}
		if e.ValueFrom == nil || e.ValueFrom.ResourceFieldRef == nil {
			t.Errorf("%s: GOMEMLIMIT is not read from the memory limit", cid)
			return
		}
		ref := e.ValueFrom.ResourceFieldRef
		if ref.Resource != "limits.memory" || (ref.ContainerName != "" && ref.ContainerName != c.Name) {
			t.Errorf("%s: GOMEMLIMIT from %s of container %q, want limits.memory of itself", cid, ref.Resource, ref.ContainerName)
		}
		if !ref.Divisor.IsZero() && ref.Divisor.Value() != 1 {
			t.Errorf("%s: GOMEMLIMIT divisor %s: Go reads a plain number as bytes", cid, ref.Divisor.String())
		}
		return
	}
	t.Errorf("%s: no GOMEMLIMIT", cid)
}

// configMapOf is the generated ConfigMap the container reads.
func configMapOf(t *testing.T, o *k8sObjects, c corev1.Container) map[string]string {
	t.Helper()
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef != nil && o.configMaps[ef.ConfigMapRef.Name] != nil {
			return o.configMaps[ef.ConfigMapRef.Name].Data
		}
	}
	t.Fatalf("container %s reads no ConfigMap of the build", c.Name)
	return nil
}

// shutdownTimeoutOf is the container's HERALD_SHUTDOWN_TIMEOUT (25s when
// its ConfigMap leaves it to the default).
func shutdownTimeoutOf(t *testing.T, o *k8sObjects, c corev1.Container) time.Duration {
	t.Helper()
	v, ok := configMapOf(t, o, c)["HERALD_SHUTDOWN_TIMEOUT"]
	if !ok {
		return 25 * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("HERALD_SHUTDOWN_TIMEOUT %q: %v", v, err)
	}
	return d
}

// checkMigrations: no process migrates (HERALD_MIGRATE=false); each pod's
// init container runs herald-api migrate with the same configuration and
// secrets, so no probe kills a long migration and no Job with a fixed name
// blocks the next apply.
func checkMigrations(t *testing.T, o *k8sObjects) {
	t.Helper()
	if len(o.jobs) > 0 {
		t.Errorf("the build holds Jobs %v: a Job's pod template is immutable, so re-applying a fixed name fails; migrate in init containers", keys(o.jobs))
	}
	for name, d := range o.deployments {
		ps := d.Spec.Template.Spec
		main := ps.Containers[0]
		if v := configMapOf(t, o, main)["HERALD_MIGRATE"]; v != "false" {
			t.Errorf("%s: HERALD_MIGRATE=%q: the process would migrate under its startup probe", name, v)
		}
		var migrates bool
		for _, ic := range ps.InitContainers {
			if slices.Equal(ic.Command, []string{"/usr/local/bin/herald-api", "migrate"}) {
				migrates = true
				if ic.Image != main.Image {
					t.Errorf("%s: init container runs %s, the process %s: they must know the same schema", name, ic.Image, main.Image)
				}
				if !slices.EqualFunc(ic.EnvFrom, main.EnvFrom, func(a, b corev1.EnvFromSource) bool { return a.String() == b.String() }) {
					t.Errorf("%s: init container reads other configuration than the process", name)
				}
			}
		}
		if !migrates {
			t.Errorf("%s: no init container runs herald-api migrate", name)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// checkSpread: API and worker pods spread across zones and nodes.
func checkSpread(t *testing.T, o *k8sObjects) {
	t.Helper()
	for name, d := range o.deployments {
		pods := labels.Set(d.Spec.Template.Labels)
		spread := map[string]bool{}
		for _, c := range d.Spec.Template.Spec.TopologySpreadConstraints {
			sel, err := labelSelector(c.LabelSelector)
			if err != nil || !sel.Matches(pods) {
				t.Errorf("%s: spread over %s does not select its pods", name, c.TopologyKey)
				continue
			}
			spread[c.TopologyKey] = true
		}
		for _, key := range []string{"topology.kubernetes.io/zone", "kubernetes.io/hostname"} {
			if !spread[key] {
				t.Errorf("%s does not spread over %s", name, key)
			}
		}
	}
}

// checkWorkerService: headless, listing workers that are not ready, so
// Prometheus still scrapes a worker whose readiness failed.
func checkWorkerService(t *testing.T, o *k8sObjects) {
	t.Helper()
	ws := o.services["herald-worker"]
	if ws == nil {
		t.Fatal("no Service herald-worker")
	}
	if ws.Spec.ClusterIP != corev1.ClusterIPNone || !ws.Spec.PublishNotReadyAddresses {
		t.Errorf("Service herald-worker: clusterIP %q publishNotReadyAddresses %v; want headless and true", ws.Spec.ClusterIP, ws.Spec.PublishNotReadyAddresses)
	}
	if !labels.SelectorFromSet(ws.Spec.Selector).Matches(labels.Set(o.deployments["herald-worker"].Spec.Template.Labels)) {
		t.Error("Service herald-worker does not select the workers")
	}
}

// checkIngress: HTTPS for every host, exactly the public paths, all to the
// API Service on a port it has.
func checkIngress(t *testing.T, o *k8sObjects) {
	t.Helper()
	ing := o.ingresses["herald-api"]
	if ing == nil {
		t.Fatal("no Ingress herald-api")
	}
	if ing.Spec.IngressClassName == nil || *ing.Spec.IngressClassName == "" {
		t.Error("Ingress herald-api names no ingressClassName")
	}
	tlsHosts := map[string]bool{}
	for _, tls := range ing.Spec.TLS {
		if tls.SecretName == "" {
			t.Errorf("Ingress TLS for %v names no Secret", tls.Hosts)
		}
		for _, h := range tls.Hosts {
			tlsHosts[h] = true
		}
	}
	svc := o.services["herald-api"]
	for _, rule := range ing.Spec.Rules {
		if rule.Host == "" || !tlsHosts[rule.Host] {
			t.Errorf("Ingress host %q is not covered by TLS (browsers subscribe only from https pages)", rule.Host)
		}
		if rule.HTTP == nil {
			t.Errorf("Ingress host %s routes nothing", rule.Host)
			continue
		}
		var got []IngressPath
		for _, p := range rule.HTTP.Paths {
			exact := p.PathType != nil && *p.PathType == networkingv1.PathTypeExact
			if p.PathType == nil || (!exact && *p.PathType != networkingv1.PathTypePrefix) {
				t.Errorf("Ingress path %s: pathType must be Prefix or Exact (ImplementationSpecific differs per controller)", p.Path)
			}
			got = append(got, IngressPath{Path: p.Path, Exact: exact})
			b := p.Backend.Service
			if b == nil || b.Name != "herald-api" {
				t.Errorf("Ingress path %s does not go to Service herald-api", p.Path)
				continue
			}
			var found bool
			for _, sp := range svc.Spec.Ports {
				found = found || (b.Port.Name != "" && sp.Name == b.Port.Name) || (b.Port.Number != 0 && sp.Port == b.Port.Number)
			}
			if !found {
				t.Errorf("Ingress path %s goes to port %v, which Service herald-api does not have", p.Path, b.Port)
			}
		}
		if !slices.Equal(got, IngressPaths) {
			t.Errorf("Ingress host %s routes %v, want deploy.IngressPaths %v", rule.Host, got, IngressPaths)
		}
	}
	for _, p := range InternalPaths {
		if Routed(p) {
			t.Errorf("%s is reachable from outside the cluster", p)
		}
	}
}

// checkNetworkPolicies: both Herald pods are selected by a policy of both
// types; the API takes traffic on its port from named namespaces; workers
// take scrapes only and reach DNS, PostgreSQL, Redis and public HTTPS only.
func checkNetworkPolicies(t *testing.T, o *k8sObjects) {
	t.Helper()
	allowedEgress := map[string][]int32{
		"herald-api":    {53, 5432, 6379},
		"herald-worker": {53, 5432, 6379, 443},
	}
	for name, d := range o.deployments {
		pods := labels.Set(d.Spec.Template.Labels)
		var selected []*networkingv1.NetworkPolicy
		for _, np := range o.netpols {
			sel, err := labelSelector(&np.Spec.PodSelector)
			if err == nil && len(np.Spec.PodSelector.MatchLabels)+len(np.Spec.PodSelector.MatchExpressions) > 0 && sel.Matches(pods) {
				selected = append(selected, np)
			}
		}
		if len(selected) == 0 {
			t.Errorf("no NetworkPolicy selects %s", name)
			continue
		}
		types := map[networkingv1.PolicyType]bool{}
		container := d.Spec.Template.Spec.Containers[0]
		for _, np := range selected {
			for _, ty := range np.Spec.PolicyTypes {
				types[ty] = true
			}
			for _, in := range np.Spec.Ingress {
				if len(in.From) == 0 || len(in.Ports) == 0 {
					t.Errorf("NetworkPolicy %s lets anyone reach %s on any port", np.Name, name)
				}
				for _, p := range in.Ports {
					if p.Port == nil || !containerHasPort(container, *p.Port) {
						t.Errorf("NetworkPolicy %s admits port %v, which %s does not serve", np.Name, p.Port, name)
					}
				}
			}
			for _, out := range np.Spec.Egress {
				checkEgressRule(t, np.Name, name, out, allowedEgress[name])
			}
		}
		if !types[networkingv1.PolicyTypeIngress] || !types[networkingv1.PolicyTypeEgress] {
			t.Errorf("%s: NetworkPolicies restrict %v; want Ingress and Egress", name, types)
		}
	}
}

func checkEgressRule(t *testing.T, policy, workload string, r networkingv1.NetworkPolicyEgressRule, allowed []int32) {
	t.Helper()
	if len(r.Ports) == 0 {
		t.Errorf("NetworkPolicy %s: %s may reach %v on every port", policy, workload, r.To)
		return
	}
	for _, p := range r.Ports {
		if p.Port == nil || p.Port.Type != intstr.Int || !slices.Contains(allowed, p.Port.IntVal) {
			t.Errorf("NetworkPolicy %s: %s may reach port %v; allowed: %v", policy, workload, p.Port, allowed)
			continue
		}
		if p.Port.IntVal != 443 {
			continue
		}
		// Push services are public: the internal network stays out of reach
		// of a push endpoint someone registered.
		if len(r.To) == 0 {
			t.Errorf("NetworkPolicy %s: %s reaches 443 anywhere, private addresses included", policy, workload)
		}
		for _, peer := range r.To {
			if peer.IPBlock == nil {
				t.Errorf("NetworkPolicy %s: 443 to %v, not to public addresses", policy, peer)
				continue
			}
			for _, private := range []string{"10.1.2.3", "172.20.0.1", "192.168.1.1", "169.254.169.254", "fd00::1"} {
				if blockAdmits(peer.IPBlock, private) {
					t.Errorf("NetworkPolicy %s: %s may reach %s on 443", policy, workload, private)
				}
			}
		}
	}
}

// blockAdmits: addr is inside b's CIDR and outside its exceptions.
func blockAdmits(b *networkingv1.IPBlock, addr string) bool {
	a := netip.MustParseAddr(addr)
	in := func(cidr string) bool { p, err := netip.ParsePrefix(cidr); return err == nil && p.Contains(a) }
	if !in(b.CIDR) {
		return false
	}
	return !slices.ContainsFunc(b.Except, in)
}
