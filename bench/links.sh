#!/usr/bin/env bash
# Link-check benchmark: `paperbot audit` side by side with lychee and the floor client, on the
# shared harness's fake web of the real list (1x and 10x). Not a test: it takes minutes.
#
#   bench/links.sh [HARNESS_DIR]          # default ../shared/bench/links next to the repository
#   TOOLS= SIZES=1x REPS=1 bench/links.sh # paperbot only, one quick run
#
# TOOLS defaults to lychee and floor8 (the floor for a checker keeping 8 requests per host, as
# paperbot does). Every paperbot run gets a fresh database (PAPERBOT_DB in a temporary folder,
# removed after the run), so that no answer or gate carries over from one run to the next.
#
# Everything else the harness reads passes through (TOOLS, SIZES, REPS, BENCH_WORK, GEN_SEED ...);
# its README explains them. PAPERBOT_PYTHON picks the interpreter (default: the repo's .venv).
# Results: the table printed at the end, raw runs under $BENCH_WORK/out/runs/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HARNESS=${1:-${LINKS_HARNESS:-$ROOT/../shared/bench/links}}
PY=${PAPERBOT_PYTHON:-$ROOT/.venv/bin/python}
[ -x "$HARNESS/run.sh" ] || { echo "no harness at $HARNESS (pass its folder)" >&2; exit 2; }
export TOOLS=${TOOLS-lychee,floor8} SIZES=${SIZES:-1x,10x} REPS=${REPS:-3} SKIP_LINT=${SKIP_LINT:-1}
export CANDIDATE_NAME=${CANDIDATE_NAME:-paperbot} CANDIDATE_FORMAT=jsonl
AUDIT="PYTHONPATH='$ROOT' PAPERBOT_DB=\"\$db/paperbot.sqlite3\" DATABASE_URL= '$PY' -m bot audit"
export CANDIDATE="db=\$(mktemp -d) && $AUDIT {file} --format jsonl --allow-private; rc=\$?; rm -rf \"\$db\"; exit \$rc"
exec "$HARNESS/run.sh"
