#!/usr/bin/env bash
# One entry point for a fresh machine: sets up .venv (once) and then
#   bash run.sh demo   - explains a code, diagnoses a reply and parses the bundled sample bounces
#   bash run.sh test   - runs the whole test suite (what CI runs)
#   bash run.sh bench  - runs the benchmarks in bench/
#   bash run.sh prereqs - says which system packages `test` would install, and what for (installs nothing)
# The corpus tests read the shared corpus at $BOUNCEWISE_CORPUS (default: ../shared/corpus beside
# this repository) and skip, saying where they looked, when it is absent.
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

# What the browser test needs from the system, said before anything is installed.
e2e_plan() {
  if [ -x /usr/bin/chromium ]; then
    echo "run.sh: system packages: none to install (chromium is already at /usr/bin/chromium)"
  else
    echo "run.sh: system packages: installing chromium and fonts-dejavu-core with apt-get (needs root)," \
      "for the browser end-to-end test in tests/e2e (it drives /usr/bin/chromium; without it that test skips)"
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
    export BOUNCEWISE_CORPUS=${BOUNCEWISE_CORPUS:-$(cd .. && pwd)/shared/corpus}
    echo "run.sh: corpus tests use BOUNCEWISE_CORPUS=$BOUNCEWISE_CORPUS"
    if [ -f tests/e2e/install.sh ]; then
      e2e_plan
      bash tests/e2e/install.sh || echo "e2e prerequisites not installed; browser tests will skip"
    fi
    if [ -f tests/store/install.sh ]; then bash tests/store/install.sh || echo "PostgreSQL not available; the store's PostgreSQL tests will skip"; fi
    if [ -f tests/spark/install.sh ]; then bash tests/spark/install.sh || echo "spark prerequisites not installed; Spark tests will skip"; fi
    "$VENV/bin/ruff" check src tests bench tools
    "$VENV/bin/python" -m pytest -q "$@"
    ;;
  bench)
    setup
    for b in bench/bench_*.py; do echo "== $b"; "$VENV/bin/python" "$b" "$@"; done
    ;;
  prereqs)
    e2e_plan
    echo "run.sh: python packages: the project with its web and test extras, into .venv (pip);" \
      "playwright into .venv for the browser test"
    ;;
  *)
    echo "usage: bash run.sh demo|test|bench|prereqs" >&2; exit 2;;
esac
