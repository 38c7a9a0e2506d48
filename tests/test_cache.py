"""The database cache: keyed by exactly the bytes parsed, never stale, never destructive,
atomic, bounded, and self-healing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanctions import cache, file_index, files
from sanctions.errors import DataError

from conftest import REPO


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SANCTIONS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / cache.FOLDER


def count(con) -> int:
    return con.execute("SELECT count(*) FROM measures").fetchone()[0]


def title(con, measure_id: str = "g7-2022-lending-denial") -> str:
    return con.execute("SELECT title FROM measures WHERE id = ?", [measure_id]).fetchone()[0]


def databases(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.duckdb"))


def test_built_once_then_reused_without_reading_any_file(cache_dir, good_copy, monkeypatch):
    monkeypatch.setattr(file_index, "RACY_NS", 0)  # the index is trusted at once, as seconds later
    con = cache.connect(good_copy)
    [built] = databases(cache_dir)
    assert count(con) == 8
    con.close()
    monkeypatch.setattr(files, "read_regular", lambda path: pytest.fail(f"{path} was read"))
    monkeypatch.setattr(cache, "_build", lambda *args: pytest.fail("built again"))
    assert count(cache.connect(good_copy)) == 8
    assert databases(cache_dir) == [built]


def test_any_change_of_content_gives_one_new_database_and_the_old_is_removed(cache_dir, good_copy):
    cache.connect(good_copy).close()
    [first] = databases(cache_dir)
    path = good_copy / "measures" / "g7-2022-lending-denial.yaml"
    path.write_text(path.read_text().replace("Deny financing", "Refuse financing"))
    con = cache.connect(good_copy)
    assert title(con).startswith("Refuse financing")
    assert [p.name for p in databases(cache_dir)] != [first.name]
    assert len(databases(cache_dir)) == 1  # one live database per dataset


def test_an_edit_during_a_build_is_never_served_for_other_content(cache_dir, good_copy, monkeypatch):
    """The race of the old design: a file edited between hashing and parsing stored new content
    under the old key. Now the key is the hash of the very bytes parsed."""
    path = good_copy / "measures" / "g7-2022-lending-denial.yaml"
    original = path.read_text()
    edited = original.replace("Deny financing", "Refuse financing")
    real = files.read_regular

    def read_then_edit(p):
        raw, st = real(p)
        if p == path and path.read_text() == original:
            path.write_text(edited)  # the edit lands just after the build read the file
        return raw, st

    monkeypatch.setattr(files, "read_regular", read_then_edit)
    monkeypatch.setattr(sys.modules["sanctions.dataset"], "read_regular", read_then_edit)
    assert title(cache.connect(good_copy)).startswith("Deny financing")   # what was read
    monkeypatch.setattr(files, "read_regular", real)
    monkeypatch.setattr(sys.modules["sanctions.dataset"], "read_regular", real)
    assert title(cache.connect(good_copy)).startswith("Refuse financing")  # the edit is seen next
    path.write_text(original)
    assert title(cache.connect(good_copy)).startswith("Deny financing")   # and the revert too


def test_a_same_size_edit_with_the_old_mtime_restored_is_still_seen(cache_dir, good_copy, monkeypatch):
    monkeypatch.setattr(file_index, "RACY_NS", 0)
    path = good_copy / "measures" / "g7-2022-lending-denial.yaml"
    assert title(cache.connect(good_copy)).startswith("Deny financing")
    before = path.stat()
    path.write_text(path.read_text().replace("Deny financing", "Deny financinG"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert title(cache.connect(good_copy)).startswith("Deny financinG")  # ctime moved


def test_invalid_data_is_never_cached(cache_dir, good_copy):
    (good_copy / "measures" / "broken.yaml").write_text("id: [\n")
    with pytest.raises(DataError):
        cache.connect(good_copy)
    assert databases(cache_dir) == []


@pytest.mark.parametrize("damage", ["truncate", "overwrite", "replace", "wrong-key"])
def test_a_damaged_database_is_detected_and_rebuilt(cache_dir, good_copy, damage):
    cache.connect(good_copy).close()
    [built] = databases(cache_dir)
    data = built.read_bytes()
    if damage == "truncate":
        built.write_bytes(data[: len(data) // 3])
    elif damage == "overwrite":
        with built.open("r+b") as handle:
            handle.seek(len(data) // 2)
            handle.write(b"\xde\xad\xbe\xef" * 2)
    elif damage == "replace":
        built.write_bytes(b"this is not a database" * 100)
    else:
        other = cache_dir / (built.name[:17] + "0" * 32 + ".duckdb")
        built.rename(other)
        other.rename(built)  # same bytes, but the index no longer vouches for the file's stat
    con = cache.connect(good_copy)
    assert count(con) == 8 and title(con).startswith("Deny financing")


@pytest.mark.parametrize("memo", ["{not json", "[]", '{"key": 1}', ""])
def test_a_damaged_index_is_only_a_missed_shortcut(cache_dir, good_copy, memo):
    cache.connect(good_copy).close()
    for index in cache_dir.glob("*.index"):
        index.write_text(memo)
    assert count(cache.connect(good_copy)) == 8


def test_pruning_touches_only_what_the_cache_made(tmp_path, monkeypatch, good_copy):
    """SANCTIONS_CACHE_DIR may name a folder full of other things: none of it is touched."""
    shared = tmp_path / "shared"
    shared.mkdir()
    theirs = ["notes.duckdb", "work.duckdb.wal", "0123456789abcdef.index", "x.tmp"]
    for name in theirs:
        (shared / name).write_text("theirs")
    (shared / cache.FOLDER).mkdir()
    inside = shared / cache.FOLDER / "their-own.duckdb"
    inside.write_text("theirs")
    monkeypatch.setenv("SANCTIONS_CACHE_DIR", str(shared))
    monkeypatch.setattr(cache, "KEEP_DATASETS", 1)
    for n in range(3):  # three datasets: each build prunes the others' databases
        copy = tmp_path / f"data{n}"
        copy.mkdir()
        os.system(f"cp -r {good_copy}/. {copy}")
        cache.connect(copy).close()
    assert all((shared / name).read_text() == "theirs" for name in theirs)
    assert inside.read_text() == "theirs"
    assert len([p for p in databases(shared / cache.FOLDER) if p != inside]) == 1


def test_an_unwritable_cache_falls_back_to_a_read_only_private_copy(tmp_path, monkeypatch, good_copy):
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    monkeypatch.setenv("SANCTIONS_CACHE_DIR", str(blocked))
    con = cache.connect(good_copy)
    assert count(con) == 8
    for statement in ("WITH d AS (DELETE FROM measure_sectors RETURNING *) SELECT count(*) FROM d",
                      "DELETE FROM measures", "CREATE TABLE x AS SELECT 1"):
        with pytest.raises(Exception, match="read-only"):
            con.execute(statement)
    with pytest.raises(Exception, match="disabled by configuration"):
        con.execute("SELECT * FROM read_csv('/etc/hostname')")
    assert count(con) == 8


def test_two_processes_building_at_once_both_succeed(cache_dir, good_copy):
    code = ("import sys; from pathlib import Path; from sanctions import cache; "
            "print(cache.connect(Path(sys.argv[1])).execute('SELECT count(*) FROM measures').fetchone()[0])")
    env = {**os.environ, "SANCTIONS_CACHE_DIR": str(cache_dir.parent)}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(good_copy)], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, outputs
    assert [out.strip() for out, _ in outputs] == ["8"] * 4
    assert len(databases(cache_dir)) == 1
    assert list(cache_dir.glob(".*.tmp*")) == []


def test_the_cache_lives_in_the_user_cache_dir_by_default(monkeypatch):
    monkeypatch.delenv("SANCTIONS_CACHE_DIR")
    import platformdirs

    assert cache.cache_dir() == Path(platformdirs.user_cache_dir("sanctions", appauthor=False)) / cache.FOLDER
    assert REPO not in cache.cache_dir().parents


def test_the_key_covers_every_module_of_the_package():
    from sanctions.files import PACKAGE_DIR

    modules = sorted(PACKAGE_DIR.glob("*.py"))
    assert len(modules) > 15
    original = cache.code_hash()
    cache.code_hash.cache_clear()
    newest = modules[-1]
    text = newest.read_bytes()
    try:
        newest.write_bytes(text + b"\n# an edit\n")
        assert cache.code_hash() != original
    finally:
        newest.write_bytes(text)
        cache.code_hash.cache_clear()
    assert cache.code_hash() == original


def test_files_changed_just_before_the_build_are_rehashed_not_rebuilt(cache_dir, good_copy, monkeypatch):
    monkeypatch.setattr(file_index, "RACY_NS", 10**18)  # every file counts as changed too recently
    cache.connect(good_copy).close()
    builds = []
    real = cache._build
    monkeypatch.setattr(cache, "_build", lambda *a: builds.append(a) or real(*a))
    assert count(cache.connect(good_copy)) == 8 and builds == []  # same bytes: the key holds
    path = good_copy / "measures" / "g7-2022-lending-denial.yaml"
    before = path.stat()
    path.write_text(path.read_text().replace("Deny financing", "Deny financinG"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.system(f"touch -d @{before.st_ctime_ns / 1e9} {path} 2>/dev/null")
    # (the write moved its ctime: the record changed, not what the rules across records see, so
    # the database is updated in place by the command itself: refresh.py)
    assert title(cache.connect(good_copy)).startswith("Deny financinG") and builds == []


def snapshot(con) -> dict[str, list]:
    """Every table of a database, sorted: what two builds must agree on."""
    from sanctions.flat_tables import TABLES

    return {t.name: sorted(map(repr, con.execute(f"SELECT * FROM {t.name}").fetchall())) for t in TABLES}


def test_after_edits_additions_and_withdrawals_the_database_equals_a_fresh_build(cache_dir, good_copy,
                                                                               tmp_path, monkeypatch):
    cache.connect(good_copy).close()
    measures = good_copy / "measures"
    edited = measures / "us-2022-alcohol-import-ban.yaml"
    edited.write_text(edited.read_text().replace("date: 2022-03-26", "date: 2022-03-27"))
    added = measures / "us-2022-vodka-import-ban.yaml"
    added.write_text(edited.read_text().replace("id: us-2022-alcohol-import-ban", "id: us-2022-vodka-import-ban")
                     .replace("title: Import ban on alcohol", "title: Import ban on vodka"))
    withdrawn = measures / "us-2021-option-weighed.yaml"
    withdrawn.write_text(withdrawn.read_text() + "withdrawn: {date: 2026-11-01, reason: a test}\n")
    after = snapshot(cache.connect(good_copy))
    monkeypatch.setenv("SANCTIONS_CACHE_DIR", str(tmp_path / "fresh"))
    fresh = snapshot(cache.connect(good_copy))
    assert after == fresh
    assert any("us-2022-vodka-import-ban" in row for row in after["measures"])
    assert any("2022, 3, 27" in row for row in after["events"])
    assert any("us-2021-option-weighed" in row and "2026, 11, 1" in row for row in after["measures"])


def test_an_entry_that_scan_passes_over_does_not_stop_reuse(cache_dir, good_copy, monkeypatch):
    monkeypatch.setattr(file_index, "RACY_NS", 0)
    (good_copy / "measures" / "README.txt").write_text("notes of the curators\n")
    cache.connect(good_copy).close()
    monkeypatch.setattr(cache, "_build", lambda *args: pytest.fail("built again"))
    assert count(cache.connect(good_copy)) == 8


@pytest.mark.parametrize("change", ["a-new-yaml", "a-new-other-file", "a-folder", "a-link", "an-edit-of-the-other-file"])
def test_any_new_entry_or_changed_entry_is_not_vouched_for(cache_dir, good_copy, monkeypatch, change):
    monkeypatch.setattr(file_index, "RACY_NS", 0)
    (good_copy / "sources" / "notes.txt").write_text("one\n")
    cache.connect(good_copy).close()
    index = cache.Index.read(next(cache_dir.glob("*.index")))
    assert cache.fresh_key(good_copy, index) == index.key
    measures = good_copy / "measures"
    if change == "a-new-yaml":
        (measures / "us-2022-copy.yaml").write_text((measures / "us-2022-seafood-import-ban.yaml").read_text())
    elif change == "a-new-other-file":
        (measures / "notes.txt").write_text("x\n")
    elif change == "a-folder":
        (measures / "drafts").mkdir()
    elif change == "a-link":
        (measures / "x.yaml").symlink_to(measures / "us-2022-seafood-import-ban.yaml")
    else:
        (good_copy / "sources" / "notes.txt").write_text("two\n")
    assert cache.fresh_key(good_copy, index) is None


def test_a_file_removed_while_the_database_is_built_is_not_served_from_it(cache_dir, good_copy, monkeypatch):
    monkeypatch.setattr(file_index, "RACY_NS", 0)
    gone = good_copy / "measures" / "us-2022-diamonds-import-ban.yaml"
    real = cache.Index.of

    def remove_then_index(*args, **kwargs):
        gone.unlink(missing_ok=True)  # removed after the build read it, before the index is written
        return real(*args, **kwargs)

    monkeypatch.setattr(cache.Index, "of", remove_then_index)
    assert count(cache.connect(good_copy)) == 8  # what was read
    index = cache.Index.read(next(cache_dir.glob("*.index")))
    assert cache.fresh_key(good_copy, index) is None


def test_a_folder_whose_stat_is_unchanged_is_not_listed_again(cache_dir, good_copy, monkeypatch):
    """Adding, removing or renaming an entry changes its folder's stat: when that stat is the one
    recorded (and not racy), the recorded listing stands, and only the files are stat'ed."""
    monkeypatch.setattr(file_index, "RACY_NS", 0)
    cache.connect(good_copy).close()
    index = cache.Index.read(next(cache_dir.glob("*.index")))
    monkeypatch.setattr(file_index.os, "listdir", lambda *args: pytest.fail("listed again"))
    assert cache.fresh_key(good_copy, index) == index.key
    monkeypatch.undo()
    monkeypatch.setattr(file_index, "RACY_NS", 0)
    (good_copy / "sources" / "notes.txt").write_text("x")  # the folder's stat moves
    assert cache.fresh_key(good_copy, index) is None


