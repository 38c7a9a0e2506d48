"""`sanctions diff`: the delta feed, on pairs of folders built from the good fixture and on the
revisions of a git repository made here. Outputs are checked exactly: users parse them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sanctions.diff import Side, compare

from conftest import GOOD

SEAFOOD = "measures/us-2022-seafood-import-ban.yaml"
IN_FORCE = "  - {kind: in_force, date: 2022-03-11, instrument: fx-order-1, citation: {source: gov-order-text}}"


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not once in {rel}"
    path.write_text(text.replace(old, new))


@pytest.fixture
def pair(tmp_path) -> tuple[Path, Path]:
    """Two copies of the good fixture: `old` to keep, `new` to change."""
    for name in ("old", "new"):
        shutil.copytree(GOOD, tmp_path / name)
    return tmp_path / "old", tmp_path / "new"


def as_json(cli, *args) -> dict:
    result = cli("diff", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_changed_event_date_is_one_field_with_its_path_and_both_values(cli, pair):
    old, new = pair
    edit(new, SEAFOOD, IN_FORCE, IN_FORCE.replace("2022-03-11", "2022-03-12"))
    out = as_json(cli, old, new)
    assert out["changed"] == [{
        "kind": "measure", "id": "us-2022-seafood-import-ban", "path": SEAFOOD,
        "fields": [{"field": "events[2].date", "old": "2022-03-11", "new": "2022-03-12"}]}]
    assert out["added"] == out["withdrawn"] == out["removed"] == []


def test_a_new_citation_is_an_added_source_and_a_changed_field(cli, pair):
    old, new = pair
    (new / "sources/new-report.yaml").write_text(
        (new / "sources/news-report.yaml").read_text().replace("id: news-report", "id: new-report"))
    edit(new, SEAFOOD, "{kind: announced, date: 2022-03-11, citation: {source: gov-statement}}",
         "{kind: announced, date: 2022-03-11, citation: {source: new-report}}")
    out = as_json(cli, old, new)
    assert out["added"] == [{"kind": "source", "id": "new-report", "path": "sources/new-report.yaml"}]
    assert out["changed"] == [{
        "kind": "measure", "id": "us-2022-seafood-import-ban", "path": SEAFOOD,
        "fields": [{"field": "events[0].citation.source", "old": "gov-statement", "new": "new-report"}]}]


def test_a_record_that_gains_withdrawn_is_withdrawn_not_changed(cli, pair):
    old, new = pair
    with open(new / SEAFOOD, "a") as handle:
        handle.write("withdrawn: {date: 2024-01-02, reason: Recorded twice}\n")
    out = as_json(cli, old, new)
    assert out["withdrawn"] == [{
        "kind": "measure", "id": "us-2022-seafood-import-ban", "path": SEAFOOD,
        "fields": [{"field": "withdrawn", "old": None,
                    "new": {"date": "2024-01-02", "reason": "Recorded twice"}}]}]
    assert out["changed"] == []
    # Already withdrawn on both sides: a later correction is a change.
    shutil.rmtree(old)
    shutil.copytree(new, old)
    edit(new, SEAFOOD, "reason: Recorded twice", "reason: Recorded twice (see eu-x)")
    out = as_json(cli, old, new)
    assert [c["fields"][0]["field"] for c in out["changed"]] == ["withdrawn.reason"]
    assert out["withdrawn"] == []


def test_a_deleted_file_is_removed_and_said_to_be_against_the_rules(cli, pair):
    old, new = pair
    (new / "sources/news-report.yaml").unlink()
    result = cli("diff", old, new)
    assert result.exit_code == 0
    assert result.stdout == (
        f"{old} → {new}: 0 added, 0 changed, 0 withdrawn, 1 removed\n"
        "removed source news-report: gone from sources/news-report.yaml "
        "(records are withdrawn, never deleted)\n")
    assert as_json(cli, old, new)["removed"] == [
        {"kind": "source", "id": "news-report", "path": "sources/news-report.yaml"}]


def test_identical_folders_have_no_differences(cli, pair):
    old, new = pair
    result = cli("diff", old, new)
    assert (result.exit_code, result.stdout) == (0, f"{old} → {new}: no differences\n")
    assert as_json(cli, old, new) == {"old": str(old), "new": str(new), "added": [], "changed": [],
                                      "withdrawn": [], "removed": []}


def test_a_change_of_formatting_only_is_no_change(cli, pair):
    old, new = pair
    (new / SEAFOOD).write_text("""\
