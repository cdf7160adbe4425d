#!/usr/bin/env bash
# The scaling study (configs/scaling/README.md): every rung config in order, then the report.
# Resumable: a rung whose run folders are complete is skipped, and an interrupted rung restarts with
# every cache warm (features, proxy labels, pre-trained front-ends and their last epoch, embeddings).
# Usage: benchmarks/run_scaling.sh [CONFIG...]   (default: configs/scaling/bg*.yaml without *_paper
#        unless PAPER=1). Env: AVSPNET_CV_ZH, AVSPNET_ASED (data), RUNS (default runs/scaling),
#        RESULTS (default results/scaling), AVS (the avspnet command, default: python -m avspnet).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs/scaling}
RESULTS=${RESULTS:-results/scaling}
AVS=${AVS:-"${PYTHON:-.venv/bin/python} -m avspnet"}
if [ $# -gt 0 ]; then configs=("$@"); else
  configs=()
  for c in configs/scaling/bg*.yaml; do
    [[ "$c" == *_paper.yaml && "${PAPER:-0}" != 1 ]] && continue
    configs+=("$c")
  done
fi
start=$(date +%s)
i=0
for config in "${configs[@]}"; do
  i=$((i + 1))
  name=$(sed -n 's/^name: *//p' "$config" | head -1)
  out="$RUNS/$name"
  elapsed=$(( $(date +%s) - start ))
  if [ -f "$out/.done" ] && [ "$out/.done" -nt "$config" ]; then
    echo "[$i/${#configs[@]}] $config: done before, skipped ($((elapsed / 60)) min so far)"
    continue
  fi
  echo "[$i/${#configs[@]}] $config -> $out ($((elapsed / 60)) min so far)"
  $AVS experiment "$config" -o "$out" --quiet
  touch "$out/.done"
done
runs=()
for config in "${configs[@]}"; do
  name=$(sed -n 's/^name: *//p' "$config" | head -1)
  for run in "$RUNS/$name"/*/; do [ -f "$run/run.json" ] && runs+=("${run%/}"); done
done
$AVS scaling-report "${runs[@]}" -o "$RESULTS"
echo "study done in $(( ($(date +%s) - start) / 60 )) min; report in $RESULTS/"
