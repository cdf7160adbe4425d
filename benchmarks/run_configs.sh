#!/usr/bin/env bash
# Run experiment configs in order, resumably: a config whose run folder is complete (.done newer than the
# config) is skipped, and an interrupted one restarts with every cache warm (features, proxy labels,
# pre-trained front-ends and adapters, embeddings). Prints only the run folders (RUNS/<name>/<target>) on
# stdout, one per line, for done and skipped configs alike; progress goes to stderr. Used by
# run_scaling.sh and run_unlabeled.sh.
# Usage: benchmarks/run_configs.sh CONFIG...   Env: RUNS (default runs), AVS (the avspnet command).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
AVS=${AVS:-"${PYTHON:-.venv/bin/python} -m avspnet"}
start=$(date +%s)
i=0
for config in "$@"; do
  i=$((i + 1))
  name=$(sed -n 's/^name: *//p' "$config" | head -1)
  out="$RUNS/$name"
  elapsed=$(( $(date +%s) - start ))
  if [ -f "$out/.done" ] && [ "$out/.done" -nt "$config" ]; then
    echo "[$i/$#] $config: done before, skipped ($((elapsed / 60)) min so far)" >&2
    continue
  fi
  echo "[$i/$#] $config -> $out ($((elapsed / 60)) min so far)" >&2
  $AVS experiment "$config" -o "$out" --quiet >&2
  touch "$out/.done"
done
echo "configs done in $(( ($(date +%s) - start) / 60 )) min" >&2
for config in "$@"; do
  name=$(sed -n 's/^name: *//p' "$config" | head -1)
  for run in "$RUNS/$name"/*/; do [ -f "$run/run.json" ] && echo "${run%/}"; done
done
