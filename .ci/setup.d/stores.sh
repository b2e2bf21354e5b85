#!/usr/bin/env bash
# Fault and scale tests of the stores (pkg/testkit/servers): PgBouncer, and
# redis-cli for creating a Redis Cluster. Sentinel and Cluster nodes run from
# redis-server itself; PostgreSQL instances of the tests' own use the
# postgresql package's initdb and postgres. Idempotent; for a fresh Debian
# machine as root.
set -euo pipefail

need=()
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y --no-install-recommends "${need[@]}"
fi
