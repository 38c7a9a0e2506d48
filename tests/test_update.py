"""The database updated in place after edits (update.py) holds exactly what a build from nothing
holds: every table, view and comment, after an edited date, a new source and measure, a
withdrawal, a changed source that others cite, and a deleted record."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import duckdb
import pytest

from sanctions import cache, db, update as update_module, validate
from sanctions.errors import DataError, Problem, UsageError
from sanctions.fmt import Refused
from sanctions.plot import MissingExtra
from sanctions.flat_tables import build_rows
from sanctions.validate import load_valid

from conftest import age, edit_text


@pytest.fixture
def updates(monkeypatch, tmp_path):
    """Whether each build since was an update in place (True) or a full build (False), wherever
    it ran (a child process, for a large dataset: see `apart`)."""
    log = tmp_path / "updates.log"
    real = update_module.update

    def recording(*args, **kwargs):
        done = real(*args, **kwargs)
        with open(log, "a") as handle:
            handle.write("1" if done else "0")
        return done

    monkeypatch.setattr(update_module, "update", recording)
    return lambda: [c == "1" for c in log.read_text()] if log.exists() else []


@pytest.fixture(params=["in this process", "in a child process"])
def apart(request, monkeypatch, tmp_path) -> Path | None:
    """Builds validate in this process, or in a child (validate.load_released, as a large dataset
    does); then the file returned names the child process's ID."""
    if request.param == "in this process":
        return None
    monkeypatch.setattr(validate, "APART_FROM", 0)
    mark = tmp_path / "child-pid"
    real = validate.in_child

    def marked(function, *args):
        def marking(*inner):
            mark.write_text(str(os.getpid()))
            return function(*inner)
        return real(marking, *args)

    monkeypatch.setattr(validate, "in_child", marked)
    return mark


def contents(con) -> dict:
    out = {}
    relations = con.execute("SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views()"
                            " WHERE NOT internal ORDER BY 1").fetchall()
    for (name,) in relations:
        if name == "dataset_meta":
            continue
        cur = con.execute(f'SELECT * FROM "{name}"')
        out[name] = sorted(map(repr, cur.fetchall()))
    out["comments"] = con.execute("SELECT table_name, column_name, comment FROM duckdb_columns() ORDER BY ALL").fetchall()
    out["constraints"] = con.execute("SELECT table_name, constraint_text FROM duckdb_constraints() ORDER BY ALL").fetchall()
    return out


def from_nothing(root: Path, tmp: Path) -> dict:
    path = tmp / f"fresh-{time.time_ns()}.duckdb"
    db.build(path, [build_rows(load_valid(root))], "k")
    con = duckdb.connect(str(path), read_only=True)
    try:
        return contents(con)
    finally:
        con.close()


def check(root, tmp_path):
    con = cache.connect(root)
    try:
        assert contents(con) == from_nothing(root, tmp_path)
    finally:
        con.close()


def test_updates_in_place_equal_a_build_from_nothing(data, tmp_path, updates, apart):
    cache.connect(data).close()
    assert updates() == [False] or updates() == []  # the first build: nothing to update
    if apart is not None:
        assert int(apart.read_text()) != os.getpid()
    measures = data / "measures"
    edit_text(measures / "us-2022-seafood-import-ban.yaml", "date: 2022-03-11", "date: 2022-03-10")
    check(data, tmp_path)
    source = data / "sources" / "customsnz-2022-12-09-luxury-goods-import-export-ban.yaml"
    edit_text(source, "title:", "title: Notice —")  # a source that other records cite
    check(data, tmp_path)
    new = measures / "nz-2022-seafood-import-ban-copy.yaml"
    new.write_text((measures / "nz-2022-seafood-import-ban.yaml").read_text()
                   .replace("id: nz-2022-seafood-import-ban", "id: nz-2022-seafood-import-ban-copy"))
    os.utime(new, (time.time() - 60,) * 2)
    check(data, tmp_path)
    edit_text(new, "schema_version:", "withdrawn: {date: 2026-11-01, reason: Recorded twice.}\nschema_version:")
    check(data, tmp_path)
    new.unlink()
    check(data, tmp_path)
    assert updates()[-5:] == [True] * 5


