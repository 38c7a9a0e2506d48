"""The built database, cached so that repeated commands never re-parse YAML, and never stale.

Layout: everything lives in `<cache dir>/sanctions-db-1/` (SANCTIONS_CACHE_DIR or the user cache
dir), named by patterns only this module writes: `<dataset>-<key>.duckdb` (one live database per
dataset folder), `<dataset>.index` (marshal: loads several times faster than JSON),
`<dataset>.watched` (the watcher's count at which the data was last found to be a database's:
watcher.py), a large live database's copy `<dataset>-<key>.duckdb.spare` (spare.py: the next
update starts from it) and temporary `.<name>.tmp` files. Nothing else there is ever touched, so pointing
SANCTIONS_CACHE_DIR at a busy folder is safe.

The key hashes what the database is built from: every module of the package and each file's
record as validated (facts.made_of), so that an edit to a comment or the layout leaves the
database as it is and costs only a new index (refresh.py). The index (file_index.py) remembers
each file's stat with the hash of its bytes (each file is read once: hashed and parsed from the
same bytes) and of its record, as git's index does: when no file's size, mtime, ctime or inode
changed, and none changed so close to the index's writing that a same-timestamp edit could hide,
the key is known without reading anything. On Linux, a large working copy is also watched, and
while the watcher's count of changes is the one vouched for, not even a `stat` is taken
(watcher.py). A dataset installed inside the package (the wheel's copy) is immutable and needs
no check at all. A database whose file, size or stored key disagrees with the index is rebuilt.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import duckdb

from . import spare, watcher
from .file_index import Index, Seen, same_bytes, seen_now, seen_since, unvouched
from .files import PACKAGE_DIR, RECORD_FOLDERS
from .store import FOLDER, cache_dir, code_hash, dataset_id, index_file  # noqa: F401 (FOLDER: part of this module's API)

KEEP_DATASETS = 8        # databases of this many dataset folders are kept; older ones pruned
_DB_NAME = re.compile(r"^([0-9a-f]{16})-([0-9a-f]{32})\.duckdb(?:\.wal|\.spare)?$")
_INDEX_NAME = re.compile(r"^([0-9a-f]{16})\.(?:index|watched)$")
_TMP_NAME = re.compile(r"^\.[0-9a-f]{16}-[0-9a-f]{32}\.duckdb\.(?:[0-9]+\.[0-9a-f]{8}\.tmp(?:\.wal)?|spare\.tmp)$")


def immutable(root: Path) -> bool:
    """The dataset shipped inside an installed package: it never changes under us."""
    return root.resolve() == (PACKAGE_DIR / "_data").resolve()


def fresh_key(root: Path, index: Index | None) -> str | None:
    """The key of the data as it is now, when the index proves it without reading any file."""
    return _fresh(root, index)[0]


def _fresh(root: Path, index: Index | None, names: list[str] | None = None) -> tuple[str | None, Seen | None]:
    """fresh_key, and what it saw on disk otherwise (for refresh.py, which would take the stats
    again): each entry's stat, following the entries listed now (Seen.listing, when they differ).
    With `names`, the entries the watcher saw change since the disk was found to be `index`
    (watcher.changed_since): only those are looked at (file_index.seen_since).

    Every entry of every record folder and every single file, with one stat each and nothing else
    (this is every warm command's cost): the same entries, and the same size, mtime, ctime and
    inode for each, as in git's index (`stats_now`). A change, or a file changed so close to the
    index's writing that a same-timestamp edit could hide, means "not proven" (or, for the latter,
    its hash is compared). Entries scan() would report (links, folders) never match a recorded stat."""
    if index is None or index.code != code_hash():
        return None, None
    if immutable(root):
        return index.key, None
    try:
        seen = _look(root, index, names)
        if seen is None:
            return None, None
        if (seen.listing is not None or seen.stats.tobytes() != index.stats
                or not same_bytes(root, index, unvouched(index, seen.stats))):
            return None, seen
    except OSError:
        return None, None
    return index.key, None


def _look(root: Path, index: Index, names: list[str] | None) -> Seen | None:
    """What the disk holds against `index`: from the entries the watcher names alone, or, with
    none named or one that cannot be looked at alone (gone, or never stat-ed), from every entry."""
    if names is not None:
        try:
            return seen_since(root, index, names)
        except OSError:
            pass
    return seen_now(root, index, relist=True)


def _db_stat(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _open(path: Path, key: str, index: Index | None) -> duckdb.DuckDBPyConnection | None:
    """The database, if it is the one the index describes (when given) and holds `key`."""
    from .db import open_readonly

    try:
        if index is not None and _db_stat(path) != index.db:
            return None
        con = open_readonly(path)
    except (OSError, duckdb.Error):
        return None
    try:
        # fetchall: a partly fetched result would block the caller's next statement (DuckDB 2).
        if con.execute("SELECT key FROM dataset_meta").fetchall() != [(key,)]:
            raise duckdb.Error("wrong key")
        return con
    except duckdb.Error:
        con.close()
        return None


def connect(root: Path) -> duckdb.DuckDBPyConnection:
    """A read-only, sandboxed connection to the dataset's database, built first if needed."""
    directory = cache_dir()
    ident = dataset_id(root)
    fixed = immutable(root)
    count = None if fixed else watcher.token(directory, ident)  # (asked before any look)
    if count is not None:
        key = watcher.vouched(directory, ident, count)
        con = _open(directory / f"{ident}-{key}.duckdb", key, None) if key is not None else None
        if con is not None:
            return con  # (nothing changed since the disk last proved the data this database)
    index_path = index_file(directory, ident)
    index = Index.read(index_path)
    names = None
    if count is not None and index is not None:  # (the entries changed since the watcher vouched)
        names = watcher.changed_since(directory, ident, count, index)
    key, seen = _fresh(root, index, names)
    if seen is not None and index is not None:
        from .refresh import refreshed

        index = refreshed(root, index, index_path, seen)  # (a few files changed, each valid alone)
        key = index.key if index is not None else None
    if key is not None and index is not None:
        con = _open(directory / f"{ident}-{key}.duckdb", key, index)
        if con is not None:
            if count is not None:
                watcher.vouch(directory, ident, count, key, index.written)
            elif len(index.stats) // 32 >= watcher.WATCH_FROM and not fixed:
                watcher.start(root, directory, ident)
            return con
    return _build(root, directory, ident, index_path)


