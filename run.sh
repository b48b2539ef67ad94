#!/usr/bin/env bash
# One entry point for a fresh machine: sets up .venv (once) and then
#   bash run.sh demo   - explains a code, diagnoses a reply and parses the bundled sample bounces
#   bash run.sh test   - runs the whole test suite (what CI runs)
#   bash run.sh bench  - runs the benchmarks in bench/
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
VENV=.venv

setup() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
  fi
  # Re-install when pyproject.toml changed since the last install.
  if [ ! -f "$VENV/.installed" ] || [ pyproject.toml -nt "$VENV/.installed" ]; then
    "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
    "$VENV/bin/python" -m pip install -q -e '.[web,test,store]'
    touch "$VENV/.installed"
  fi
}

cmd=${1:-test}
shift || true
case "$cmd" in
  demo)
    setup
    B="$VENV/bin/bouncewise"
    echo "\$ bouncewise explain 5.1.1"; "$B" explain 5.1.1
    echo; echo "\$ bouncewise diagnose '550 5.1.1 <jo@example.org>: Recipient address rejected: User unknown'"
    "$B" diagnose '550 5.1.1 <jo@example.org>: Recipient address rejected: User unknown'
    echo; echo "\$ bouncewise parse --format table examples/bounces"
    "$B" parse --format table examples/bounces
    ;;
  test)
    setup
    if [ -f tests/e2e/install.sh ]; then bash tests/e2e/install.sh || echo "e2e prerequisites not installed; browser tests will skip"; fi
    if [ -f tests/store/install.sh ]; then bash tests/store/install.sh || echo "PostgreSQL not available; the store's PostgreSQL tests will skip"; fi
    "$VENV/bin/ruff" check src tests bench tools
    "$VENV/bin/python" -m pytest -q "$@"
    ;;
  bench)
    setup
    for b in bench/bench_*.py; do echo "== $b"; "$VENV/bin/python" "$b" "$@"; done
    ;;
  *)
    echo "usage: bash run.sh demo|test|bench" >&2; exit 2;;
esac