def test_the_index_gives_back_every_file_with_its_stat_and_hashes(cache_dir, good_copy):
    from sanctions.dataset import load_dataset

    cache.connect(good_copy).close()
    index = cache.Index.read(next(cache_dir.glob("*.index")))
    dataset, _ = load_dataset(good_copy, reuse=False)
    assert index.files == {rel: [*entry, dataset.made[rel], dataset.marks[rel]] for rel, entry in dataset.read.items()}
    assert all(index.made_at(rel) == dataset.made[rel] for rel in dataset.read if rel.partition("/")[0] in files.RECORD_FOLDERS)
    assert index.made_at("measures/no-such-measure.yaml") is None and index.made_at("elsewhere/x.yaml") is None
    entries = index.entries()
    assert [index.entry(i) for i in range(len(entries))] == entries and set(index.files) <= set(entries)
    assert all(index.lists(rel) for rel in index.files) and not index.lists("measures/no-such-measure.yaml")
    assert index.counted() == {kind: len(getattr(dataset, kind)) for kind in files.RECORD_FOLDERS}


def test_the_stats_taken_on_two_cores_are_those_taken_on_one(cache_dir, good_copy, monkeypatch):
    """The second half of the entries is stat'ed in a forked child: the array is the same, in the
    same order, as one process takes it."""
    cache.connect(good_copy).close()
    index = cache.Index.read(next(cache_dir.glob("*.index")))
    monkeypatch.setattr(file_index, "SPLIT_FROM", 10**9)
    alone = file_index.stats_now(good_copy, index)
    forks, real = [], os.fork
    monkeypatch.setattr(file_index.os, "fork", lambda: forks.append(1) or real())
    monkeypatch.setattr(file_index, "SPLIT_FROM", 1)
    assert file_index.stats_now(good_copy, index) == alone and alone.tobytes() == index.stats and forks


