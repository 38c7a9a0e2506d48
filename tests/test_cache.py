"""The database cache: content-keyed, never stale, atomic, and self-healing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sanctions import cache
from sanctions.errors import DataError

from conftest import REPO


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("SANCTIONS_CACHE_DIR", str(directory))
    return directory


def count(con) -> int:
    return con.execute("SELECT count(*) FROM measures").fetchone()[0]


def test_built_once_then_reused(cache_dir, good_copy):
    con = cache.connect(good_copy)
    [built] = list(cache_dir.glob("*.duckdb"))
    mtime = built.stat().st_mtime_ns
    con.close()
    again = cache.connect(good_copy)
    assert count(again) == 8
    assert list(cache_dir.glob("*.duckdb")) == [built] and built.stat().st_mtime_ns == mtime


def test_any_change_of_content_gives_a_new_database(cache_dir, good_copy):
    assert count(cache.connect(good_copy)) == 8
    target = good_copy / "measures" / "g7-2022-lending-denial.yaml"
    target.write_text(target.read_text().replace("title: Deny financing", "title: Refuse financing"))
    con = cache.connect(good_copy)
    assert con.execute("SELECT title FROM measures WHERE id = 'g7-2022-lending-denial'").fetchone() == (
        "Refuse financing from international lenders",)
    assert len(list(cache_dir.glob("*.duckdb"))) == 2


def test_touching_a_file_without_changing_it_reuses_the_cache(cache_dir, good_copy):
    cache.connect(good_copy).close()
    path = good_copy / "measures" / "g7-2022-lending-denial.yaml"
    os.utime(path, (1, 1))
    cache.connect(good_copy).close()
    assert len(list(cache_dir.glob("*.duckdb"))) == 1


def test_invalid_data_is_never_cached(cache_dir, good_copy):
    (good_copy / "measures" / "g7-2022-lending-denial.yaml").write_text("id: [")
    with pytest.raises(DataError):
        cache.connect(good_copy)
    assert list(cache_dir.glob("*.duckdb")) == []


def test_a_corrupt_cache_file_is_rebuilt(cache_dir, good_copy):
    cache.connect(good_copy).close()
    [built] = list(cache_dir.glob("*.duckdb"))
    built.write_bytes(b"this is not a database" * 100)
    assert count(cache.connect(good_copy)) == 8


def test_an_unwritable_cache_falls_back_to_memory(tmp_path, monkeypatch, good_copy):
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    monkeypatch.setenv("SANCTIONS_CACHE_DIR", str(blocked / "cache"))
    con = cache.connect(good_copy)
    assert count(con) == 8
    with pytest.raises(Exception, match="disabled by configuration"):
        con.execute("SELECT * FROM read_csv('/etc/hostname')")


def test_two_processes_building_at_once_both_succeed(cache_dir, good_copy):
    code = ("import sys; from pathlib import Path; from sanctions import cache; "
            "print(cache.connect(Path(sys.argv[1])).execute('SELECT count(*) FROM measures').fetchone()[0])")
    env = {**os.environ, "SANCTIONS_CACHE_DIR": str(cache_dir)}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(good_copy)], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, outputs
    assert [out.strip() for out, _ in outputs] == ["8"] * 4
    assert len(list(cache_dir.glob("*.duckdb"))) == 1
    assert list(cache_dir.glob("*.tmp*")) == []


def test_the_cache_lives_in_the_user_cache_dir_by_default(monkeypatch):
    monkeypatch.delenv("SANCTIONS_CACHE_DIR")
    import platformdirs

    assert cache.cache_dir() == Path(platformdirs.user_cache_dir("sanctions", appauthor=False))
    assert REPO not in cache.cache_dir().parents


def test_a_same_size_edit_with_the_old_mtime_restored_is_still_seen(cache_dir, good_copy, monkeypatch):
    monkeypatch.setattr(cache, "RACY_NS", 0)  # trust the memo at once, as it will be seconds later
    path = good_copy / "measures" / "g7-2022-lending-denial.yaml"
    first = cache.fingerprint(good_copy)
    assert cache.fingerprint(good_copy) == first  # served from the memo
    before = path.stat()
    path.write_text(path.read_text().replace("Deny financing", "Deny financinG"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert cache.fingerprint(good_copy) != first  # ctime moved, so the file was read again


def test_the_memo_is_only_an_optimisation(cache_dir, good_copy):
    first = cache.fingerprint(good_copy)
    for memo in (cache_dir / "index").glob("*.json"):
        memo.write_text("{not json")
    assert cache.fingerprint(good_copy) == first
