"""The CLI as a whole: help everywhere, `python -m`, a light start-up, --debug."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sanctions.cli import app

from conftest import GOOD, REPO

COMMANDS = sorted(c.name or c.callback.__name__ for c in app.registered_commands)


def test_the_contract_commands_exist():
    assert set(COMMANDS) >= {"validate", "schema", "query", "show", "sql", "timeline", "stats"}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(cli, command):
    result = cli(command, "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: sanctions {command}")
    summary = result.stdout.split("\n\n")[1].strip()
    assert len(summary) > 20, f"{command} has no help text"


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "schema"])
def test_every_data_command_takes_data_and_debug(cli, command):
    result = cli(command, "--help")
    assert "--data DIR" in result.stdout and "--debug" in result.stdout


def test_python_dash_m_is_the_same_program():
    result = subprocess.run([sys.executable, "-m", "sanctions", "validate", "--data", str(GOOD)],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == "valid: tests/fixtures/good/: 8 measures, 5 instruments, 5 sources\n"


def test_bare_command_prints_help_and_exits_2(cli):
    result = cli()
    assert result.exit_code == 2
    assert "Commands:" in result.stdout


def test_debug_shows_the_traceback(cli):
    plain = cli("show", "--data", str(GOOD), "nope")
    assert "Traceback" not in plain.output
    debug = cli("show", "--data", str(GOOD), "nope", "--debug")
    assert debug.exit_code == 2
    assert "Traceback" in debug.stderr
    assert debug.stderr.rstrip().splitlines()[-1] == plain.stderr.rstrip()  # the same one line, last


def test_warm_query_imports_neither_pandas_nor_the_validators(tmp_path):
    # (typer itself imports pydantic to coerce parameters; what we control is our own models.)
    code = ("import sys\nfrom sanctions.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('pandas', 'pandera', 'jsonschema', 'yaml', 'sanctions.models',"
            " 'sanctions.dataset') if m in sys.modules]\n"
            "print('HEAVY', heavy, file=sys.stderr)\n")
    env = {**os.environ, "SANCTIONS_CACHE_DIR": str(tmp_path)}
    args = [sys.executable, "-c", code, "query", "--data", str(GOOD), "--sector", "seafood", "--format", "json"]
    subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=True)  # cold
    warm = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=True)
    assert "us-2022-seafood-import-ban" in warm.stdout
    assert "HEAVY []" in warm.stderr
