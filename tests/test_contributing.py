"""A contributor's path: `sanctions new` scaffolds without ever overwriting; `validate` reports
every problem in one round, with advice that names the fix; and it says so when the working
directory is another checkout than the data it checks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sanctions.files import write_atomic

from conftest import REPO, field_paths

BROKEN = """\
schema_version: "1.0"
id: xx-2022-test-measure
title: Test measure
authority: UK
targets:
  - code: Belarus
type: import_ban
sectors: [seafod]
summary: A test
instruments:
  - instrument: fx-statue
events:
  - kind: announced
    date: 2022-03-01
    citation:
      source: nope-source
      quote: "x"
  - kind: in_force
    date: 2022-02-30
    citation:
      source: gov-statement
      quote: "y"
bogus: 1
"""


def lines(result) -> list[str]:
    return result.stdout.splitlines()


def test_every_problem_in_one_round(cli, good_copy):
    (good_copy / "measures" / "xx-2022-test-measure.yaml").write_text(BROKEN)
    result = cli("validate", "--data", good_copy)
    assert result.exit_code == 1
    where = f"{good_copy}/measures/xx-2022-test-measure.yaml"
    got = [line.removeprefix(where) for line in lines(result)]
    assert got == [
        ":4:1: authority: 'UK' is not in vocabularies/authorities.yaml: write the code 'GB'",
        ":6:5: targets[0].code: \"Belarus\" must be an upper-case code such as 'US', 'RU' or 'EU': "
        "write the code 'BY'",
        ":8:11: sectors[0]: 'seafod' is not in vocabularies/sectors.yaml (did you mean 'seafood'?)",
        ":11:5: instruments[0].instrument: instrument 'fx-statue' is not in instruments/ "
        "(did you mean 'fx-statute'?)",
        ":16:7: events[0].citation.source: source 'nope-source' is not in sources/ "
        "(create it with `sanctions new source nope-source`)",
        ":19:5: events[1].date: \"2022-02-30\": no such day",
        ":23:1: bogus: unknown field 'bogus'; allowed: schema_version, id, title, summary, authority, "
        "targets, type, sectors, goods, thresholds, instruments, events, undated_events, links, notes, "
        "withdrawn",
    ]


def test_salvaged_locations_skip_dropped_items(cli, good_copy):
    """A rule's problem after a dropped list item points at the item as written."""
    text = (BROKEN.replace("date: 2022-03-01", "date: 2022-13-01").replace("2022-02-30", "2022-03-05")
            .replace("source: gov-statement", "source: nope-2"))
    (good_copy / "measures" / "xx-2022-test-measure.yaml").write_text(text)
    result = cli("validate", "--data", good_copy)
    assert any(":21:7: events[1].citation.source: source 'nope-2'" in line for line in lines(result))


def test_a_tab_in_the_indentation_is_named(cli, good_copy):
    (good_copy / "sources" / "tabbed.yaml").write_text('schema_version: "1.0"\nid: tabbed\nkind:\n\t- a\n')
    result = cli("validate", "--data", good_copy)
    assert f"{good_copy}/sources/tabbed.yaml:4:1: -: invalid YAML: a tab in the indentation: YAML indents " \
           "with spaces only (replace the tab with spaces)" in lines(result)


def test_a_duplicated_url_tells_the_newcomer_to_go(cli, good_copy):
    original = (good_copy / "sources" / "gov-statement.yaml").read_text()
    (good_copy / "sources" / "aaa-copy.yaml").write_text(original.replace("id: gov-statement", "id: aaa-copy"))
    result = cli("validate", "--data", good_copy)
    duplicate = [line for line in lines(result) if "same URL" in line]
    assert len(duplicate) == 1 and duplicate[0].startswith(f"{good_copy}/sources/aaa-copy.yaml:")
    assert "source 'gov-statement' (cited " in duplicate[0]
    assert "cite 'gov-statement' instead and remove this file" in duplicate[0]


# --- new -------------------------------------------------------------------------------------------


def test_new_measure_writes_a_record_to_fill_in(cli, good_copy):
    result = cli("new", "measure", "gb-2022-caviar-ban", "--data", good_copy, "--title", "Caviar ban",
                 "--authority", "UK", "--target", "Russian Federation", "--type", "Import_Ban",
                 "--sector", "seafood")
    path = good_copy / "measures" / "gb-2022-caviar-ban.yaml"
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}\n"
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../../schemas/measure.schema.json\n"
                           'schema_version: "1.0"\nid: gb-2022-caviar-ban\ntitle: Caviar ban\n')
    assert "authority: GB\n" in text and "  - code: RU\n" in text and "type: import_ban\n" in text
    assert "sectors: [seafood]\n" in text
    check = cli("validate", "--data", good_copy, path)
    assert check.exit_code == 1
    problems = lines(check)
    assert problems and all(str(path) in p for p in problems)
    assert any("events[0].date" in p for p in problems)
    assert any("TODO" in p for p in problems)


@pytest.mark.parametrize("kind", ["measure", "source", "instrument"])
def test_new_records_are_refused_until_filled(cli, good_copy, kind):
    result = cli("new", kind, f"xx-new-{kind}", "--data", good_copy)
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path.parent.name == f"{kind}s" and path.name == f"xx-new-{kind}.yaml"
    assert cli("validate", "--data", good_copy, path).exit_code == 1


