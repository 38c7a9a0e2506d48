"""A spare copy of a large live database, made in the background, so that the next update starts
from it instead of copying the file while the user waits.

An update never writes the live database, which readers may have open: it writes a copy and
puts that in its place (update.py). At 100,000 measures the copy of the 400–530 MB file took
0.3–1.4 s of the next `query` after an edit, as the disk's writeback allowed. Once a build or an
update has put a database in place, a short-lived process of its own copies it to
`<database>.spare` (through a temporary name, so a spare is always whole); the next update
renames the spare to its own working name, and copies the file itself only when there is none.
A live database is never written once in place, so its spare is the same bytes for as long as
it is live. The cache's pruning removes a spare with its database; a copy that ends after its
database was removed removes itself. This makes the cache one database larger, no more.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from .files import PACKAGE_DIR

#: A smaller database (at 10,000 measures: 100 MB) is copied in about 0.1 s: not worth a second copy
#: on disk.
SPARE_FROM = 128 * 2**20
_started: list[tuple[Path, Any]] = []  # (copies started: kept, so none is reported as left
                                       # running; reaped by the next make)


def spare_of(live: Path) -> Path:
    return live.with_name(live.name + ".spare")


def take(live: Path, working: Path) -> bool:
    """Whether the spare of `live` is now at `working` (renamed: no other update can take it)."""
    try:
        os.rename(spare_of(live), working)
        if os.stat(working).st_size == os.stat(live).st_size:
            return True
        os.unlink(working)  # (never expected: a spare is renamed into place whole)
    except OSError:
        pass
    return False


def make(live: Path, working: Path) -> None:
    """Start copying `live` to its spare in the background, through `working` (a temporary name
    the cache's pruning knows), unless it is small or has one."""
    import subprocess  # (not on every command's start-up path)

    global _started
    _started = [(path, p) for path, p in _started if p.poll() is None]
    try:
        if (os.stat(live).st_size < SPARE_FROM or os.path.exists(spare_of(live))
                or any(path == live for path, _ in _started)):
            return
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, [str(PACKAGE_DIR.parent), os.environ.get("PYTHONPATH")]))}
        _started.append((live, subprocess.Popen(
            [sys.executable, "-m", "sanctions.spare", str(live), str(working)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd="/", env=env, start_new_session=True)))
    except (OSError, subprocess.SubprocessError):
        pass


def copy(live: Path, working: Path) -> None:
    """The background process's work: the copy, put in place whole, and removed again if the
    database it copies was removed meanwhile."""
    spare = spare_of(live)
    try:
        shutil.copyfile(live, working)
        os.replace(working, spare)
        if not live.exists():
            os.unlink(spare)
    except OSError:
        for leftover in (working, spare if not live.exists() else None):
            try:
                if leftover is not None:
                    os.unlink(leftover)
            except OSError:
                pass


if __name__ == "__main__":
    copy(Path(sys.argv[1]), Path(sys.argv[2]))
