# Real-browser tests (issue: browser side): Firefox ESR end to end through the
# push simulator's WebSocket mode, Chromium through playwright-core and the
# DevTools protocol. .ci/setup.d/browsers.sh installs the browsers and
# services/api/web/test's npm packages; a plain `go test` skips these tests.
.PHONY: test-browser browser-deps

EXTRA_TESTS += test-browser

browser-deps:
	@test -d services/api/web/test/node_modules/playwright-core || (cd services/api/web/test && npm ci --no-audit --no-fund)

test-browser: browser-deps
	HERALD_BROWSER_TESTS=1 $(GO) test -race -count=1 -timeout 10m -run 'TestFirefox|TestChromium' $(MODPATH)/services/herald/
