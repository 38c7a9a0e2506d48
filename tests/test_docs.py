"""The README stays true: its set-up commands are what CI runs, and its SQL reference lists every table."""

from __future__ import annotations

import re

from sanctions.flat_tables import TABLES

from conftest import REPO

README = (REPO / "README.md").read_text()


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"```sh\n(python3 -m venv[^\n]*)\n```", README)
    assert len(commands) == 2
    install_and_run, tests = commands
    assert "sanctions validate" in install_and_run
    assert tests in (REPO / ".ci" / "run").read_text()


def test_the_sql_reference_lists_every_table_with_its_doc_and_key():
    for table in TABLES:
        row = f"| `{table.name}` | {table.doc} | {', '.join(table.primary_key)} |"
        assert row in README, f"README lacks or misdescribes table {table.name}"
