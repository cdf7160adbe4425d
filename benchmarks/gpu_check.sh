#!/usr/bin/env bash
# A ready GPU check, from the repository root of a checkout on a machine with a CUDA GPU:
#   1. a venv with the project (.venv, or $AVSPNET_VENV; created and installed when missing),
#   2. the test suite with CUDA visible (device "auto" picks it; integration tests need ../shared/data),
#   3. pre-training throughput (paper-size network, fp32 vs bf16, batch 32 and 256) and embedding throughput.
# Budget: under 8 minutes once the venv exists (tests capped at 5 min, throughput at 2 min).
#
#   benchmarks/gpu_check.sh          # needs CUDA; stops with one line if torch sees no GPU
#   benchmarks/gpu_check.sh --cpu    # smoke test without a GPU: device cpu, tiny network, a few tests
# CI never runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=cuda
[ "${1:-}" = "--cpu" ] && mode=cpu
venv=${AVSPNET_VENV:-.venv}
# This checkout's code, whatever the venv has installed.
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
py=$venv/bin/python
start=$(date +%s)
step() { echo "== $* ($(( $(date +%s) - start )) s)"; }

step "venv $venv"
if [ ! -x "$py" ] || ! "$py" -c "import avspnet, pytest" 2>/dev/null; then
  python3 -m venv "$venv"
  "$py" -m pip install -q --upgrade pip
  "$py" -m pip install -q -e ".[test]"
fi
"$py" - "$mode" <<'PY'
import sys, torch
mode = sys.argv[1]
if mode == "cuda" and not torch.cuda.is_available():
    sys.exit(f"gpu_check: torch {torch.__version__} sees no CUDA device (CPU-only wheel, or no driver); "
             "run with --cpu for a smoke test")
where = torch.cuda.get_device_name(0) if mode == "cuda" else "CPU"
print(f"torch {torch.__version__}, device {where}, CUDA {torch.version.cuda}")
PY
grep -m1 -o -w -E 'avx2|avx512f|avx512_bf16|amx_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ' | sed 's/^/CPU flags of note: /'; echo

step "tests ($mode)"
tests=0
if [ "$mode" = cuda ]; then
  timeout 300 "$py" -m pytest -q -x -m "not integration" -p no:cacheprovider || tests=$?
else
  timeout 300 "$py" -m pytest -q -x -p no:cacheprovider tests/features/test_store.py || tests=$?
fi
[ "$tests" = 0 ] || echo "gpu_check: tests failed or timed out (exit $tests); throughput still measured"

step "throughput ($mode)"
if [ "$mode" = cuda ]; then
  timeout 120 "$py" benchmarks/gpu_throughput.py --device cuda
else
  timeout 300 "$py" benchmarks/gpu_throughput.py --device cpu --smoke
fi
step "done"
exit "$tests"
