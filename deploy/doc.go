// Package deploy holds Herald's deployment files and the tests that validate
// them with the real loaders: docker-compose.yml (repository root) through
// the compose-spec loader, the kustomize overlays under k8s/ through the
// kustomize API and the Kubernetes types, the Dockerfile through BuildKit's
// parser, the Prometheus rules through Prometheus' own rule and PromQL
// parsers, and the Grafana dashboard's queries against the metric names
// Herald exports (Metrics in metricnames.go).
//
// Layout:
//
//	docker/Dockerfile          one small non-root image holding every binary
//	compose.env.example        the variables docker-compose.yml reads from .env
//	prometheus/                scrape config and alert rules
//	grafana/                   the Herald dashboard and Grafana provisioning
//	k8s/base, k8s/overlays/*   kustomize; k8s/components: keda (queue-latency
//	                           autoscaling), cert-manager, prometheus-operator
//	metricnames.go             the metrics the files above may use
//	ingresspaths.go            the API paths the Ingress makes public
//	shutdown.go                what every grace period must cover
//	cmd/herald-healthcheck     a tiny HTTP probe for container health checks
//	                           (the runtime image has no shell or curl)
//
// See README.md in this directory for how to deploy Herald and RUNBOOK.md
// for how to run it.
package deploy
