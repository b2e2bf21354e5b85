# Operations (issue 5): the dashboard rendered in headless Chromium against a
# real Herald (PostgreSQL, Redis, push simulator). Needs Chromium on PATH and
# node; .ci/setup.d/ops.sh installs both and the npm lock.
.PHONY: test-dashboard
EXTRA_TESTS += test-dashboard

test-dashboard:
	cd services/api/dashboard/test && npm ci --no-audit --no-fund
	HERALD_DASHBOARD_TEST=1 $(GO) test -count=1 -timeout 5m -run '^TestOpsDashboard(InChromium|Variants)$$' $(MODPATH)/services/herald
