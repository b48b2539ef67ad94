"""The top-level command: help, version, usage errors, fast start."""

import subprocess
import sys

from click.testing import CliRunner

import bouncewise
from bouncewise.cli import COMMANDS, main


def test_help_lists_every_command_with_examples():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output
    assert "bouncewise explain 5.1.1" in result.output
    assert "Exit status" in result.output


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert bouncewise.__version__ in result.output


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(main, ["frobnicate"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_python_dash_m_runs():
    proc = subprocess.run([sys.executable, "-m", "bouncewise", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "Usage:" in proc.stdout


def test_import_is_lazy():
    code = "import sys, bouncewise; print(sorted(m for m in sys.modules if m.startswith('bouncewise')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['bouncewise']"
