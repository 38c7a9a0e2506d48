"""The watcher of a large working copy: a warm command that it vouches for takes no `stat`, and
every change it cannot vouch for sends the command back to the disk."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from sanctions import cache, file_index, watcher
from sanctions.store import dataset_id

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")

MEASURE = "measures/g7-2022-lending-denial.yaml"


@pytest.fixture
def watched(tmp_path, monkeypatch, good_copy):
    """The good dataset, of a size that is watched, in a cache of its own; its watcher stopped after."""
    monkeypatch.setenv("SANCTIONS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(watcher, "WATCH_FROM", 0)
    monkeypatch.setattr(file_index, "RACY_NS", 0)  # (stats vouch at once, as they do seconds later)
    directory, ident = tmp_path / "cache" / cache.FOLDER, dataset_id(good_copy)
    yield good_copy, directory, ident
    watcher.stop(directory, ident)


def title(con) -> str:
    return con.execute("SELECT title FROM measures WHERE id = 'g7-2022-lending-denial'").fetchone()[0]


def started(directory: Path, ident: str) -> str:
    """The watcher's count, once it answers."""
    for _ in range(200):
        count = watcher.token(directory, ident)
        if count is not None:
            return count
        time.sleep(0.05)
    pytest.fail("no watcher answered")


def no_stats(monkeypatch) -> None:
    monkeypatch.setattr(cache, "seen_now", lambda *a, **k: pytest.fail("the disk was looked at"))
    monkeypatch.setattr(file_index.Index, "read", classmethod(lambda *a: pytest.fail("the index was read")))


def test_once_vouched_for_a_warm_connect_takes_no_stat_and_sees_every_edit(watched, monkeypatch):
    root, directory, ident = watched
    cache.connect(root).close()                    # built
    assert watcher.token(directory, ident) is None
    cache.connect(root).close()                    # found fresh by its stats: the watcher started
    count = started(directory, ident)
    cache.connect(root).close()                    # found fresh again, now vouched for at `count`
    with monkeypatch.context() as patched:
        no_stats(patched)
        con = cache.connect(root)
        assert title(con).startswith("Deny financing")
        con.close()
    path = root / MEASURE
    path.write_text(path.read_text().replace("Deny financing", "Refuse financing"))
    assert watcher.token(directory, ident) != count
    con = cache.connect(root)                      # (the count moved: the disk is asked)
    assert title(con).startswith("Refuse financing")
    con.close()
    with monkeypatch.context() as patched:         # the refreshed database, vouched for in turn
        no_stats(patched)
        assert title(cache.connect(root)).startswith("Refuse financing")


def test_a_watcher_starts_only_for_a_dataset_of_watch_from_files(watched, monkeypatch):
    root, directory, ident = watched
    monkeypatch.setattr(watcher, "WATCH_FROM", 10_000)
    for _ in range(2):
        cache.connect(root).close()
    time.sleep(0.5)
    assert watcher.token(directory, ident) is None


def test_sanctions_watch_0_turns_the_watcher_off(watched, monkeypatch):
    root, directory, ident = watched
    monkeypatch.setenv("SANCTIONS_WATCH", "0")
    for _ in range(2):
        cache.connect(root).close()
    monkeypatch.delenv("SANCTIONS_WATCH")
    time.sleep(0.5)
    assert watcher.token(directory, ident) is None


@pytest.mark.parametrize("change", ["edit", "add", "remove", "rename", "chmod", "vocabulary", "coverage"])
def test_every_change_scan_could_see_moves_the_count(watched, change):
    root, directory, ident = watched
    watcher.start(root, directory, ident)
    count = started(directory, ident)
    path = root / MEASURE
    if change == "edit":
        with open(path, "a") as handle:
            handle.write("# a comment\n")
    elif change == "add":
        (root / "measures" / "new.yaml").write_text("id: new\n")
    elif change == "remove":
        path.unlink()
    elif change == "rename":
        path.rename(path.with_name("renamed.yaml"))
    elif change == "chmod":
        path.chmod(0o600)
    elif change == "vocabulary":
        with open(root / "vocabularies" / "sectors.yaml", "a") as handle:
            handle.write("\n")
    else:
        with open(root / "coverage.yaml", "a") as handle:
            handle.write("\n")
    assert watcher.token(directory, ident) not in (None, count)


