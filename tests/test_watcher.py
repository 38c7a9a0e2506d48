"""The watcher of a large working copy: a warm command that it vouches for takes no `stat`, and
every change it cannot vouch for sends the command back to the disk."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from sanctions import cache, file_index, watcher
from sanctions.store import dataset_id, index_file

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


def change(root: Path, kind: str) -> None:
    path = root / MEASURE
    if kind == "edit":
        path.write_text(path.read_text().replace("Deny financing", "Refuse financing"))
    elif kind == "add":
        (root / "measures" / "g7-2022-lending-denial-again.yaml").write_text(
            path.read_text().replace("id: g7-2022-lending-denial\n", "id: g7-2022-lending-denial-again\n"))
    elif kind == "remove":
        path.unlink()
    elif kind == "rename":
        path.rename(path.with_name("renamed.yaml"))
    elif kind == "chmod":
        path.chmod(0o600)
    elif kind == "vocabulary":
        with open(root / "vocabularies" / "sectors.yaml", "a") as handle:
            handle.write("\n")
    elif kind == "coverage":
        with open(root / "coverage.yaml", "a") as handle:
            handle.write("\n")
    elif kind == "readme":
        (root / "measures" / "README").write_text("not a record")


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


@pytest.mark.parametrize("kind", ["edit", "add", "remove", "rename", "chmod", "vocabulary", "coverage"])
def test_every_change_scan_could_see_moves_the_count(watched, kind):
    root, directory, ident = watched
    watcher.start(root, directory, ident)
    count = started(directory, ident)
    change(root, kind)
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
        watcher.vouch(directory, ident, "1-a 0", "k", 1)
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


def vouched_for(root: Path, directory: Path, ident: str) -> file_index.Index:
    """Built, found fresh (the watcher started), found fresh again (vouched for): the index."""
    for _ in range(2):
        cache.connect(root).close()
    started(directory, ident)
    cache.connect(root).close()
    return file_index.Index.read(index_file(directory, ident))


@pytest.mark.parametrize("kind", ["edit", "add", "remove", "rename", "chmod", "vocabulary", "coverage", "readme"])
def test_the_entries_the_watcher_saw_change_give_what_a_look_at_the_disk_sees(watched, kind):
    root, directory, ident = watched
    index = vouched_for(root, directory, ident)
    change(root, kind)
    names = watcher.changed_since(directory, ident, watcher.token(directory, ident), index)
    assert names is not None and len(names) <= 2
    by_watcher = file_index.seen_since(root, index, names)
    on_disk = file_index.seen_now(root, index, relist=True)
    assert by_watcher.stats == on_disk.stats and by_watcher.listing == on_disk.listing
    assert by_watcher.folders == on_disk.folders


@pytest.mark.parametrize("kind", ["edit", "add", "remove"])
def test_after_an_edit_the_next_command_looks_only_at_what_changed(watched, monkeypatch, tmp_path, kind):
    """The database, and `validate`'s report, are those of a look at every file."""
    from test_update import contents, from_nothing

    from sanctions import clean, validate

    root, directory, ident = watched
    again = root / "measures" / "g7-2022-lending-denial-again.yaml"
    if kind == "remove":
        change(root, "add")
    vouched_for(root, directory, ident)
    if kind == "remove":
        again.unlink()  # (a record no other refers to)
    else:
        change(root, kind)
    with monkeypatch.context() as patched:
        patched.setattr(cache, "seen_now", lambda *a, **k: pytest.fail("the disk was looked at"))
        patched.setattr(clean, "seen_now", lambda *a, **k: pytest.fail("the disk was looked at"))
        named = [again] if kind == "add" else []
        report = validate.validate(root, named)
        con = cache.connect(root)
        assert contents(con) == from_nothing(root, tmp_path)
        con.close()
    assert report.problems == [] and report.checked.startswith("1 file") == bool(named)


def test_names_are_not_trusted_for_another_index_or_another_watcher(watched):
    root, directory, ident = watched
    index = vouched_for(root, directory, ident)
    count = watcher.token(directory, ident)
    assert watcher.changed_since(directory, ident, count, index) == []
    rewritten = file_index.Index.parse(index_file(directory, ident).read_bytes())
    rewritten.written += 1  # (an index written since, by a command the watcher did not vouch for)
    assert watcher.changed_since(directory, ident, count, rewritten) is None
    watcher.stop(directory, ident)
    watcher.start(root, directory, ident)
    assert watcher.changed_since(directory, ident, started(directory, ident), index) is None


def test_the_watcher_names_the_entries_changed_after_a_count_while_it_keeps_them(watched, monkeypatch):
    import threading

    root, directory, ident = watched
    monkeypatch.setattr(watcher, "NAMES_KEPT", 2)
    address = watcher._address(directory, ident)
    threading.Thread(target=watcher.serve, args=(root, address, 30), daemon=True).start()
    count = started(directory, ident)
    change(root, "edit")
    at = int(watcher.token(directory, ident).partition(" ")[2])
    change(root, "vocabulary")
    reply = watcher._ask(address, b"since %d\n" % at).decode()
    assert reply.partition("\n")[2] == "vocabularies/sectors.yaml"
    assert set(watcher._ask(address, b"since 0\n").decode().split("\n")[1:]) == {
        MEASURE, "vocabularies/sectors.yaml"}
    change(root, "coverage")
    change(root, "readme")                         # (a third entry: beyond NAMES_KEPT)
    assert watcher._ask(address, b"since 0\n").decode().endswith("\n*")
    assert watcher._ask(address, b"since %d\n" % (at + 99)).decode().endswith("\n*")  # (a count to come)
    assert count != watcher.token(directory, ident)


def test_when_the_changed_entries_cannot_be_looked_at_alone_the_disk_is_looked_at_whole(watched, monkeypatch):
    root, directory, ident = watched
    vouched_for(root, directory, ident)
    change(root, "edit")

    def cannot(*args: object) -> None:
        raise FileNotFoundError("an entry indexed with no stat")

    monkeypatch.setattr(cache, "seen_since", cannot)
    monkeypatch.setattr(cache, "_build", lambda *a: pytest.fail("built"))
    assert title(cache.connect(root)).startswith("Refuse financing")


def test_validate_looks_only_at_what_changed_when_its_index_lists_other_entries(watched, monkeypatch):
    """The database's index lists what is on disk, the validation's a record since removed."""
    from sanctions import clean, validate

    root, directory, ident = watched
    vouched_for(root, directory, ident)
    change(root, "add")
    assert validate.validate(root, []).problems == []  # (the validation's index lists it now)
    (root / "measures" / "g7-2022-lending-denial-again.yaml").unlink()
    monkeypatch.setattr(clean, "seen_now", lambda *a, **k: pytest.fail("the disk was looked at"))
    report = validate.validate(root, [root / MEASURE])
    assert report.problems == [] and report.checked.startswith("1 file against")
