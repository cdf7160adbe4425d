#!/usr/bin/env bash
# Where unlabeled speech pays (configs/unlabeled/README.md): every config in order (run_configs.sh:
# resumable), then one gain report per target over all its runs.
# Usage: benchmarks/run_unlabeled.sh [CONFIG...]   (default: configs/unlabeled/*.yaml)
# Env: AVSPNET_ASED, AVSPNET_CV_ZH (data), RUNS (default runs/unlabeled), RESULTS (default
#      results/unlabeled), AVS (the avspnet command, default: python -m avspnet).
set -euo pipefail
cd "$(dirname "$0")/.."
export RUNS=${RUNS:-runs/unlabeled}
RESULTS=${RESULTS:-results/unlabeled}
AVS=${AVS:-"${PYTHON:-.venv/bin/python} -m avspnet"}
if [ $# -gt 0 ]; then configs=("$@"); else configs=(configs/unlabeled/*.yaml); fi
list=$(mktemp)
benchmarks/run_configs.sh "${configs[@]}" > "$list"
mapfile -t runs < "$list"
[ ${#runs[@]} -gt 0 ] || { echo "$0: no finished run folders under $RUNS" >&2; exit 1; }
for target in $(printf '%s\n' "${runs[@]}" | xargs -n1 basename | sort -u); do
  mine=()
  for run in "${runs[@]}"; do [ "$(basename "$run")" = "$target" ] && mine+=("$run"); done
  $AVS gain-report "${mine[@]}" -o "$RESULTS/$target" >/dev/null
  echo "$target: $RESULTS/$target/gain.md"
done