@pytest.mark.parametrize("by", ["the command itself", "a validation"])
def test_an_edit_no_record_shows_keeps_the_database_and_moves_the_index_on(data, tmp_path, updates, apart,
                                                                           monkeypatch, by):
    """A comment, or the layout: the records are the same, so the key and the database are too;
    only the index is written again (no update, no build), and the next command finds it fresh.
    So whether the command brings the index up to date itself (refresh.py) or, past its limit of
    changed files, validates the data first."""
    if by == "a validation":
        from sanctions import refresh

        monkeypatch.setattr(refresh, "MOST", 0)
    cache.connect(data).close()
    (built,) = cache.cache_dir().glob("*.duckdb")
    before = built.stat()
    measure = data / "measures" / "us-2022-seafood-import-ban.yaml"
    text = measure.read_text()
    measure.write_text(text.replace("\ntitle:", "\n# a comment\ntitle:", 1).replace("sectors: [seafood]",
                                                                                "sectors:\n  - seafood"))
    os.utime(measure, (time.time() - 60,) * 2)
    check(data, tmp_path)
    assert [p.name for p in cache.cache_dir().glob("*.duckdb")] == [built.name] and updates() in ([], [False])
    assert (built.stat().st_ino, built.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    (index_path,) = cache.cache_dir().glob("*.index")
    assert cache.fresh_key(data, cache.Index.read(index_path)) == built.name.split("-")[1].removesuffix(".duckdb")


def test_after_an_edit_no_record_shows_the_next_command_neither_builds_nor_updates(data, tmp_path, monkeypatch):
    """The index brought up to date in the command itself (refresh.py): the changed file checked
    alone, nothing else read; a later edit to the same file, or a touch, as well."""
    cache.connect(data).close()
    monkeypatch.setattr(cache, "_build", lambda *args: pytest.fail("built"))
    measure = data / "measures" / "us-2022-seafood-import-ban.yaml"
    for text in (measure.read_text() + "# a comment\n", measure.read_text().replace("\ntitle:", "\n\ntitle:", 1)):
        measure.write_text(text)
        os.utime(measure, (time.time() - 60,) * 2)
        check(data, tmp_path)
    os.utime(measure, (time.time() - 30,) * 2)  # touched
    check(data, tmp_path)


def test_under_other_code_an_edit_no_record_shows_still_means_a_build(data, monkeypatch):
    cache.connect(data).close()
    monkeypatch.setattr(cache, "code_hash", lambda: "another version of the package")
    measure = data / "measures" / "us-2022-seafood-import-ban.yaml"
    measure.write_text(measure.read_text() + "# a comment\n")
    os.utime(measure, (time.time() - 60,) * 2)
    built = []
    real = cache._build
    monkeypatch.setattr(cache, "_build", lambda *args: built.append(1) or real(*args))
    cache.connect(data).close()
    assert built == [1]


def _duplicate_key(measure: Path) -> None:  # (the same record, but the file is invalid alone)
    edit_text(measure, "\ntitle:", "\nauthority: US\ntitle:")


def _other_record(measure: Path) -> None:
    edit_text(measure, "title: ", "title: The ")


def _unknown_sector(measure: Path) -> None:
    edit_text(measure, "sectors: [seafood]", "sectors: [seafod]")


def _unknown_source(measure: Path) -> None:  # (valid alone: only the rules across records see it)
    cited = next(line for line in measure.read_text().splitlines() if "source: " in line).split("source: ")[1]
    edit_text(measure, f"source: {cited}", "source: no-such-source")


def _date_mismatch(measure: Path) -> None:  # (valid alone, and in the database: only a rule across records sees it)
    edit_text(measure, "  - kind: adopted\n    date: 2022-03-11", "  - kind: adopted\n    date: 2022-03-10")


@pytest.mark.parametrize("change", [_duplicate_key, _other_record, _unknown_sector, _unknown_source, _date_mismatch])
def test_an_edit_that_a_record_or_a_check_shows_is_never_taken_for_a_comment(data, tmp_path, change):
    cache.connect(data).close()
    change(data / "measures" / "us-2022-seafood-import-ban.yaml")
    try:
        expected = from_nothing(data, tmp_path)
    except DataError:
        with pytest.raises(DataError):
            cache.connect(data)
        return
    con = cache.connect(data)
    try:
        assert contents(con) == expected
    finally:
        con.close()


def _date_seen(measure: Path) -> None:  # (the rules across records see it, and find nothing)
    edit_text(measure, "  - kind: in_force\n    date: 2022-03-11", "  - kind: in_force\n    date: 2022-03-12")


def _record_added(measure: Path) -> None:
    again = measure.with_name("us-2022-seafood-import-ban-again.yaml")
    again.write_text(measure.read_text().replace("id: us-2022-seafood-import-ban\n", "id: us-2022-seafood-import-ban-again\n"))
    age(again.parent, again)


def _record_added_then_removed(measure: Path) -> None:
    measure.with_name("us-2022-seafood-import-ban-again.yaml").unlink()


@pytest.mark.parametrize("change", [_other_record, _date_seen, _record_added, _record_added_then_removed])
def test_a_valid_record_edit_is_an_update_without_a_build(data, tmp_path, monkeypatch, updates, change):
    """A title (the database shows it, the rules across records do not: its mark is the one
    indexed), a date (they see it, and find nothing), a record added or removed: the command
    itself updates the database in place, with no load of the rest; the last build's database
    is removed."""
    if change is _record_added_then_removed:
        _record_added(data / "measures" / "us-2022-seafood-import-ban.yaml")
    cache.connect(data).close()
    monkeypatch.setattr(cache, "_build", lambda *args: pytest.fail("built"))
    change(data / "measures" / "us-2022-seafood-import-ban.yaml")
    check(data, tmp_path)
    assert updates()[-1:] == [True] and len(list(cache.cache_dir().glob("*.duckdb"))) == 1


def test_records_to_redo_are_those_whose_record_changed_not_only_their_bytes(tmp_path):
    def index(files):
        return cache.Index.of("k", tmp_path, {rel: (1, 2, 3, 4, b * 32) for rel, (b, _) in files.items()},
                              {rel: m * 32 for rel, (_, m) in files.items()}, {}, [0, 0], 0)

    old = {"measures/a.yaml": "1a", "measures/b.yaml": "2b", "sources/c.yaml": "3c"}
    edited = {**old, "measures/a.yaml": "4a", "measures/b.yaml": "5d"}  # a's bytes only; b's record
    assert index(edited).records_changed_since(index(old)) == {("measures", "b")}
    other = {"measures/a.yaml": "4a", "measures/b.yaml": "5d", "sources/d.yaml": "6e"}  # c gone, d new
    assert index(other).records_changed_since(index(old)) == {("measures", "b"), ("sources", "c"), ("sources", "d")}
    assert index({**old, "coverage.yaml": "77"}).records_changed_since(index(old)) is None


def test_the_key_of_an_index_is_that_of_its_records_alone(tmp_path):
    """Each record file's name and record as validated: not its bytes, nor an entry with no record
    (a README), nor where the index came from; the same records give the same key."""
    def key(files, readme=False):
        read = {rel: (1, 2, 3, 4, b * 32) for rel, (b, _) in files.items()}
        if readme:
            read["measures/README.txt"] = (1, 2, 3, 4, None)
        return cache.Index.of(None, tmp_path, read, {rel: m * 32 for rel, (_, m) in files.items()}, {}, [0, 0], 0).key

    files = {"measures/a.yaml": "1a", "measures/b.yaml": "2b", "sources/c.yaml": "3c"}
    same = key(files)
    assert key({**files, "measures/a.yaml": "9a"}) == same and key(files, readme=True) == same
    others = [{**files, "measures/b.yaml": "2c"}, {"measures/a.yaml": "2b", "measures/b.yaml": "1a", "sources/c.yaml": "3c"},
              {"measures/a.yaml": "1a", "measures/d.yaml": "2b", "sources/c.yaml": "3c"},
              {"measures/a.yaml": "1a", "sources/b.yaml": "2b", "sources/c.yaml": "3c"}, {**files, "sources/e.yaml": "4e"}]
    assert len({key(other) for other in others} | {same}) == len(others) + 1


def test_invalid_data_found_in_a_child_process_is_reported_whole(data, apart):
    edit_text(data / "measures" / "us-2022-seafood-import-ban.yaml", "date: 2022-03-11", "date: 2022-02-30")
    edit_text(data / "measures" / "nz-2022-seafood-import-ban.yaml", "authority: NZ", "authority: Nowhere")
    with pytest.raises(DataError) as found:
        cache.connect(data)
    with pytest.raises(DataError) as here:
        load_valid(data)
    assert found.value.problems == here.value.problems and len(here.value.problems) >= 2
    assert str(found.value) == str(here.value) and found.value.hint == here.value.hint
    if apart is not None:
        assert int(apart.read_text()) != os.getpid()


@pytest.mark.parametrize("error", [
    DataError([Problem("measures/a.yaml", 3, 1, "id", "duplicate-id", "id 'a' is already used")]),
    UsageError("no such file: x", hint="name YAML files"), Refused("a.yaml", 1, 2, "not a mapping"),
    MissingExtra()], ids=type)
def test_errors_cross_from_a_child_process_intact(error):
    """Whatever a subclass's constructor takes (a child's error is pickled to its parent)."""
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), again.args, again.__dict__, str(again)) == (type(error), error.args, error.__dict__, str(error))