# Rewritten: block style, other quoting, key order and comments; an empty list and a null added.
id: 'us-2022-seafood-import-ban'
schema_version: '1.0'
title: "Import ban on seafood"   # same text
authority: US
targets:
  - code: RU
type: import_ban
sectors:
  - seafood
goods:
  - {code: '03', system: HS, edition: '2022', citation: {source: gov-order-text, locator: annex}}
instruments: [{instrument: fx-order-1, provision: Sec. 1(a)(i)}, {instrument: fx-licence-1}]
events:
  - {kind: announced, date: 2022-03-11, citation: {source: gov-statement}}
  - {kind: adopted, date: 2022-03-11, instrument: fx-order-1, citation: {source: gov-order-text}}
  - {kind: in_force, date: 2022-03-11, instrument: fx-order-1, citation: {source: gov-order-text}}
  - {kind: published, date: 2022-03-15, instrument: fx-order-1, citation: {source: gov-order-text}}
  - kind: wind_down_ends
    date: 2022-03-25
    instrument: fx-licence-1
    citation:
      source: gov-order-text
links: []
notes: null
""")
    result = cli("diff", old, new)
    assert (result.exit_code, result.stdout) == (0, f"{old} → {new}: no differences\n")
    # ... but a value of another type is a change, even where Python finds them equal (1 == 1.0).
    edit(old, SEAFOOD, 'schema_version: "1.0"', "schema_version: 1")
    edit(new, SEAFOOD, "schema_version: '1.0'", "schema_version: 1.0")
    fields = as_json(cli, old, new)["changed"][0]["fields"]
    assert fields == [{"field": "schema_version", "old": 1, "new": 1.0}]
    assert (type(fields[0]["old"]), type(fields[0]["new"])) == (int, float)


def test_text_shows_hostile_values_escaped_on_one_line(cli, pair):
    old, new = pair
    edit(new, "vocabularies/authorities.yaml", "  - {code: AU,",
         '  - {code: "X\\nadded measure forged", name: X, kind: state}\n  - {code: AU,')
    result = cli("diff", old, new)
    assert result.stdout.splitlines()[1:] == ["added authority X\\nadded measure forged"]


def test_json_shape(cli, pair):
    old, new = pair
    edit(new, SEAFOOD, IN_FORCE, IN_FORCE.replace("2022-03-11", "2022-03-12"))
    (new / "sources/news-report.yaml").unlink()
    shutil.copy(new / "sources/gov-statement.yaml", new / "sources/gov-statement-2.yaml")
    out = as_json(cli, old, new)
    assert list(out) == ["old", "new", "added", "changed", "withdrawn", "removed"]
    assert (out["old"], out["new"]) == (str(old), str(new))
    assert [list(e) for e in out["added"] + out["removed"]] == [["kind", "id", "path"]] * 2
    assert [list(e) for e in out["changed"]] == [["kind", "id", "path", "fields"]]
    assert [list(f) for f in out["changed"][0]["fields"]] == [["field", "old", "new"]]


def test_text_output_exact(cli, pair):
    old, new = pair
    edit(new, SEAFOOD, IN_FORCE, IN_FORCE.replace("2022-03-11", "2022-03-12"))
    edit(new, SEAFOOD, "title: Import ban on seafood", 'title: "Import ban on seafood,\\nfish ' + "and " * 20 + '"')
    edit(new, SEAFOOD, "sectors: [seafood]", "sectors: [seafood, all_goods]")
    edit(new, SEAFOOD, "  - {instrument: fx-licence-1}\n", "")
    edit(new, "vocabularies/sectors.yaml", 'hs: ["03", "1604", "1605"]', 'hs: ["03", "1604"]')
    edit(new, "vocabularies/authorities.yaml", "  - {code: AU,", "  - {code: AT, name: Austria, kind: state}\n  - {code: AU,")
    edit(new, "coverage.yaml", "authority: US, status: partial", "authority: US, status: complete")
    with open(new / "measures/us-2022-alcohol-import-ban.yaml", "a") as handle:
        handle.write("withdrawn: {date: 2024-01-02, reason: Recorded twice}\n")
    (new / "instruments/fx-statute.yaml").unlink()
    result = cli("diff", old, new)
    assert result.exit_code == 0
    assert result.stdout == f"""\
{old} → {new}: 1 added, 3 changed, 1 withdrawn, 1 removed
added authority AT
changed coverage coverage
  cells[2].status: partial → complete
