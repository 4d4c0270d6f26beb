#!/usr/bin/env bash
# The newcomer's command: installs everything judgeflow needs (npm packages, the pinned MLflow and Ray
# environments, the local judge model), starts a local MLflow server, and runs the basic example into it.
set -euo pipefail
cd "$(dirname "$0")/.."
export MLFLOW_DISABLE_TELEMETRY=true
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build
node bin/judgeflow.js setup
node bin/judgeflow.js run examples/basic/eval.yaml
