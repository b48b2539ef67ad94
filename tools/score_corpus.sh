#!/usr/bin/env bash
# Score `bouncewise parse` against the shared corpus (../shared/corpus):
#   bash tools/score_corpus.sh [--by engine|reason] [--misses N]
# Output records go to /tmp/score.ndjson; extra arguments are passed to score.py.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-../shared/corpus}
if [ ! -f "$CORPUS/score.py" ]; then
  echo "corpus not found at $CORPUS (set CORPUS=...)" >&2
  exit 2
fi
OUT=${OUT:-/tmp/score.ndjson}
.venv/bin/python -m bouncewise parse --format ndjson "$CORPUS/maildir/bsd" > "$OUT" || true
python3 "$CORPUS/score.py" "$OUT" "$@"