changed measure us-2022-seafood-import-ban
  events[2].date: 2022-03-11 → 2022-03-12
  instruments[1]: {{"instrument": "fx-licence-1"}} → null
  sectors: ["seafood"] → ["seafood", "all_goods"]
  title: Import ban on seafood → Import ban on seafood,\\nfish and and and and and and and an…
changed sector seafood
  hs: ["03", "1604", "1605"] → ["03", "1604"]
withdrawn measure us-2022-alcohol-import-ban
  withdrawn: null → {{"date": "2024-01-02", "reason": "Recorded twice"}}
removed instrument fx-statute: gone from instruments/fx-statute.yaml (records are withdrawn, never deleted)
"""
    # JSON never shortens.
    title = as_json(cli, old, new)["changed"][1]["fields"][-1]["new"]
    assert title == "Import ban on seafood,\nfish " + "and " * 20


def test_long_values_that_begin_alike_show_where_they_differ(cli, pair):
    old, new = pair
    long = "Import ban on seafood and " + "more " * 20
    edit(old, SEAFOOD, "title: Import ban on seafood", f"title: {long}end one")
    edit(new, SEAFOOD, "title: Import ban on seafood", f"title: {long}end two")
    line = cli("diff", old, new).stdout.splitlines()[-1]
    assert line == "  title: … more more more end one → … more more more end two"


def test_fields_sort_by_kind_then_id_then_path_with_indexes_as_numbers():
    before = {"events": [{"date": "2022-01-01"}] * 12, "b": 1}
    after = {"events": [{"date": "2022-01-02"}] * 12, "b": 2}
    old = Side("o", "o", {("source", "z"): ("p", before), ("measure", "b"): ("p", before),
                          ("measure", "a"): ("p", before)})
    new = Side("n", "n", {key: ("p", after) for key in old.records})
    result = compare(old, new)
    assert [(c["kind"], c["id"]) for c in result.changed] == [
        ("measure", "a"), ("measure", "b"), ("source", "z")]
    assert [f["field"] for f in result.changed[0]["fields"]] == ["b"] + [f"events[{i}].date" for i in range(12)]


def test_a_file_that_does_not_parse_is_one_line_with_its_place_exit_1(cli, pair):
    old, new = pair
    edit(new, SEAFOOD, "title: Import ban on seafood", "title: [unclosed")
    result = cli("diff", old, new)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"error: {new / SEAFOOD}:5:")


@pytest.mark.parametrize("args", [[], ["one"], ["a", "b", "c"], ["a", "b", "--rev", "HEAD"]])
def test_usage_errors_exit_2(cli, args):
    result = cli("diff", *args)
    assert result.exit_code == 2
    assert result.stderr == ("error: give two folders OLD NEW, or --rev A..B "
                             "(hint: see `sanctions diff --help`)\n")


def test_a_missing_folder_exits_2(cli, pair, tmp_path):
    result = cli("diff", pair[0], tmp_path / "nowhere")
    assert result.exit_code == 2
    assert result.stderr == (f"error: folder not found: {tmp_path / 'nowhere'} "
                             "(hint: give two dataset folders, or --rev A..B)\n")


# --- git revisions -----------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.org",
                           "-c", "commit.gpgsign=false", *args], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path) -> Path:
    """A git repository whose data/ is the good fixture, committed twice: the second commit moves
    the seafood ban's entry into force by a day. Export rules must not hide files from diff."""
    repo = tmp_path / "repo"
    shutil.copytree(GOOD, repo / "data")
    (repo / ".gitattributes").write_text("data/sources/* export-ignore\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    edit(repo / "data", SEAFOOD, IN_FORCE, IN_FORCE.replace("2022-03-11", "2022-03-12"))
    git(repo, "commit", "-q", "-a", "-m", "second")
    return repo


def test_rev_compares_two_commits_without_a_checkout(cli, repo):
    first, second = git(repo, "rev-parse", "HEAD~1"), git(repo, "rev-parse", "HEAD")
    (repo / "data" / SEAFOOD).write_text("not: [what, was, committed")  # the working copy is not read
    result = cli("diff", "--rev", "HEAD~1..HEAD", "--data", repo / "data")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"HEAD~1 ({first[:10]}) → HEAD ({second[:10]}): 0 added, 1 changed, 0 withdrawn, 0 removed\n"
        "changed measure us-2022-seafood-import-ban\n"
        "  events[2].date: 2022-03-11 → 2022-03-12\n")
    out = as_json(cli, "--rev", "HEAD~1..HEAD", "--data", repo / "data")
    assert (out["old"], out["new"]) == (first, second)
    assert out["removed"] == []  # export-ignore'd sources are still read
    assert git(repo, "status", "--porcelain") == f"M data/{SEAFOOD}"
    assert git(repo, "rev-parse", "HEAD") == second