def _build(root: Path, directory: Path, ident: str, index_path: Path) -> duckdb.DuckDBPyConnection:
    from .dataset import no_collection

    with no_collection():  # a large, long-lived heap: each collection would rescan all of it
        return _build_database(root, directory, ident, index_path)


def _build_database(root: Path, directory: Path, ident: str, index_path: Path) -> duckdb.DuckDBPyConnection:
    from . import db
    from .flat_tables import row_batches
    from .validate import apart_if_large, load_released

    # Validated where the validation runs (a child process for a large dataset:
    # validate.apart_if_large), which hands back records only when a full build is needed.
    key, new, update, dataset = apart_if_large(root, _validated, root, directory, ident, index_path)
    done = update is not None and brought_up(root, directory, ident, index_path, key, new, update)
    if not done and dataset is None:  # (validated again: the data may have moved on)
        key, new, dataset = apart_if_large(root, _for_a_build, root)
    path = directory / f"{ident}-{key}.duckdb"
    if dataset is not None:
        tmp = _tmp_for(path)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            db.build(tmp, row_batches(dataset), key)
            os.replace(tmp, path)
            new.db, new.written = _db_stat(path), time.time_ns()
            new.write(index_path)
        except (OSError, duckdb.Error):
            _remove(tmp)
            return _private_copy(row_batches(dataset), key)
    _prune(directory, keep=path)
    spare.make(path)
    # Not checked against the index: another process may have put the same database in place.
    con = _open(path, key, None)
    return con if con is not None else _private_copy(row_batches(dataset or load_released(root)), key)


class Update(NamedTuple):
    """What brings the last build's database up to date, decided where the data was validated."""

    base: str                         # the key of that database
    changed: set[tuple[str, str]]     # the records that differ from it (Index.records_changed_since)
    counted: dict[str, int]           # records of each kind


def _validated(root: Path, directory: Path, ident: str, index_path: Path) -> tuple[str, Index, Update | None, Any]:
    """The valid dataset's key and index, and either what brings the last build's database up to
    date, or (when it cannot be) what a full build needs (Dataset.released; None when it is still
    to be loaded).

    The update itself runs in this process's parent (`brought_up`), whose heap holds no
    validation: after one at 100,000 measures, the update's DuckDB memory came on top of 1.2 GB."""
    from .update import worth_it
    from .validate import load_valid

    # (A dataset found clean as before is not loaded: its files' entries are all this needs of it.)
    dataset = load_valid(root, unless_clean=True).released()  # (what only the checks needed, freed)
    new = index_of(root, dataset)
    key = new.key
    old = Index.read(index_path)
    counted = {kind: dataset.count(kind) for kind in RECORD_FOLDERS}
    if old is not None and _open_intact(directory / f"{ident}-{old.key}.duckdb", old.key, old):
        changed = new.records_changed_since(old)
        if worth_it(changed, sum(counted.values())):
            return key, new, Update(old.key, changed, counted), None
    # (None for one found clean as before, not loaded: the caller loads it, in a fresh process)
    return key, new, None, _without_files(dataset) if dataset.counted is None else None


