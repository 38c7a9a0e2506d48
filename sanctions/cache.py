"""The built database, cached by content so that repeated commands never re-parse YAML.

The key hashes every data file and the code that shapes the database, so a cache is never stale.
Files live in the user's cache directory (SANCTIONS_CACHE_DIR overrides), are written to a
temporary name and renamed into place (two processes building at once both succeed), and are
rebuilt when unreadable. When nothing can be written, the database is built in memory instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

import duckdb

from . import __version__
from .files import PACKAGE_DIR

#: Modules whose code decides what the database holds.
CODE_FILES = ("models.py", "lifecycle.py", "flat_tables.py", "db.py", "checks.py", "dataset.py", "io.py")
DATA_FOLDERS = ("measures", "sources", "instruments", "vocabularies")
KEEP = 8  # cached databases kept; older ones are removed


def cache_dir() -> Path:
    chosen = os.environ.get("SANCTIONS_CACHE_DIR")
    if chosen:
        return Path(chosen)
    import platformdirs

    return Path(platformdirs.user_cache_dir("sanctions", appauthor=False))


RACY_NS = 2_000_000_000  # files changed this close to the memo's writing are always re-read


def fingerprint(root: Path) -> str:
    """A content hash of the dataset and of the code that builds its database.

    Each file's own hash is remembered with its (size, mtime, ctime, inode), as git's index does:
    any write changes ctime, so an unchanged stat means unchanged content and the file need not
    be read again. Files modified within RACY_NS of the memo are re-read regardless.
    """
    digest = hashlib.blake2b(digest_size=16)
    digest.update(__version__.encode())
    for name in CODE_FILES:
        digest.update((PACKAGE_DIR / name).read_bytes())
    memo_path = cache_dir() / "index" / (hashlib.blake2b(str(root.resolve()).encode(),
                                                         digest_size=8).hexdigest() + ".json")
    memo, written = _read_memo(memo_path)
    fresh: dict[str, list] = {}
    for folder in DATA_FOLDERS:
        directory = root / folder
        if not directory.is_dir():
            continue
        with os.scandir(directory) as entries:
            files = sorted((e for e in entries if e.name.endswith(".yaml")), key=lambda e: e.name)
        for entry in files:
            rel = f"{folder}/{entry.name}"
            st = entry.stat()
            key = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
            old = memo.get(rel)
            if old and old[:4] == key and max(st.st_mtime_ns, st.st_ctime_ns) < written - RACY_NS:
                file_hash = old[4]
            else:
                file_hash = hashlib.blake2b(Path(entry.path).read_bytes(), digest_size=16).hexdigest()
            fresh[rel] = [*key, file_hash]
            digest.update(f"\0{rel}\0{file_hash}".encode())
    if fresh != memo:
        _write_memo(memo_path, fresh)
    return digest.hexdigest()


def _read_memo(path: Path) -> tuple[dict[str, list], int]:
    try:
        written = path.stat().st_mtime_ns
        return json.loads(path.read_text()), written
    except (OSError, ValueError):
        return {}, 0


def _write_memo(path: Path, files: dict[str, list]) -> None:
    from .files import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(files))
    except OSError:
        pass  # an unwritable cache only costs reading the files again next time


def _usable(path: Path) -> duckdb.DuckDBPyConnection | None:
    from .db import open_readonly

    try:
        con = open_readonly(path)
        con.execute("SELECT count(*) FROM measures").fetchone()
        return con
    except (duckdb.Error, OSError):
        return None


def connect(root: Path) -> duckdb.DuckDBPyConnection:
    """A read-only, sandboxed connection to the dataset's database, built first if needed."""
    directory = cache_dir()
    path = directory / f"{fingerprint(root)}.duckdb"
    if path.exists():
        con = _usable(path)
        if con is not None:
            return con
        _remove(path)  # corrupt or from an incompatible DuckDB: rebuild it
    return _build(root, directory, path)


def _build(root: Path, directory: Path, path: Path) -> duckdb.DuckDBPyConnection:
    from . import db
    from .flat_tables import build_rows
    from .validate import load_valid

    rows = build_rows(load_valid(root))
    tmp = directory / f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        db.build(tmp, rows)
        os.replace(tmp, path)
    except (OSError, duckdb.Error):
        _remove(tmp)
        return db.open_in_memory(rows)
    _prune(directory, keep=path)
    con = _usable(path)
    return con if con is not None else db.open_in_memory(rows)


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        try:
            candidate.unlink()
        except OSError:
            pass


def _prune(directory: Path, keep: Path) -> None:
    try:
        built = sorted(directory.glob("*.duckdb"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in [p for p in built if p != keep][KEEP - 1:]:
        _remove(old)
