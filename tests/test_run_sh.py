"""run.sh says what it will install on the system, and why, before installing it; the corpus
location can be given with BOUNCEWISE_CORPUS."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN_SH = ROOT / "run.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


def test_prereqs_says_what_and_why_and_installs_nothing():
    p = subprocess.run(["bash", str(RUN_SH), "prereqs"], capture_output=True, text=True, timeout=60, check=False)
    assert p.returncode == 0, p.stderr
    assert "chromium" in p.stdout and "system packages" in p.stdout
    if not Path("/usr/bin/chromium").exists():
        assert "apt-get" in p.stdout and "browser end-to-end test" in p.stdout


def test_test_command_announces_before_installing():
    text = RUN_SH.read_text()
    case = text[text.index("  test)"):]
    case = case[: case.index(";;")]
    assert "e2e_plan" in case and case.index("e2e_plan") < case.index("bash tests/e2e/install.sh")
    plan = text[text.index("e2e_plan() {"):]
    plan = plan[: plan.index("\n}\n")]
    assert "apt-get" in plan and "end-to-end" in plan
    assert "apt-get install" not in plan and "apt-get update" not in plan  # it only says


def test_test_command_passes_the_corpus_location_on():
    case = RUN_SH.read_text()
    case = case[case.index("  test)"):]
    assert "BOUNCEWISE_CORPUS=${BOUNCEWISE_CORPUS:-" in case
