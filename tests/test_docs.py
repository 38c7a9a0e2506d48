"""The README stays true: its set-up commands are what CI runs, and its generated blocks (the table
reference, the coverage grid) are what the code produces. `UPDATE_README=1 pytest tests/test_docs.py`
rewrites the blocks."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from sanctions.flat_tables import TABLES

from conftest import REPO

README_PATH = REPO / "README.md"


def test_ci_runs_the_readme_test_command():
    readme = README_PATH.read_text()
    commands = re.findall(r"```sh\n(python3 -m venv[^\n]*)\n```", readme)
    assert len(commands) == 2
    install_and_run, tests = commands
    assert "sanctions validate" in install_and_run
    assert tests in (REPO / ".ci" / "run").read_text()


def tables_block() -> str:
    rows = [f"| `{t.name}` | {t.doc} | {', '.join(t.primary_key)} |" for t in TABLES]
    return "\n".join(["| table | what it holds | key |", "|---|---|---|", *rows])


def coverage_block() -> str:
    result = subprocess.run([sys.executable, "-m", "sanctions", "coverage"], cwd=REPO, text=True,
                            capture_output=True, check=True, env={**os.environ, "COLUMNS": "100"})
    return "```\n" + result.stdout + "```"


def vocabularies_block() -> str:
    from sanctions import vocab

    def codes(v) -> str:
        return ", ".join(f"`{c}`" for c in v)

    types = ", ".join(f"`{code}` ({category})" for code, (category, _) in vocab.MEASURE_TYPE_INFO.items())
    return "\n".join([
        f"- Event kinds, in lifecycle order: {codes(vocab.EVENT_KINDS)}.",
        f"- Statuses (derived): {codes(vocab.STATUSES)}.",
        f"- Measure types (and their broad category): {types}.",
        f"- Instrument kinds: {codes(vocab.INSTRUMENT_KINDS)}.",
        f"- Source kinds: {codes(vocab.SOURCE_KINDS)} (primary texts: "
        f"{codes(sorted(vocab.PRIMARY_SOURCE_KINDS))}).",
        f"- Link relations: {codes(vocab.LINK_RELATIONS)}.",
        f"- Goods systems: {codes(vocab.GOODS_SYSTEMS)}.",
        f"- Date bases: {codes(vocab.DATE_BASES)}.",
        f"- Coverage statuses: {codes(vocab.COVERAGE_STATUSES)}.",
        f"- Placeholders, refused in every field of every file: {codes(vocab.PLACEHOLDER_WORDS)} (whole "
        f"words, any case but {codes(sorted(vocab.UPPER_CASE_ONLY))} in capitals only; `XXX` is any run of "
        "x's, but not the Roman numeral of 'Annex XXX'), and addresses whose host is, or is under, "
        f"{codes(vocab.RESERVED_HOSTS)}, or a private, loopback or documentation IP address.",
    ])


@pytest.mark.parametrize("path, name, make", [
    (README_PATH, "tables", tables_block), (README_PATH, "coverage", coverage_block),
    (REPO / "data" / "README.md", "vocabularies", vocabularies_block)])
def test_the_generated_blocks_are_current(path, name, make):
    readme = path.read_text()
    pattern = re.compile(f"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    assert pattern.search(readme), f"{path.name} lacks the {name} block"
    fresh = pattern.sub(lambda m: m.group(1) + make() + "\n" + m.group(2), readme)
    if os.environ.get("UPDATE_README"):
        path.write_text(fresh)
    assert fresh == readme, f"{path.name}'s {name} block is stale: run UPDATE_README=1 pytest tests/test_docs.py"
