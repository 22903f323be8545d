#!/usr/bin/env bash
# Link-check benchmark: `paperbot audit` side by side with lychee and the floor client, on the
# shared harness's fake web of the real list (1x and 10x). Not a test: it takes minutes.
#
#   bench/links.sh [HARNESS_DIR]          # default ../shared/bench/links next to the repository
#   TOOLS= SIZES=1x REPS=1 bench/links.sh # paperbot only, one quick run
#
# Everything else the harness reads passes through (TOOLS, SIZES, REPS, BENCH_WORK, GEN_SEED ...);
# its README explains them. PAPERBOT_PYTHON picks the interpreter (default: the repo's .venv).
# Results: the table printed at the end, raw runs under $BENCH_WORK/out/runs/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HARNESS=${1:-${LINKS_HARNESS:-$ROOT/../shared/bench/links}}
PY=${PAPERBOT_PYTHON:-$ROOT/.venv/bin/python}
[ -x "$HARNESS/run.sh" ] || { echo "no harness at $HARNESS (pass its folder)" >&2; exit 2; }
export TOOLS=${TOOLS-lychee,floor} SIZES=${SIZES:-1x,10x} REPS=${REPS:-3} SKIP_LINT=${SKIP_LINT:-1}
export CANDIDATE_NAME=${CANDIDATE_NAME:-paperbot} CANDIDATE_FORMAT=jsonl
export CANDIDATE="PYTHONPATH='$ROOT' '$PY' -m bot audit {file} --format jsonl --allow-private"
exec "$HARNESS/run.sh"