def test_rev_alone_compares_with_the_working_copy(cli, repo):
    (repo / "data/sources/news-report.yaml").unlink()
    result = cli("diff", "--rev", "HEAD", "--data", repo / "data")
    assert result.exit_code == 0, result.output
    head = git(repo, "rev-parse", "HEAD")
    assert result.stdout == (
        f"HEAD ({head[:10]}) → {repo / 'data'} (working copy): 0 added, 0 changed, 0 withdrawn, 1 removed\n"
        "removed source news-report: gone from sources/news-report.yaml "
        "(records are withdrawn, never deleted)\n")


def test_rev_names_a_broken_file_by_revision_and_path_exit_1(cli, repo):
    edit(repo / "data", SEAFOOD, "title: Import ban on seafood", "title: [unclosed")
    git(repo, "commit", "-q", "-a", "-m", "broken")
    result = cli("diff", "--rev", "HEAD~1..HEAD", "--data", repo / "data")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"error: HEAD:data/{SEAFOOD}:5:")


@pytest.mark.parametrize("spec, message", [
    ("nope..HEAD", "error: unknown revision: nope (hint: give a commit, branch or tag that `git log` shows)"),
    ("HEAD..nope", "error: unknown revision: nope (hint: give a commit, branch or tag that `git log` shows)"),
    ("HEAD...HEAD~1", "error: not a revision range: HEAD...HEAD~1 (hint: --rev A..B, or --rev A for A..working copy)"),
    ("..HEAD", "error: not a revision range: ..HEAD (hint: --rev A..B, or --rev A for A..working copy)"),
    ("--all", "error: not a revision: '--all' (hint: --rev A..B, e.g. --rev v1.0..HEAD)"),
])
def test_a_bad_revision_is_one_line_exit_2(cli, repo, spec, message):
    result = cli("diff", f"--rev={spec}", "--data", repo / "data")
    assert result.exit_code == 2
    assert result.stderr == message + "\n"


def test_rev_outside_a_git_repository_exits_2(cli, tmp_path):
    shutil.copytree(GOOD, tmp_path / "data")
    result = cli("diff", "--rev", "HEAD~1..HEAD", "--data", tmp_path / "data")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: not in a git repository: {tmp_path / 'data'}")
    assert len(result.stderr.splitlines()) == 1


def test_a_version_older_than_a_single_file_shows_it_added(cli, pair):
    old, new = pair
    (old / "coverage.yaml").unlink()
    assert as_json(cli, old, new)["added"] == [{"kind": "coverage", "id": "coverage", "path": "coverage.yaml"}]


def test_a_folder_that_is_no_dataset_exits_2(cli, pair):
    result = cli("diff", pair[0], pair[1] / "sources")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: not a dataset folder (no measures/ in it): {pair[1] / 'sources'}")


def test_every_single_file_is_compared(cli, pair):
    """official_hosts.yaml (or any single file without coded entries) is one record, by its name."""
    old, new = pair
    text = (new / "vocabularies/official_hosts.yaml").read_text()
    (new / "vocabularies/official_hosts.yaml").write_text(text.replace("authorities: [US]", "authorities: [US, GB]", 1))
    out = as_json(cli, old, new)
    assert [(c["kind"], c["id"], c["path"]) for c in out["changed"]] == \
        [("vocabulary", "official_hosts", "vocabularies/official_hosts.yaml")]
