"""What the last run learnt of each file, so that an unchanged file is not read, parsed or
validated again: its stat, the hash of its bytes, its validated record (packed: revived only when
wanted) and its digest for the rules across records.

Only files that were valid on their own and against the vocabularies are kept (an invalid file is
always read again, to report it). A fact holds while the file is unchanged (its size, mtime, ctime
and inode are those recorded, as in git's index; one changed so close to the recording that a
same-timestamp edit could hide is read again), the vocabularies are those it was checked against,
and the day is the day of its check or later (record_checks.py says why later is safe).
The facts of a dataset folder are split into shards by file name, so that one edit rewrites one
shard; each shard carries the package's code hash and is ignored under other code. A shard is two
files, named by its number in hex: its index (`NN.index`: stat, hashes, ID, mark of each file) and
its bulk (`NN.pickle`: each record and digest, tagged with the hash of the bytes it was taken
from). The bulk, most of the bytes, is read only when a record or digest is wanted; a few files
(an update's records, an edited file's facts) cost a few shards. The rules across records run
over every record's digest, unless they found nothing in a dataset that gave exactly the same
marks (file names, IDs, digests; the single files' bytes) under the same code: then nothing
they see has changed (`found_nothing_before`).

Shards are pickles in the user's private cache folder: one not owned by the user, or writable by
others, is never loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from .files import Stat, write_atomic_bytes
from .store import RACY_NS, cache_dir, code_hash, dataset_id, open_own, read_own

SHARDS = 256  # (at 200,000 files, 800 to a shard: an update's dozen records read a dozen small shards)
KEEP_DATASETS = 8  # the facts of this many dataset folders are kept, the most recently saved
# The shards, the rules' clean fingerprint (`clear`), the dataset's index when clean (clean.py) and
# the rules' summaries (recheck.py).
_OWN_FILE = re.compile(r"^(?:[0-9a-f]{2}\.(?:index|pickle)|clear|clean\.index|rules-[0-9a-f]{32}\.summary)$")
_FOLDER_NAME = re.compile(r"^[0-9a-f]{16}\.facts$")


class Fact(NamedTuple):
    """What the index keeps of a file."""

    stat: Stat
    hash: str
    id: str | None
    context: str      # the vocabularies it was checked against (record_checks.Context.key)
    checked_on: int   # the day it was checked (ordinal): its verdict holds on that day and after
    recorded: int     # time.time_ns() when recorded
    mark: bytes       # what the rules across records see of it (its name, ID, digest, or bytes), hashed
    made: str         # what the database is built from: its record (made_of), whatever its comments

    def holds_for(self, st: Stat, context: str, today: dt.date) -> bool:
        return (st == self.stat and self.recorded - st[1] > RACY_NS and context == self.context
                and self.checked_on <= today.toordinal())


class Held(NamedTuple):
    """What the bulk keeps of a file: used only when its hash is the index's (the two files of a
    shard are written one after the other, and a run may stop between them)."""

    hash: str
    record: bytes     # the record packed (dataset.Packed), revived only when its model is wanted
    digest: Any       # what the rules across records need (digest.py)


def mark_of(rel: str, record_id: str | None, digest: Any, content_hash: str) -> bytes:
    """What the rules across records see of a file (its name, ID and digest; a single file's
    bytes), hashed: two files with one mark cannot differ for them."""
    seen = repr((rel, record_id, digest) if digest is not None else (rel, content_hash))  # (a pickle can vary)
    return hashlib.blake2b(seen.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def made_of(record: bytes) -> str:
    """The hash of a record as validated (dataset.Packed's bytes): equal for files that differ only
    in comments or layout, which the database never sees."""
    return hashlib.blake2b(record, digest_size=16).hexdigest()


def folder_of(root: Path) -> Path:
    """Where the facts of a dataset folder are kept."""
    return cache_dir() / f"{dataset_id(root)}.facts"


def _shard(rel: str) -> int:
    return hashlib.blake2b(rel.encode("utf-8", "surrogateescape"), digest_size=2).digest()[0] % SHARDS


class Facts:
    """The facts of one dataset folder: the index read whole (`load`) or shard by shard, the bulk
    shard by shard, each when wanted; updated, and written back shard by shard."""

    def __init__(self, root: Path):
        self.folder = folder_of(root)
        self.known: dict[str, Fact] = {}
        self.served: set[str] = set()  # files answered from the facts in this run
        self._index: list[dict[str, Fact]] = [{} for _ in range(SHARDS)]  # `known`, as stored
        self._bulk: list[dict[str, Held] | None] = [None] * SHARDS        # None: not read yet
        self._dirty: set[int] = set()
        self._loaded: set[int] = set()  # shards of the index read

    def load(self) -> Facts:
        """The whole index. (Called with the collector off: see dataset.no_collection.)"""
        for index in range(SHARDS):
            self._ensure(index)
        return self

    def _ensure(self, index: int) -> None:
        """One shard of the index read, if not yet: a few files' facts cost a few shards."""
        if index not in self._loaded:
            self._loaded.add(index)
            facts = self._read(index, "index")
            if facts is not None:
                self.known.update(facts)
                self._index[index] = facts

    def record(self, rel: str, made: str) -> bytes | None:
        """The record kept for a file (packed), if it is the one whose hash is `made`: an update
        takes the very records validated (dataset.Dataset.as_indexed), which needs no fact."""
        held = self.kept(rel)
        return held.record if held is not None and made_of(held.record) == made else None

    def _read(self, index: int, part: str) -> dict | None:
        handle = open_own(self.folder / f"{index:02x}.{part}")
        if handle is None:
            return None
        try:
            with handle:
                stored_code, facts = pickle.load(handle)
        except Exception:  # a damaged or foreign shard: as if absent
            self._dirty.add(index)
            return None
        return facts if stored_code == code_hash() and isinstance(facts, dict) else None

    def _bulk_of(self, index: int) -> dict[str, Held]:
        bulk = self._bulk[index]
        if bulk is None:
            bulk = self._bulk[index] = self._read(index, "pickle") or {}
        return bulk

    def kept(self, rel: str) -> Held | None:
        """What the bulk keeps of a file, whichever bytes it was taken from (compare Held.hash)."""
        return self._bulk_of(_shard(rel)).get(rel)

    def every_held(self) -> Iterator[tuple[str, Held]]:
        """Every file's Held, read shard by shard and none kept: for the rules across records,
        which want only the digests."""
        for index in range(SHARDS):
            yield from (self._read(index, "pickle") or {}).items()

    def get(self, rel: str, st: Stat, context: str, today: dt.date) -> Fact | None:
        """The file's fact, if it holds for the file as it is now."""
        fact = self.known.get(rel)
        return fact if fact is not None and fact.holds_for(st, context, today) else None

    def held(self, rel: str, fact: Fact) -> Held | None:
        """The record and digest behind a fact that holds (and the file counted as served)."""
        held = self.kept(rel)
        if held is None or held.hash != fact.hash:
            return None
        self.served.add(rel)
        return held

    def put(self, rel: str, st: Stat, content_hash: str, record_id: str | None, record: bytes,
            digest: Any, context: str, today: dt.date) -> None:
        mark = mark_of(rel, record_id, digest, content_hash)
        index = _shard(rel)
        self._ensure(index)
        self.known[rel] = self._index[index][rel] = Fact(st, content_hash, record_id, context, today.toordinal(),
                                                         time.time_ns(), mark, made_of(record))
        self._bulk_of(index)[rel] = Held(content_hash, record, digest)
        self._dirty.add(index)

    def keep_only(self, rels: Iterable[str]) -> None:
        """Forget files that are gone (or invalid now)."""
        wanted = set(rels)
        self.load()
        for rel in [r for r in self.known if r not in wanted]:
            del self.known[rel]
            index = _shard(rel)
            self._index[index].pop(rel, None)
            self._dirty.add(index)

    def save(self) -> None:
        """Write the shards that changed, the bulk before the index; a failure to write costs only
        speed next time."""
        if not self._dirty:
            return
        code = code_hash()
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            for index in sorted(self._dirty):
                facts = self._index[index]
                bulk = {rel: held for rel, held in self._bulk_of(index).items() if rel in facts}
                for part, content in (("pickle", bulk), ("index", facts)):
                    path = self.folder / f"{index:02x}.{part}"
                    write_atomic_bytes(path, pickle.dumps((code, content), protocol=pickle.HIGHEST_PROTOCOL))
                    os.chmod(path, 0o600)
        except OSError:
            return
        self._dirty.clear()
        _prune(self.folder.parent, keep=self.folder)


def fingerprint(marks: list[bytes]) -> str:
    """What the rules across records see of a whole dataset: every file's mark, in the dataset's
    order, hashed (128 bits each: two versions of a file with one mark cannot be made)."""
    return hashlib.blake2b(b"".join(marks), digest_size=16).hexdigest()


def found_nothing_before(root: Path, seen: str) -> bool:
    """Whether the rules across records found nothing in a dataset they saw exactly so, under this
    code: their outcome is a function of what they see, so they need not run again."""
    return read_own(folder_of(root) / "clear") == f"{code_hash()} {seen}".encode("ascii")


def remember_found_nothing(root: Path, seen: str) -> None:
    folder = folder_of(root)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic_bytes(folder / "clear", f"{code_hash()} {seen}".encode("ascii"))
        os.chmod(folder / "clear", 0o600)
    except OSError:
        pass


def _prune(directory: Path, keep: Path) -> None:
    """Forget the facts of all but the most recently saved dataset folders; only folders and
    files named as this module names them are ever removed."""
    try:
        folders = [p for p in directory.iterdir() if _FOLDER_NAME.match(p.name) and p != keep and p.is_dir()]
        folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in folders[KEEP_DATASETS - 1:]:
        try:
            for shard in old.iterdir():
                if _OWN_FILE.match(shard.name):
                    shard.unlink()
            old.rmdir()
        except OSError:
            pass
