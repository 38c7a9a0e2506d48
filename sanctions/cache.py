"""The built database, cached so that repeated commands never re-parse YAML, and never stale.

Layout: everything lives in `<cache dir>/sanctions-db-1/` (SANCTIONS_CACHE_DIR or the user cache
dir), named by patterns only this module writes: `<dataset>-<key>.duckdb` (one live database per
dataset folder), `<dataset>.index` (marshal: loads several times faster than JSON) and temporary `.<name>.tmp` files. Nothing else there is
ever touched, so pointing SANCTIONS_CACHE_DIR at a busy folder is safe.

The key hashes what the database is built from: every module of the package and each file's
record as validated (facts.made_of), so that an edit to a comment or the layout leaves the
database as it is and costs only a new index (refresh.py). The index remembers each file's stat
with the hash of its bytes (each file is read once: hashed and parsed from the same bytes) and of
its record, as git's index does: when no file's size, mtime, ctime or inode changed, and none
changed so close to the index's writing that a same-timestamp edit could hide, the key is known
without reading anything. A dataset installed inside the package (the wheel's copy) is immutable and needs
no check at all. A database whose file, size or stored key disagrees with the index is rebuilt.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import tempfile
import time
import uuid
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

import duckdb

from .files import PACKAGE_DIR, RECORD_FOLDERS, SINGLE_FILES, file_hash, read_regular, stat_of
from .store import FOLDER, RACY_NS, cache_dir, code_hash, dataset_id  # noqa: F401 (FOLDER: part of this module's API)

KEEP_DATASETS = 8        # databases of this many dataset folders are kept; older ones pruned
_DB_NAME = re.compile(r"^([0-9a-f]{16})-([0-9a-f]{32})\.duckdb(?:\.wal)?$")
_INDEX_NAME = re.compile(r"^([0-9a-f]{16})\.index$")
_TMP_NAME = re.compile(r"^\.[0-9a-f]{16}-[0-9a-f]{32}\.duckdb\.[0-9]+\.[0-9a-f]{8}\.tmp(?:\.wal)?$")

Entry = list  # [size, mtime_ns, ctime_ns, inode, hash of the bytes, of the record (made), mark]
_NO_STAT, _NO_HASH = (-1, -1, -1, -1), "00" * 16


def key_of(made: Iterable[tuple[str, str]]) -> str:
    """The database key: the code, and the data (each file's name and record as validated: (rel,
    made) pairs)."""
    text = "".join(f"{rel}\0{hashed}\n" for rel, hashed in sorted(made))
    return hashlib.blake2b(f"{code_hash()}\n{text}".encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def immutable(root: Path) -> bool:
    """The dataset shipped inside an installed package: it never changes under us."""
    return root.resolve() == (PACKAGE_DIR / "_data").resolve()


@dataclass
class Index:
    """What the last build read: each file's stat and hash, the key, and the database's stat.

    Stored for the warm path: each record folder's stat and listing (every entry scan() looks at,
    sorted, one string) and all the entries' stats as one array, compared with what is on disk in
    a few C-level operations; the hashes, needed only after a change, are decoded only then."""

    key: str
    code: str
    folders: dict[str, list[int]]  # record folder -> [mtime_ns, ctime_ns, inode] before its listing
    listing: dict[str, str]        # record folder -> its entries' names (dot files aside), sorted, "\n"-joined
    stats: bytes                   # array('q'): size, mtime_ns, ctime_ns, inode of each listed
    #                                entry, then of each single file, in that order
    hashes: bytes                  # the 16-byte content hash of each of those (zeros: not a data file)
    made: bytes                    # the 16-byte hash of the record of each of those (facts.made_of)
    marks: bytes                   # the 16-byte mark of each of those (facts.mark_of)
    db: list[int]                  # [size, mtime_ns] of the database file when written
    written: int                   # when the index was written (ns)
    _split: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)  # listings, split

    @classmethod
    def of(cls, key: str | None, root: Path, files: dict[str, Entry], db: list[int], written: int) -> Index:
        """The index of `files` (cache._entries) as found under `root`: each folder's stat, then its
        listing, are taken now (an entry added since changes the folder's stat); the files' stats
        are those of the bytes parsed (a file changed since is then not vouched for). With no
        `key`, the key of the records it indexes (`records_key`)."""
        folders: dict[str, list[int]] = {}
        listing: dict[str, str] = {}
        in_folder: dict[str, dict[str, Entry]] = {}
        for rel, entry in files.items():
            folder, _, name = rel.partition("/")
            in_folder.setdefault(folder, {})[name] = entry
        entries: list[Entry | None] = []
        for folder in RECORD_FOLDERS:
            read = in_folder.get(folder, {})
            try:
                st = os.lstat(root / folder)
                folders[folder] = [st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
                names = sorted(read.keys() | {n for n in os.listdir(root / folder) if not n.startswith(".")})
            except FileNotFoundError:
                if not read:
                    continue
                names = sorted(read)
            listing[folder] = "\n".join(names)  # (a file read but gone since stays listed: never fresh)
            found = list(map(read.get, names))
            for i in [i for i, entry in enumerate(found) if entry is None and not names[i].endswith(".yaml")]:
                try:  # an entry that scan() passes over (a README): its stat now
                    found[i] = [*stat_of(os.lstat(root / folder / names[i])), None, None, None]
                except OSError:
                    pass
            entries += found
        entries += map(files.get, SINGLE_FILES.values())
        # (in C where it can be: this runs after every edit, over every file)
        stats = array("q", chain.from_iterable(e[:4] if e else _NO_STAT for e in entries))  # -1: never a real stat
        hashes = bytes.fromhex("".join(e[4] if e and e[4] else _NO_HASH for e in entries))
        made = bytes.fromhex("".join(e[5] if e and e[5] else _NO_HASH for e in entries))
        marks = bytes.fromhex("".join(e[6] if e and e[6] else _NO_HASH for e in entries))
        index = cls(key or "", code_hash(), folders, listing, stats.tobytes(), hashes, made, marks, db, written)
        index.key = key or index.records_key()
        return index

    def records_key(self) -> str:
        """The database key of the records this index holds (`key_of`; an entry with no record,
        such as a README, has none)."""
        return key_of((rel, self.made[16 * i:16 * i + 16].hex()) for i, rel in enumerate(self.entries())
                      if any(self.made[16 * i:16 * i + 16]))

    def records_changed_since(self, old: Index) -> set[tuple[str, str]] | None:
        """(folder, id) of each record added, removed or changed (its record, not only its file's
        bytes: `made`) since `old`; None when a single file changed. Compared in the arrays, a
        folder whose entries are the same at once (a few memcmp for an edit or two)."""
        singles = 16 * len(SINGLE_FILES)
        if self.made[-singles:] != old.made[-singles:]:
            return None
        out: set[tuple[str, str]] = set()
        at_new = at_old = 0
        for folder in RECORD_FOLDERS:
            new, before = _names(self.listing.get(folder, "")), _names(old.listing.get(folder, ""))
            made_new = self.made[16 * at_new:16 * (at_new + len(new))]
            made_old = old.made[16 * at_old:16 * (at_old + len(before))]
            if new == before:
                pairs = [(new[i], True) for i in differing(made_new, made_old, 16)]
            else:
                was = {name: made_old[16 * i:16 * i + 16] for i, name in enumerate(before)}
                pairs = [(name, was.pop(name, None) != made_new[16 * i:16 * i + 16]) for i, name in enumerate(new)]
                pairs += [(name, True) for name in was]
            out.update((folder, name.removesuffix(".yaml")) for name, moved in pairs
                       if moved and name.endswith(".yaml"))
            at_new, at_old = at_new + len(new), at_old + len(before)
        return out

    def made_at(self, rel: str) -> str | None:
        """The hash of the record indexed for a record file (facts.made_of), or None if none is."""
        folder, _, name = rel.partition("/")
        if folder not in self.listing:
            return None
        names = self._names_of(folder)
        at = bisect_left(names, name)
        if at == len(names) or names[at] != name:
            return None
        for other in self.listing:  # (the entries of the folders listed before come first)
            if other == folder:
                break
            at += len(self._names_of(other))
        digest = self.made[16 * at:16 * at + 16]
        return digest.hex() if any(digest) else None

    def _names_of(self, folder: str) -> list[str]:
        if folder not in self._split:
            self._split[folder] = _names(self.listing[folder])
        return self._split[folder]

    def entries(self) -> list[str]:
        """The relative path of each entry, in the order of `stats` and `hashes`."""
        names = [f"{folder}/{name}" for folder, joined in self.listing.items() for name in _names(joined)]
        return names + list(SINGLE_FILES.values())

    @property
    def files(self) -> dict[str, Entry]:
        """{rel: Entry} of each data file (cache._entries)."""
        stats, out = array("q", self.stats), {}
        for i, rel in enumerate(self.entries()):
            digest = self.hashes[16 * i:16 * i + 16]
            if any(digest):
                out[rel] = [*stats[4 * i:4 * i + 4], digest.hex(), self.made[16 * i:16 * i + 16].hex(),
                            self.marks[16 * i:16 * i + 16].hex()]
        return out

    @classmethod
    def read(cls, path: Path) -> Index | None:
        """The index, or None when missing, unreadable or malformed in any way."""
        try:
            data = marshal.loads(path.read_bytes())
            folders, listing = data["folders"], data["listing"]
            ok = (isinstance(data["key"], str) and isinstance(data["code"], str)
                  and isinstance(folders, dict) and isinstance(listing, dict)
                  and all(isinstance(v, list) and len(v) == 3 for v in folders.values())
                  and all(isinstance(k, str) and isinstance(v, str) for k, v in listing.items())
                  and isinstance(data["stats"], bytes) and isinstance(data["hashes"], bytes)
                  and isinstance(data["made"], bytes) and isinstance(data["marks"], bytes)
                  and isinstance(data["db"], list) and len(data["db"]) == 2
                  and isinstance(data["written"], int))
            if not ok:
                return None
            index = cls(data["key"], data["code"], folders, listing, data["stats"], data["hashes"],
                        data["made"], data["marks"], data["db"], data["written"])
            entries = sum(len(_names(v)) for v in listing.values()) + len(SINGLE_FILES)
            if len(index.stats) != 32 * entries or not (
                    len(index.hashes) == len(index.made) == len(index.marks) == 16 * entries):
                return None
            return index
        except (OSError, ValueError, KeyError, TypeError, EOFError):
            return None

    def write(self, path: Path) -> None:
        from .files import write_atomic_bytes

        write_atomic_bytes(path, marshal.dumps({
            "key": self.key, "code": self.code, "folders": self.folders, "listing": self.listing,
            "stats": self.stats, "hashes": self.hashes, "made": self.made, "marks": self.marks, "db": self.db,
            "written": self.written}))


def differing(now: bytes, then: bytes, width: int, most: int | None = None) -> list[int]:
    """The numbers of the `width`-byte items that differ between two arrays of equal length,
    found by halving (each comparison a memcmp): a few dozen comparisons for one change among
    200,000 items. Stops after `most`."""
    now_view, then_view = memoryview(now), memoryview(then)
    found: list[int] = []
    pending = [(0, len(now) // width)]
    while pending and (most is None or len(found) < most):
        low, high = pending.pop()
        if now_view[low * width:high * width] == then_view[low * width:high * width]:
            continue
        if high - low == 1:
            found.append(low)
            continue
        middle = (low + high) // 2
        pending += [(middle, high), (low, middle)]
    return sorted(found)


def _names(joined: str) -> list[str]:
    return joined.split("\n") if joined else []


class Seen(NamedTuple):
    """What a freshness check saw: every indexed entry's stat and each folder's (stats_now)."""

    stats: array
    folders: dict[str, list[int]]


def fresh_key(root: Path, index: Index | None) -> str | None:
    """The key of the data as it is now, when the index proves it without reading any file."""
    return _fresh(root, index)[0]


def _fresh(root: Path, index: Index | None) -> tuple[str | None, Seen | None]:
    """fresh_key, and what it saw on disk when the index listed the same entries (for refresh.py,
    which would take the stats again).

    Every entry of every record folder and every single file, with one stat each and nothing else
    (this is every warm command's cost): the same entries, and the same size, mtime, ctime and
    inode for each, as in git's index (`stats_now`). A change, or a file changed so close to the
    index's writing that a same-timestamp edit could hide, means "not proven" (or, for the latter,
    its hash is compared). Entries scan() would report (links, folders) never match a recorded stat."""
    if index is None or index.code != code_hash():
        return None, None
    if immutable(root):
        return index.key, None
    folders: dict[str, list[int]] = {}
    try:
        current = stats_now(root, index, folders)
        if current is None:
            return None, None
        seen = Seen(current, folders)
        if current.tobytes() != index.stats:
            return None, seen
        if racy(index, current):
            for rel, entry in index.files.items():  # changed too close to the index's writing:
                if max(entry[1], entry[2]) >= index.written - RACY_NS:  # the stat cannot vouch
                    raw, _ = read_regular(root / rel)
                    if file_hash(raw) != entry[4]:
                        return None, seen
    except OSError:
        return None, None
    return index.key, None


def racy(index: Index, current: array) -> bool:
    """Whether any entry changed so close to the index's writing that its stat cannot vouch."""
    limit = index.written - RACY_NS
    return max(current[1::4], default=0) >= limit or max(current[2::4], default=0) >= limit


def stats_now(root: Path, index: Index, folders: dict[str, list[int]] | None = None) -> array | None:
    """The stat of every entry the index lists, in its order (as `Index.stats`); None when an
    entry was added, removed or renamed since (a folder whose own stat is unchanged, and not racy,
    has the same entries: adding, removing or renaming one changes it). OSError when one is gone.
    Each folder's stat, taken before its entries were compared, goes into `folders`."""
    current = array("q")
    folders = {} if folders is None else folders
    limit = index.written - RACY_NS
    for folder in RECORD_FOLDERS:
        joined = index.listing.get(folder)
        try:
            fd = os.open(root / folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except FileNotFoundError:
            if joined is None:
                continue
            return None
        try:
            if joined is None:
                return None
            st = os.fstat(fd)
            folders[folder] = [st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
            if (folders[folder] != index.folders.get(folder)
                    or max(st.st_mtime_ns, st.st_ctime_ns) >= limit):
                if "\n".join(sorted(n for n in os.listdir(fd) if not n.startswith("."))) != joined:
                    return None
            lstat = os.stat
            for name in _names(joined):
                current.extend(stat_of(lstat(name, dir_fd=fd, follow_symlinks=False)))
        finally:
            os.close(fd)
    for relative in SINGLE_FILES.values():
        current.extend(stat_of(os.lstat(root / relative)))
    return current


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
    index_path = directory / f"{ident}.index"
    index = Index.read(index_path)
    key, seen = _fresh(root, index)
    if seen is not None and index is not None:
        from .refresh import refreshed

        index = refreshed(root, index, index_path, seen)  # (edits that the rules across records do not see)
        key = index.key if index is not None else None
    if key is not None and index is not None:
        con = _open(directory / f"{ident}-{key}.duckdb", key, index)
        if con is not None:
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
    # Not checked against the index: another process may have put the same database in place.
    con = _open(path, key, None)
    return con if con is not None else _private_copy(row_batches(dataset or load_released(root)), key)


class Update(NamedTuple):
    """What brings the last build's database up to date, decided where the data was validated."""

    base: str                         # the key of that database
    changed: set[tuple[str, str]]     # the records that differ from it (Index.records_changed_since)
    counted: dict[str, int]           # records of each kind
    facts: Any = None                 # the facts to take them from, when already loaded (facts.Facts)


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
    new = Index.of(None, root, _entries(dataset), [], 0)
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
    new = Index.of(None, root, _entries(dataset), [], 0)
    return new.key, new, _without_files(dataset)


def _without_files(dataset: Any) -> Any:
    """The dataset without its per-file hashes and stats, which the index now holds: the records
    alone cross to the process that builds (0.1 GB less at 100,000 measures)."""
    dataset.read, dataset.made, dataset.marks = {}, {}, {}
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
            records = Dataset.as_indexed(root, new.made_at, update.counted, update.facts)
            if not update_in_place(base, tmp, records, update.changed, key):
                _remove(tmp)
                return False
            os.replace(tmp, path)
        elif not path.exists():
            return False
        new.db, new.written = _db_stat(path), time.time_ns()
        new.write(index_path)
        _prune(directory, keep=path)
        return True
    except (OSError, duckdb.Error):
        _remove(tmp)
        return False


def _entries(dataset: Any) -> dict[str, Entry]:
    made, marks = dataset.made, dataset.marks
    return {rel: [*entry, made.get(rel, entry[4]), marks.get(rel, _NO_HASH)] for rel, entry in dataset.read.items()}


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
