#!/usr/bin/env bash
# `npm run example:parallel`: runs examples/parallel_eval.ts — an evaluation on Ray whose results land
# in MLflow — from a fresh clone: installs what is missing (npm packages, the pinned MLflow and Ray
# environments), starts the local MLflow server unless MLFLOW_TRACKING_URI is set, then runs it.
# Without RAY_ADDRESS (and no `ray start` cluster on this machine) the run starts a local Ray head.
set -euo pipefail
cd "$(dirname "$0")/.."
export MLFLOW_DISABLE_TELEMETRY=true
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build
node bin/judgeflow.js setup --only mlflow,ray
if [ -z "${MLFLOW_TRACKING_URI:-}" ]; then
  MLFLOW_TRACKING_URI=$(node bin/judgeflow.js mlflow up | sed -n 's/^MLflow UI: //p')
  export MLFLOW_TRACKING_URI
fi
echo "MLflow: $MLFLOW_TRACKING_URI"
exec npx tsx examples/parallel_eval.ts