def test_a_vocabulary_change_is_a_full_build(data, tmp_path, updates, apart):
    cache.connect(data).close()
    edit_text(data / "vocabularies" / "authorities.yaml", "aliases: [Russia]", "aliases: [Russia, Rossiya]")
    check(data, tmp_path)
    assert updates()[-1:] == [] or updates()[-1] is False


def test_a_failed_update_falls_back_to_a_full_build(data, tmp_path, monkeypatch, updates, apart):
    cache.connect(data).close()

    def broken(con, *args):
        raise duckdb.Error("simulated")

    monkeypatch.setattr(update_module.db, "update_summary", broken)
    edit_text(data / "measures" / "us-2022-seafood-import-ban.yaml", "date: 2022-03-11", "date: 2022-03-10")
    check(data, tmp_path)
    assert updates()[-1] is False
    leftovers = [p for p in cache.cache_dir().iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


@pytest.mark.parametrize("rows, step", [(1, 3), (40, 2)])  # a part per step; steps gathered
def test_a_build_in_batches_of_measures_equals_a_build_in_one(data, tmp_path, rows, step):
    """Records' rows go in a part at a time (links and amendments, which may refer to later
    parts, after all), each record revived for its part: the same database, row for row and in
    the same order."""
    from sanctions.flat_tables import LATE, row_batches

    assert LATE == ("instrument_amends", "links")
    dataset = load_valid(data)
    assert any(m.links for m in dataset.measures.values())
    one, parts = tmp_path / "one.duckdb", tmp_path / "parts.duckdb"
    db.build(one, [build_rows(dataset)], "k")
    db.build(parts, row_batches(load_valid(data).released(), rows=rows, step=step), "k")  # (all a build needs)
    tables = {}
    for path in (one, parts):
        con = duckdb.connect(str(path), read_only=True)
        try:
            names = [n for (n,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
            tables[path] = {n: con.execute(f'SELECT * FROM "{n}" ORDER BY rowid').fetchall() for n in names}
            tables[path]["contents"] = contents(con)
        finally:
            con.close()
    assert tables[one] == tables[parts]
    assert len(tables[parts]["measures"]) == len(dataset.measures) > 3
    assert len(tables[parts]["links"]) == sum(len(m.links) for m in dataset.measures.values())
    assert len(tables[parts]["instrument_amends"]) == sum(len(i.amends) for i in dataset.instruments.values()) > 0


@pytest.mark.parametrize("rows", [0, 1, 499, 500, 1_234, 2_001])
def test_rows_inserted_directly_are_all_inserted_in_order(rows):
    """Many rows to a statement, in parts; above FEW, through a frame."""
    import duckdb
    from types import SimpleNamespace

    from sanctions import db

    con = duckdb.connect()
    con.execute("CREATE TABLE t (a INTEGER, b VARCHAR)")
    table = SimpleNamespace(name="t", columns=["a", "b"], column_names=["a", "b"])
    wanted = [(i, f"row {i}'s") for i in range(rows)]
    db.insert_few(con, table, wanted)
    assert con.execute("SELECT a, b FROM t ORDER BY rowid").fetchall() == wanted


def test_after_validate_the_next_command_takes_its_verdict_and_runs_no_rule(data, tmp_path, monkeypatch, updates):
    """An edit the rules see, then `validate` (which checks it), then a command: its update takes
    the validation's verdict (the same index of the dataset found clean), and neither loads the
    dataset nor runs the rules over every record."""
    from sanctions import checks
    from sanctions.validate import validate as check_all

    cache.connect(data).close()
    _date_seen(data / "measures" / "us-2022-seafood-import-ban.yaml")
    assert check_all(data).problems == []
    monkeypatch.setattr(checks, "run_checks", lambda ds: pytest.fail("the rules ran over every record"))
    monkeypatch.setattr(cache, "_build", lambda *args: pytest.fail("built"))
    check(data, tmp_path)
    assert updates()[-1:] == [True]


def test_stats_taken_against_other_entries_than_the_clean_index_lists_are_taken_again(data, tmp_path, monkeypatch,
                                                                                    updates):
    """The database's index and the validation's list other entries (a record removed and
    validated, then put back): the command takes the stats again for the validation's index,
    and the database equals a build from nothing."""
    from sanctions.validate import validate as check_all

    measure = data / "measures" / "us-2022-seafood-import-ban.yaml"
    _record_added(measure)
    cache.connect(data).close()
    again = measure.with_name("us-2022-seafood-import-ban-again.yaml")
    text = again.read_text()
    again.unlink()
    assert check_all(data).problems == []
    again.write_text(text.replace("title: ", "title: The ", 1))
    os.utime(again, (time.time() - 60,) * 2)
    monkeypatch.setattr(cache, "_build", lambda *args: pytest.fail("built"))
    check(data, tmp_path)
    assert updates()[-1:] == [True]
