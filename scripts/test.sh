#!/usr/bin/env bash
# The test command: installs what is missing (npm packages, the pinned Python environments, the local
# judge model), builds, checks types and lint, then runs every test tier — the Python suites (the Ray
# bridge's, the MLflow plugin's against real MLflow servers on SQLite and PostgreSQL, the lm-eval
# runner's), unit tests in parallel, then the integration tier serially against real servers it starts
# itself (MLflow, a Ray head, a local judge). Arguments go to vitest and skip the Python suites.
set -euo pipefail
cd "$(dirname "$0")/.."
export MLFLOW_DISABLE_TELEMETRY=true
export DO_NOT_TRACK=1

stamp=node_modules/.judgeflow-lock.sha256
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  npm ci --no-audit --no-fund
  echo "$lock_hash" > "$stamp"
fi

npm run build
npx tsc -p tsconfig.json --noEmit
npx biome check .
node bin/judgeflow.js setup

# The MLflow plugin's tests need pytest in the mlflow venv (its PostgreSQL comes with the venv): a separate pin
# file, installed on top of the venv (which setup re-creates, stamp included, when its own pins change).
home=$(cd "${JUDGEFLOW_HOME:-.judgeflow}" && pwd)
mlflow_python="$home/venvs/mlflow/bin/python"
test_pins=python/requirements/mlflow-test.txt
test_stamp="$home/venvs/mlflow/.judgeflow-test-requirements.sha256"
test_hash=$(sha256sum "$test_pins" | cut -d' ' -f1)
if [ ! -f "$test_stamp" ] || [ "$(cat "$test_stamp")" != "$test_hash" ]; then
  "$mlflow_python" -m pip install --disable-pip-version-check -q -r "$test_pins"
  echo "$test_hash" > "$test_stamp"
fi
if [ "$#" -eq 0 ]; then
  "${JUDGEFLOW_HOME:-.judgeflow}/venvs/ray/bin/python" -m pytest -q -p no:cacheprovider python/tests
  (cd python/judgeflow_mlflow && "$mlflow_python" -m pytest -q -p no:cacheprovider tests)
  # judgeflow bench's lm-eval runner: merged shards == lm-eval's own unsharded results (pytest is in lmeval.txt)
  "$home/venvs/lmeval/bin/python" -m pytest -q -p no:cacheprovider python/judgeflow_lmeval/tests
  # k8s/ against a real kube-apiserver + etcd with KubeRay's CRDs and operator (binaries cached by
  # version outside the repo; a cold cache builds them from the Go module proxy in a few minutes).
  if [ "${JUDGEFLOW_SKIP_K8S_VALIDATE:-}" = 1 ]; then
    echo "scripts/test.sh: SKIPPING npm run k8s:validate (JUDGEFLOW_SKIP_K8S_VALIDATE=1)" >&2
  else
    npm run k8s:validate
  fi
fi

# The reference implementations the task metrics are checked against (sacrebleu, rouge-score, ...):
# built once per set of pins, before the tests, so no test installs anything while timed.
if compgen -G "python/requirements/parity/*.txt" >/dev/null; then
  bash scripts/parity-venv.sh >/dev/null
fi

# promtool for the alert-rule tests (test/unit/alert-rules.test.ts): built once from the Prometheus Go
# module at the version in k8s/versions.env, cached by version. Without it those tests skip, unless
# JUDGEFLOW_REQUIRE_PROMTOOL=1 (CI), where a failed build fails the run.
if ! bash scripts/promtool.sh >/dev/null; then
  [ "${JUDGEFLOW_REQUIRE_PROMTOOL:-}" != 1 ] || exit 1
  echo "scripts/test.sh: promtool could not be built; the alert-rule checks will be skipped" >&2
fi

npx vitest run "$@"
