#!/usr/bin/env bash
# `make bench`: readies the machine as the tests do (scripts/test-env.sh), then runs
# bench/run.ts against the built server (make builds api-server/dist first).
# `bash bench/run.sh refresh` runs bench/refresh.ts instead (the OAuth refresh figures), and
# `bash bench/run.sh policy` bench/policy.ts (the policy check's cost on the hot path).
set -euo pipefail
case "${1:-run}" in
  run | refresh | policy) ;;
  *) echo "usage: bench/run.sh [run|refresh|policy]" >&2; exit 2 ;;
esac
source "$(dirname "$0")/../scripts/test-env.sh"
exec node -r ./bench/ts-register.js "bench/${1:-run}.ts"