def test_new_never_overwrites(cli, good_copy):
    target = good_copy / "sources" / "gov-statement.yaml"
    before = target.read_bytes()
    for kind in ("source", "measure"):  # the same ID in another folder is refused too
        result = cli("new", kind, "gov-statement", "--data", good_copy)
        assert result.exit_code == 2
        assert result.stderr.startswith(f"error: {target} exists already")
    assert target.read_bytes() == before
    assert not (good_copy / "measures" / "gov-statement.yaml").exists()
    assert not [p for p in (good_copy / "sources").iterdir() if p.name.startswith(".")]


def test_new_checks_what_it_is_given(cli, good_copy):
    bad_id = cli("new", "measure", "Not_An_ID", "--data", good_copy)
    assert bad_id.exit_code == 2 and "'Not_An_ID' is not a valid ID" in bad_id.stderr
    bad_sector = cli("new", "measure", "xx-1", "--data", good_copy, "--sector", "oil")
    assert bad_sector.exit_code == 2
    assert bad_sector.stderr.startswith("error: --sector: unknown value 'oil'")
    no_id = cli("new", "measure", "--data", good_copy)
    assert no_id.exit_code == 2 and "give the new measure's ID" in no_id.stderr
    assert sorted(p.name for p in (good_copy / "measures").iterdir()) == \
        sorted(p.name for p in (REPO / "tests/fixtures/good/measures").iterdir())


# --- the right data --------------------------------------------------------------------------------


def test_validate_says_when_the_checkout_is_not_the_data_checked(cli, good_copy, monkeypatch, tmp_path):
    checkout = tmp_path / "other-checkout"
    (checkout / "data").mkdir(parents=True)
    for folder in ("measures", "vocabularies"):
        (checkout / "data" / folder).mkdir()
    monkeypatch.chdir(checkout)
    result = cli("validate", "--data", good_copy)  # named: no note
    assert "note:" not in result.stderr
    from typer.testing import CliRunner

    from sanctions.cli import app

    result = CliRunner().invoke(app, ["validate"])
    assert result.stderr.splitlines()[0] == \
        f"note: this is {REPO / 'data'}/, the package's dataset, not data/ where you are (hint: --data data)"
    refused = CliRunner().invoke(app, ["new", "measure", "xx-2022-a"])
    assert refused.exit_code == 2 and "not data/ where you are" in refused.stderr
    assert not (REPO / "data" / "measures" / "xx-2022-a.yaml").exists()


def test_atomic_writes_keep_a_usual_mode(tmp_path):
    path = tmp_path / "out.txt"
    old = os.umask(0o022)
    try:
        write_atomic(path, "x")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        path.chmod(0o600)
        write_atomic(path, "y")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text() == "y"
    finally:
        os.umask(old)


def test_timeline_hs_narrows_the_measures(cli):
    every = cli("timeline", "--data", REPO / "tests/fixtures/good", "--format", "csv")
    seafood = cli("timeline", "--data", REPO / "tests/fixtures/good", "--format", "csv", "--hs", "0302")
    ids = {line.split(",")[2] for line in seafood.stdout.splitlines()[1:]}
    assert ids == {"us-2022-seafood-import-ban"}
    assert len(every.stdout.splitlines()) > len(seafood.stdout.splitlines())


def test_no_broken_field_crashes_the_rules(good_copy):
    """Every field and every value inside it, of every fixture record, broken in turn (a number, a
    placeholder, nothing, an empty list): each broken copy is reported, and the rules that run on
    salvaged records never crash."""
    import copy

    import yaml

    from sanctions.validate import validate

    broken = []
    for kind in ("measures", "sources", "instruments"):
        for path in sorted((good_copy / kind).glob("*.yaml")):
            record = yaml.safe_load(path.read_text())
            for where in {p for p in field_paths(record) if p}:
                for bad in (12345, "TODO", None, []):
                    variant = copy.deepcopy(record)
                    node = variant
                    for part in where[:-1]:
                        node = node[part]
                    node[where[-1]] = bad
                    name = f"{record['id']}-broken-{len(broken)}"
                    if where != ("id",):
                        variant["id"] = name
                    broken.append(f"{kind}/{name}.yaml")
                    (good_copy / kind / f"{name}.yaml").write_text(yaml.safe_dump(variant, sort_keys=False))
    assert len(broken) > 1000
    problems = validate(good_copy).problems  # raises if a rule crashes
    reported = {p.path.split(f"{good_copy.name}/", 1)[-1] for p in problems}
    unreported = [b for b in broken if b not in reported]
    # A few changes are still valid data (an optional text replaced by another text, say).
    assert len(unreported) < len(broken) // 5


def test_new_asks_in_a_terminal_for_what_the_flags_leave_out(cli, good_copy, monkeypatch):
    from typer.testing import CliRunner

    from sanctions import cli as cli_module

    monkeypatch.setattr(cli_module, "_interactive", lambda: True)
    answers = "\n".join(["gb-2022-caviar-ban", "Caviar ban", "UK", "Russian Federation, Belarus", "import_ban", ""]) + "\n"
    result = CliRunner().invoke(cli_module.app, ["new", "measure", "--data", str(good_copy)], input=answers)
    assert result.exit_code == 0, result.output
    text = (good_copy / "measures" / "gb-2022-caviar-ban.yaml").read_text()
    assert "title: Caviar ban\n" in text and "authority: GB\n" in text
    assert "  - code: RU\n  - code: BY\n" in text and "type: import_ban\n" in text
    assert "sectors: [TODO]\n" in text  # left empty: a placeholder validate refuses
    bad = CliRunner().invoke(cli_module.app, ["new", "measure", "xx-2", "--data", str(good_copy), "--target", "Narnia"],
                             input="\n" * 5)
    assert bad.exit_code == 2 and "error: --target: unknown value 'Narnia'" in bad.output
