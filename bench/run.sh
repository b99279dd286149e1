#!/usr/bin/env bash
# `make bench`: readies the machine as the tests do (scripts/test-env.sh), then runs
# bench/run.ts against the built server (make builds api-server/dist first).
# `bash bench/run.sh refresh` runs bench/refresh.ts instead (the OAuth refresh figures).
set -euo pipefail
case "${1:-run}" in
  run | refresh) ;;
  *) echo "usage: bench/run.sh [run|refresh]" >&2; exit 2 ;;
esac
source "$(dirname "$0")/../scripts/test-env.sh"
exec node -r ./bench/ts-register.js "bench/${1:-run}.ts"
