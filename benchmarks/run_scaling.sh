#!/usr/bin/env bash
# The scaling study (configs/scaling/README.md): every rung config in order (run_configs.sh: resumable),
# then the report.
# Usage: benchmarks/run_scaling.sh [CONFIG...]   (default: configs/scaling/bg*.yaml without *_paper
#        unless PAPER=1). Env: AVSPNET_CV_ZH, AVSPNET_ASED (data), RUNS (default runs/scaling),
#        RESULTS (default results/scaling), AVS (the avspnet command, default: python -m avspnet).
set -euo pipefail
cd "$(dirname "$0")/.."
export RUNS=${RUNS:-runs/scaling}
RESULTS=${RESULTS:-results/scaling}
AVS=${AVS:-"${PYTHON:-.venv/bin/python} -m avspnet"}
if [ $# -gt 0 ]; then configs=("$@"); else
  configs=()
  for c in configs/scaling/bg*.yaml; do
    [[ "$c" == *_paper.yaml && "${PAPER:-0}" != 1 ]] && continue
    configs+=("$c")
  done
fi
list=$(mktemp)
benchmarks/run_configs.sh "${configs[@]}" > "$list"
mapfile -t runs < "$list"
[ ${#runs[@]} -gt 0 ] || { echo "$0: no finished run folders under $RUNS" >&2; exit 1; }
$AVS scaling-report "${runs[@]}" -o "$RESULTS"
echo "report in $RESULTS/"
