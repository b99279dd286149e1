#!/usr/bin/env bash
# `make bench`: readies the machine as the tests do (scripts/test-env.sh), then runs
# bench/run.ts against the built server (make builds api-server/dist first).
set -euo pipefail
source "$(dirname "$0")/../scripts/test-env.sh"
exec node -r ./bench/ts-register.js bench/run.ts
