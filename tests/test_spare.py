"""A large live database's spare copy (spare.py): made in the background after a build or an
update, taken by the next update instead of a copy, never one of another database, and removed
with its database."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from sanctions import cache, spare, update as update_module

from conftest import edit_text
from test_update import check

MEASURE = "measures/us-2022-seafood-import-ban.yaml"


@pytest.fixture(autouse=True)
def every_database_spared(monkeypatch):
    """Every database counted large enough for a spare."""
    monkeypatch.setattr(spare, "SPARE_FROM", 0)


def live() -> Path:
    [path] = cache.cache_dir().glob("*.duckdb")
    return path


def made(path: Path) -> Path:
    """The spare of `path`, once the background copy has put it in place."""
    for _ in range(600):
        if spare.spare_of(path).exists():
            return spare.spare_of(path)
        time.sleep(0.05)
    pytest.fail("no spare was made")


def test_a_build_leaves_a_spare_the_next_update_takes(data, tmp_path, monkeypatch):
    cache.connect(data).close()
    first = live()
    assert made(first).read_bytes() == first.read_bytes()
    monkeypatch.setattr(update_module.shutil, "copyfile", lambda *a: pytest.fail("copied"))
    edit_text(data / MEASURE, "date: 2022-03-11", "date: 2022-03-10")
    check(data, tmp_path)
    second = live()
    assert second != first and not spare.spare_of(first).exists()
    assert made(second).read_bytes() == second.read_bytes()
    assert sorted(p.name for p in cache.cache_dir().iterdir() if ".duckdb" in p.name) == [
        second.name, second.name + ".spare"]


def test_without_a_spare_the_update_copies_the_database(data, tmp_path, monkeypatch):
    monkeypatch.setattr(spare, "SPARE_FROM", 2**62)
    cache.connect(data).close()
    copies = []
    real = update_module.shutil.copyfile
    monkeypatch.setattr(update_module.shutil, "copyfile", lambda *a: copies.append(a) or real(*a))
    edit_text(data / MEASURE, "date: 2022-03-11", "date: 2022-03-10")
    check(data, tmp_path)
    assert len(copies) == 1 and not list(cache.cache_dir().glob("*.spare"))


def test_a_spare_of_another_database_is_never_updated(data, tmp_path, monkeypatch):
    """A file at the spare's name holding other bytes (not whole, or another database) is not
    used: the update copies the live file, or the command builds from nothing."""
    updated: list = []
    real = update_module.update

    def recording(*args):
        try:
            updated.append(real(*args))
        except duckdb.Error:
            updated.append("raised")
            raise
        return updated[-1]

    monkeypatch.setattr(update_module, "update", recording)
    cache.connect(data).close()
    older = tmp_path / "older.duckdb"
    shutil.copyfile(live(), older)  # (a database of this dataset as it was)
    spare_path = made(live())
    spare_path.write_bytes(b"\0" * (spare_path.stat().st_size - 1))  # (not whole)
    edit_text(data / MEASURE, "date: 2022-03-11", "date: 2022-03-10")
    check(data, tmp_path)
    assert updated == [True]  # (from a copy: the spare not even tried)

    def taken(old: Path, working: Path) -> bool:  # (another database, whole)
        shutil.copyfile(older, working)
        return True

    monkeypatch.setattr(spare, "take", taken)
    edit_text(data / MEASURE, "date: 2022-03-10", "date: 2022-03-09")
    check(data, tmp_path)
    assert updated[1:] and set(updated[1:]) == {False}  # (each try refused; the build from nothing instead)


def test_a_copy_whose_database_is_gone_removes_itself(tmp_path, monkeypatch):
    live_path = tmp_path / "a.duckdb"
    live_path.write_bytes(b"x" * 100)
    spare.copy(live_path)
    assert sorted(os.listdir(tmp_path)) == ["a.duckdb", "a.duckdb.spare"]
    assert spare.spare_of(live_path).read_bytes() == live_path.read_bytes()
    spare.spare_of(live_path).unlink()
    real = shutil.copyfile

    def pruned_meanwhile(source: Path, target: Path) -> None:
        real(source, target)
        live_path.unlink()

    monkeypatch.setattr(spare.shutil, "copyfile", pruned_meanwhile)
    spare.copy(live_path)
    assert os.listdir(tmp_path) == []
    monkeypatch.undo()
    spare.copy(live_path)  # (gone before)
    assert os.listdir(tmp_path) == [] and not spare.take(live_path, tmp_path / "b.duckdb")


def test_pruning_removes_the_spares_of_databases_no_longer_live(data):
    cache.connect(data).close()
    first = live()
    made(first)
    stale = spare.spare_of(first.with_name(first.name[:17] + "0" * 32 + ".duckdb"))
    stale.write_bytes(b"old")
    cache._prune(cache.cache_dir(), keep=first)
    assert not stale.exists() and spare.spare_of(first).exists()


def test_one_copy_at_a_time_for_a_database(tmp_path, monkeypatch):
    monkeypatch.setattr(spare, "SPARE_FROM", 0)
    live_path = tmp_path / "a.duckdb"
    live_path.write_bytes(b"x" * 100)
    started = []
    real = subprocess.Popen
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: started.append(a) or real(*a, **k))
    spare.make(live_path)
    spare.make(live_path)  # (while the first runs, or once it has made it)
    assert made(live_path).read_bytes() == live_path.read_bytes()
    assert len(started) == 1 and sorted(os.listdir(tmp_path)) == ["a.duckdb", "a.duckdb.spare"]


def locked(live_path: Path) -> int:
    """The lock a copy under way holds, taken here."""
    import fcntl

    fd = os.open(spare._copying(live_path), os.O_WRONLY | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_an_update_waits_for_a_copy_under_way_and_takes_it(data, tmp_path, monkeypatch):
    import threading

    monkeypatch.setattr(spare, "SPARE_FROM", 2**62)  # (no copy of the build's own)
    cache.connect(data).close()
    first = live()
    fd = locked(first)
    real = shutil.copyfile

    def finished() -> None:
        time.sleep(0.5)
        real(first, spare._copying(first))
        os.replace(spare._copying(first), spare.spare_of(first))
        os.close(fd)

    threading.Thread(target=finished).start()
    monkeypatch.setattr(update_module.shutil, "copyfile", lambda *a: pytest.fail("copied"))
    edit_text(data / MEASURE, "date: 2022-03-11", "date: 2022-03-10")
    check(data, tmp_path)
    assert not spare.spare_of(first).exists()


def test_an_update_waits_for_a_copy_no_longer_than_wait_s(data, tmp_path, monkeypatch):
    monkeypatch.setattr(spare, "SPARE_FROM", 2**62)
    monkeypatch.setattr(spare, "WAIT_S", 0.3)
    cache.connect(data).close()
    fd = locked(live())
    try:
        began = time.monotonic()
        edit_text(data / MEASURE, "date: 2022-03-11", "date: 2022-03-10")
        check(data, tmp_path)  # (from a copy of its own)
        assert time.monotonic() - began < 5
    finally:
        os.close(fd)


def test_one_copy_under_way_at_a_time(tmp_path):
    live_path = tmp_path / "a.duckdb"
    live_path.write_bytes(b"x" * 100)
    fd = locked(live_path)
    try:
        spare.copy(live_path)  # (another holds the lock: nothing done)
        assert not spare.spare_of(live_path).exists()
    finally:
        os.close(fd)
    spare.copy(live_path)
    assert spare.spare_of(live_path).read_bytes() == live_path.read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["a.duckdb", "a.duckdb.spare"]
