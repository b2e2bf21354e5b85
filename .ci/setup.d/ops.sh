#!/usr/bin/env bash
# Operations tests: headless Chromium and node for the dashboard test
# (make test-dashboard). Idempotent; for a fresh Debian machine as root.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y --no-install-recommends "${need[@]}" fonts-dejavu-core
fi
(cd services/api/dashboard/test && npm ci --no-audit --no-fund)
