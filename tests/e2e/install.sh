#!/usr/bin/env bash
# Installs what the browser end-to-end test needs on a fresh Debian machine (run as root):
#   - Debian's chromium (the test drives /usr/bin/chromium; Playwright never downloads a browser)
#   - the Playwright Python package, into the project's .venv
# Idempotent and quick when everything is already there. Never runs `playwright install`.
set -euo pipefail
cd "$(dirname "$0")/../.."
PIP=".venv/bin/pip"
PY=".venv/bin/python"

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" != "0" ]; then
    echo "install.sh: chromium is missing and this is not root; skipping (the e2e test will skip)" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install.sh: no apt-get here; install chromium by hand" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi

if [ -x "$PY" ] && ! "$PY" -c 'import playwright.sync_api' >/dev/null 2>&1; then
  "$PIP" install -q 'playwright>=1.44'
fi

echo "e2e prerequisites ready: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium ?')"