def test_entries_scan_passes_over_leave_the_count(watched):
    root, directory, ident = watched
    watcher.start(root, directory, ident)
    count = started(directory, ident)
    (root / "measures" / ".g7-2022-lending-denial.yaml.swp").write_text("an editor's")
    (root / "README.md").write_text("not data")
    assert watcher.token(directory, ident) == count


@pytest.mark.parametrize("folder", ["measures", "vocabularies"])
def test_a_folder_moved_away_ends_the_watcher(watched, folder):
    root, directory, ident = watched
    watcher.start(root, directory, ident)
    started(directory, ident)
    (root / folder).rename(root / "elsewhere")
    (root / "elsewhere").rename(root / folder)      # (back: the watches are on the one moved)
    assert watcher.token(directory, ident) is None


def test_a_folder_that_comes_after_the_watcher_started_ends_it(watched):
    root, directory, ident = watched
    (root / "instruments").rename(root / "elsewhere")
    watcher.start(root, directory, ident)
    started(directory, ident)
    (root / "elsewhere").rename(root / "instruments")  # (no watch on it: the next watcher's)
    assert watcher.token(directory, ident) is None


@pytest.mark.parametrize("moved", ["itself", "its parent"])
def test_the_dataset_folder_replaced_ends_the_watcher(tmp_path, monkeypatch, watched, moved):
    _, directory, _ = watched
    root = tmp_path / "outer" / "data"
    root.parent.mkdir()
    watched[0].rename(root)
    ident = dataset_id(root)
    watcher.start(root, directory, ident)
    started(directory, ident)
    gone = root if moved == "itself" else root.parent
    gone.rename(tmp_path / "moved")
    root.mkdir(parents=True)                       # (a new, empty folder by the same name)
    try:
        assert watcher.token(directory, ident) is None
    finally:
        watcher.stop(directory, ident)


def test_a_watcher_of_another_user_is_not_asked(watched, monkeypatch):
    root, directory, ident = watched
    watcher.start(root, directory, ident)
    started(directory, ident)
    monkeypatch.setattr(watcher, "_peer_uid", lambda sock: os.getuid() + 1)
    assert watcher.token(directory, ident) is None


def test_a_vouching_file_another_user_could_write_is_not_trusted(watched):
    root, directory, ident = watched
    directory.mkdir(parents=True)
    umask = os.umask(0o002)  # (a umask that leaves new files group-writable)
    try:
        watcher.vouch(directory, ident, "1-a 0", "k")
    finally:
        os.umask(umask)
    assert watcher.vouched(directory, ident, "1-a 0") == "k"
    assert watcher.vouched(directory, ident, "1-a 1") is None
    (directory / f"{ident}.watched").chmod(0o664)
    assert watcher.vouched(directory, ident, "1-a 0") is None


def test_a_second_watcher_of_the_same_dataset_leaves_the_first_in_place(watched):
    root, directory, ident = watched
    watcher.start(root, directory, ident)
    first = started(directory, ident)
    watcher.start(root, directory, ident)
    assert watcher.token(directory, ident) == first


def test_the_cli_prints_the_same_whether_the_watcher_vouches_or_the_disk(watched, cli):
    root, directory, ident = watched
    args = ("query", "--data", root, "--sector", "sovereign_finance", "--format", "json")
    first = cli(*args)
    cli(*args)
    started(directory, ident)
    cli(*args)                                     # (vouched for)
    again = cli(*args)
    assert again.exit_code == 0 and again.output == first.output and '"id"' in first.output


def test_lost_events_end_the_watcher():
    from inotify_simple import flags

    ends = watcher._ends(flags)
    assert watcher.weigh(flags.Q_OVERFLOW, None, "", ends) is None        # (the overflow's wd is -1)
    assert watcher.weigh(flags.Q_OVERFLOW, "measures", "", ends) is None
    assert watcher.weigh(flags.MODIFY, "measures", "a.yaml", ends) == 1


def test_a_watcher_no_command_asks_goes_away(watched, monkeypatch):
    root, directory, ident = watched
    monkeypatch.setattr(watcher, "IDLE_S", 1)
    watcher.start(root, directory, ident)
    started(directory, ident)
    time.sleep(2.5)
    assert watcher.token(directory, ident) is None


def test_a_dataset_with_a_file_linked_elsewhere_is_not_watched(watched, tmp_path):
    """An edit through the other link would raise no event in the watched folders."""
    root, directory, ident = watched
    os.link(root / MEASURE, tmp_path / "elsewhere.yaml")
    watcher.start(root, directory, ident)
    time.sleep(1.0)
    assert watcher.token(directory, ident) is None
