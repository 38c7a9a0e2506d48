"""Where cached things live, and what makes them stale: the cache folder, the package's code hash
and a dataset folder's identity. Shared by the database cache (cache.py) and the per-file facts
(facts.py); imports nothing heavy.
"""

from __future__ import annotations

import hashlib
import os
import stat
from functools import cache
from pathlib import Path
from typing import Any

from . import __version__
from .errors import UsageError
from .files import PACKAGE_DIR

FOLDER = "sanctions-db-1"
#: A file whose stat changed this close to when the stat was recorded may hide a same-timestamp
#: edit: its stat cannot vouch for it, and it is read again (git's "racy" files).
RACY_NS = 2_000_000_000


def cache_dir() -> Path:
    """Where databases are kept: $SANCTIONS_CACHE_DIR, else the user's cache directory."""
    chosen = os.environ.get("SANCTIONS_CACHE_DIR")
    if chosen:
        try:
            chosen.encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError("SANCTIONS_CACHE_DIR is not valid UTF-8",
                             hint="name a folder whose path is UTF-8") from None
        return Path(chosen) / FOLDER
    import platformdirs

    return Path(platformdirs.user_cache_dir("sanctions", appauthor=False)) / FOLDER


def index_file(directory: Path, ident: str) -> Path:
    """The database cache's index of a dataset (cache.py; read by the watcher's look, watcher.seen)."""
    return directory / f"{ident}.index"


@cache
def code_hash() -> str:
    """Every module of the package: a new module or any edit gives new databases."""
    digest = hashlib.blake2b(__version__.encode(), digest_size=16)
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def dataset_id(root: Path) -> str:
    return hashlib.blake2b(str(root.resolve()).encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()




def content_hash_of(files: dict[str, Any]) -> str:
    """SHA-256 over every file's path and content hash (entry[4] of dataset.read): equal for equal
    data, whatever the code or the date. The export publishes it; the cache key builds on it."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(f"{rel}\0{files[rel][4]}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def child_env() -> dict[str, str]:
    """The environment of a process of ours (`python -m sanctions.…`): this package importable
    from it, installed or not."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_DIR.parent),
                                                                     os.environ.get("PYTHONPATH")]))}


def read_own(path: Path) -> bytes | None:
    """A cached file, if it is ours alone (else None: one another user could write is never trusted)."""
    handle = open_own(path)
    if handle is None:
        return None
    with handle:
        return handle.read()


def open_own(path: Path) -> Any:
    """The file opened for reading, if it is ours alone (else None: never unpickled nor trusted)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    st = os.fstat(fd)
    if st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")
