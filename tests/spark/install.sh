#!/usr/bin/env bash
# Installs what the Spark tests need on a fresh Debian machine (run as root):
#   - a Java runtime (Debian's default-jre-headless, else openjdk-17-jre-headless): Spark runs on the JVM
#   - the bouncewise[spark] extra (PySpark, pyarrow, pandas) into the project's .venv
# Idempotent and quick when everything is already there. Nothing is downloaded outside apt and pip.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=".venv/bin/python"

if ! command -v java >/dev/null 2>&1 && ! { [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; }; then
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install.sh: no Java runtime, and cannot install one here (not root, or no apt-get); the Spark tests will skip" >&2
    exit 1
  fi
  echo "install.sh: no Java runtime found; installing Debian's default-jre-headless (Spark runs on the JVM)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  if ! apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null; then
    echo "install.sh: default-jre-headless failed; trying openjdk-17-jre-headless"
    apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
  fi
fi

if [ -x "$PY" ] && ! "$PY" -c 'import pyspark, pyarrow, pandas' >/dev/null 2>&1; then
  echo "install.sh: installing the bouncewise[spark] extra (pyspark, pyarrow, pandas) into .venv"
  "$PY" -m pip install -q -e '.[spark]'
fi

echo "spark prerequisites ready: $(java -version 2>&1 | head -1); pyspark $("$PY" -c 'import pyspark; print(pyspark.__version__)' 2>/dev/null || echo '?')"