def _for_a_build(root: Path) -> tuple[str, Index, Any]:
    """The valid dataset's key and index, and what a full build needs."""
    from .validate import load_valid

    dataset = load_valid(root).released()
    new = index_of(root, dataset)
    return new.key, new, _without_files(dataset)


def index_of(root: Path, dataset: Any) -> Index:
    """A build's index of the valid dataset: the validation's own (Dataset.index), when it made
    one, with the key of its records."""
    if dataset.index is None:
        return Index.of(None, root, dataset.read, dataset.made, dataset.marks, [], 0)
    new = replace(dataset.index, db=[], written=0)
    new.key = new.records_key()
    return new


def _without_files(dataset: Any) -> Any:
    """The dataset without its per-file hashes and stats, which the index now holds: the records
    alone cross to the process that builds (0.1 GB less at 100,000 measures)."""
    dataset.read, dataset.made, dataset.marks, dataset.index = {}, {}, {}, None
    return dataset


def brought_up(root: Path, directory: Path, ident: str, index_path: Path, key: str, new: Index,
                update: Update) -> bool:
    """The database of `key` in place and indexed: the last build's (`update.base`) as it is, when
    no record changed (an edit that no record shows), or updated in place (update.py) with the
    changed records taken from the facts, each only if it is the very record validated."""
    from .dataset import Dataset
    from .update import update as update_in_place

    path = directory / f"{ident}-{key}.duckdb"
    base = directory / f"{ident}-{update.base}.duckdb"
    tmp = _tmp_for(path)
    try:
        if update.changed or key != update.base:
            records = Dataset.as_indexed(root, new.made_at, update.counted)
            if not update_in_place(base, tmp, records, update.changed, key, update.base):
                _remove(tmp)
                return False
            os.replace(tmp, path)
        elif not path.exists():
            return False
        new.db, new.written = _db_stat(path), time.time_ns()
        new.write(index_path)
        _prune(directory, keep=path)
        spare.make(path)
        return True
    except (OSError, duckdb.Error):
        _remove(tmp)
        return False


def _tmp_for(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def _open_intact(path: Path, key: str, index: Index) -> bool:
    """Whether the database at `path` is intact, holds `key` and is the one the index describes."""
    if index.code != code_hash():
        return False
    con = _open(path, key, index)
    if con is None:
        return False
    con.close()
    return True


def _private_copy(batches: Any, key: str) -> duckdb.DuckDBPyConnection:
    """When the cache cannot be written: a database file of this process's own, opened read-only
    exactly like the cached one (nothing in memory is writable)."""
    from . import db

    folder = Path(tempfile.mkdtemp(prefix="sanctions-"))
    path = folder / "dataset.duckdb"
    try:
        db.build(path, batches, key)
        return db.open_readonly(path)
    finally:
        _remove(path)  # the open connection keeps the file's data until it closes
        try:
            folder.rmdir()
        except OSError:
            pass


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        try:
            candidate.unlink()
        except OSError:
            pass


def _prune(directory: Path, keep: Path) -> None:
    """Remove this dataset's older databases, and the databases of all but the KEEP_DATASETS most
    recently built datasets; only files whose names this module writes are considered."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    ident = keep.name[:16]
    dated: dict[str, float] = {}
    for name in names:
        path = directory / name
        match = _DB_NAME.match(name)
        if match and path != keep and not name.startswith(keep.name):
            if match.group(1) == ident:
                _remove(path)
                continue
            try:
                dated[match.group(1)] = max(dated.get(match.group(1), 0), path.stat().st_mtime)
            except OSError:
                pass
        elif _TMP_NAME.match(name):
            try:
                if time.time() - path.stat().st_mtime > 3600:  # a crashed build's leftovers
                    path.unlink()
            except OSError:
                pass
    for old in sorted(dated, key=dated.get, reverse=True)[KEEP_DATASETS - 1:]:
        for name in names:
            match = _DB_NAME.match(name) or _INDEX_NAME.match(name)
            if match and match.group(1) == old:
                _remove(directory / name)
