"""A spare copy of a large live database, made in the background, so that the next update starts
from it instead of copying the file while the user waits.

An update never writes the live database, which readers may have open: it writes a copy and
puts that in its place (update.py). At 100,000 measures the copy of the 400–530 MB file took
0.3–1.4 s of the next `query` after an edit, as the disk's writeback allowed. Once a build or an
update has put a database in place, a short-lived process of its own copies it to
`<database>.spare` (through a temporary name it holds a lock on, so a spare is always whole);
the next update renames the spare to its own working name, waiting for a copy under way (it is
further on than one begun then), and copies the file itself only when there is none.
A live database is never written once in place, so its spare is the same bytes for as long as
it is live. The cache's pruning removes a spare with its database; a copy that ends after its
database was removed removes itself. This makes the cache one database larger, no more.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from .store import child_env

#: A smaller database (at 10,000 measures: 100 MB) is copied in about 0.1 s: not worth a second copy
#: on disk.
SPARE_FROM = 128 * 2**20
WAIT_S = 10  # for a copy under way: it takes 0.3–1.9 s at 100,000 measures
_started: list[tuple[Path, Any]] = []  # (copies started: kept, so none is reported as left
                                       # running; reaped by the next make)


def spare_of(live: Path) -> Path:
    return live.with_name(live.name + ".spare")


def _copying(live: Path) -> Path:
    """Where the copy is made, locked (flock) by the process making it until the spare is in place."""
    return live.with_name(f".{live.name}.spare.tmp")


def take(live: Path, working: Path) -> bool:
    """Whether the spare of `live` is now at `working` (renamed: no other update can take it).
    A copy under way is waited for, up to WAIT_S: it is further on than a copy begun now."""
    _wait_for_copy(live)
    try:
        os.rename(spare_of(live), working)
        if os.stat(working).st_size == os.stat(live).st_size:
            return True
        os.unlink(working)  # (never expected: a spare is renamed into place whole)
    except OSError:
        pass
    return False


def _wait_for_copy(live: Path) -> None:
    try:
        import fcntl

        fd = os.open(_copying(live), os.O_RDONLY | os.O_NOFOLLOW)
    except (ImportError, OSError):
        return  # (no copy under way)
    try:
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return  # (done, or given up: its lock is gone with its process)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.01)
    finally:
        os.close(fd)


def make(live: Path) -> None:
    """Start copying `live` to its spare in the background, unless it is small or has one."""
    import subprocess  # (not on every command's start-up path)

    global _started
    _started = [(path, p) for path, p in _started if p.poll() is None]
    try:
        if (not sys.executable or os.stat(live).st_size < SPARE_FROM or os.path.exists(spare_of(live))
                or any(path == live for path, _ in _started)):
            return
        _started.append((live, subprocess.Popen(
            [sys.executable, "-m", "sanctions.spare", str(live)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd="/", env=child_env(), start_new_session=True)))
    except (OSError, subprocess.SubprocessError):
        pass


def copy(live: Path) -> None:
    """The background process's work: the copy, made under its lock (one at a time; an update
    waits for it), put in place whole, and removed again if the database it copies was removed
    meanwhile."""
    import fcntl

    working, spare = _copying(live), spare_of(live)
    try:
        fd = os.open(working, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return  # (another copy of it is under way)
    try:
        if not spare.exists():
            shutil.copyfile(live, working)
            os.replace(working, spare)
    except OSError:
        _unlink(working)
    finally:
        if not live.exists():
            _unlink(spare)  # (its database removed meanwhile)
        os.close(fd)  # (the lock released: an update waiting takes the spare)


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


if __name__ == "__main__":
    copy(Path(sys.argv[1]))