@pytest.mark.parametrize("gone", [0, -1], ids=["in the parent's half", "in the child's half"])
def test_a_file_gone_is_an_error_whichever_process_took_its_stat(good_copy, monkeypatch, gone):
    monkeypatch.setattr(file_index, "SPLIT_FROM", 1)
    entries = sorted(str(path) for path in good_copy.rglob("*.yaml"))
    assert len(file_index._on_two_cores([(None, path) for path in entries])) == 4 * len(entries)
    os.unlink(entries[gone])
    with pytest.raises(OSError):
        file_index._on_two_cores([(None, path) for path in entries])


@settings(max_examples=300, deadline=None)
@given(st.sets(st.sampled_from([f"m{k:02d}.yaml" for k in range(30)])),
       st.sets(st.sampled_from([f"m{k:02d}.yaml" for k in range(30)])), st.integers(0, 9))
def test_an_index_laid_over_other_entries_keeps_each_entry_it_had_and_only_those(before, after, at):
    """Index.relisted's runs (file_index._runs) give each entry listed now its number in the
    index, or none when new: what a name-by-name lookup gives."""
    before, after = sorted(before), sorted(after)
    where = {name: at + i for i, name in enumerate(before)}
    laid = [number for i, n in file_index._runs(before, after, at) for number in ([-1] if i < 0 else range(i, i + n))]
    assert laid == [where.get(name, -1) for name in after]
