"""What a run saw of a data folder, as git's index does: each entry's stat, the hash of its bytes,
of its record as validated (facts.made_of) and its mark (facts.mark_of), in arrays that the next
run compares with what is on disk in a few C-level operations.

Two indexes are kept: the database cache's (cache.py: which build a database holds) and the
validation's (clean.py: the dataset as every check last found it clean). Each tells, from one
`stat` per entry and nothing read, whether the data is still what it indexed, and which few
entries moved (changes.py checks those alone).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import signal
import threading
import time
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain, repeat
from pathlib import Path
from typing import NamedTuple

from .files import RECORD_FOLDERS, SINGLE_FILES, Stat, file_hash, read_regular, stat_of, write_atomic_bytes
from .store import RACY_NS, code_hash

Entry = list  # [size, mtime_ns, ctime_ns, inode, hash of the bytes, of the record (made), mark]
_NO_STAT, _NO_HASH, _ZERO = (-1, -1, -1, -1), "00" * 16, bytes(16)


@dataclass
class Index:
    """What a run read of every file: its stat and hashes, and the key of what it vouches for (the
    database cache's: which database; the validation's: the day the dataset was found clean).

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
    db: list[int]                  # [size, mtime_ns] of the database file when written ([]: none)
    written: int                   # as of when its stats vouch (ns; the racy window is before it)
    _split: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)  # listings, split

    @classmethod
    def of(cls, key: str | None, root: Path, read: dict[str, tuple], made: dict[str, str], marks: dict[str, str],
           db: list[int], written: int) -> Index:
        """The index of the files read (a Dataset's `read`, `made` and `marks`) as found under
        `root`: each folder's stat, then its listing, are taken now (an entry added since changes
        the folder's stat); the files' stats are those of the bytes parsed (a file changed since
        is then not vouched for). With no `key`, the key of the records it indexes (`records_key`)."""
        in_folder: dict[str, list[str]] = {}
        for rel in read:
            folder, _, name = rel.partition("/")
            in_folder.setdefault(folder, []).append(name)
        folders: dict[str, list[int]] = {}
        listing: dict[str, str] = {}
        rels: list[str] = []
        for folder in RECORD_FOLDERS:
            names = in_folder.get(folder, [])
            try:
                folders[folder] = _folder_stat(os.lstat(root / folder))
                names = sorted(set(names).union(n for n in os.listdir(root / folder) if not n.startswith(".")))
            except FileNotFoundError:
                if not names:
                    continue
                names = sorted(names)
            listing[folder] = "\n".join(names)  # (a file read but gone since stays listed: never fresh)
            rels += [f"{folder}/{name}" for name in names]
        rels += SINGLE_FILES.values()
        found = list(map(read.get, rels))
        for i in [i for i, entry in enumerate(found) if entry is None and not rels[i].endswith(".yaml")]:
            try:  # an entry that scan() passes over (a README): its stat now
                found[i] = (*stat_of(os.lstat(root / rels[i])), None)
            except OSError:
                pass
        # (in C where it can be: this runs after every full validation, over every file)
        stats = array("q", chain.from_iterable(e[:4] if e else _NO_STAT for e in found))  # -1: never a real stat
        hashes = bytes.fromhex("".join(e[4] if e and e[4] else _NO_HASH for e in found))
        records = bytes.fromhex("".join(made.get(rel) or (e[4] if e and e[4] else _NO_HASH)
                                        for rel, e in zip(rels, found)))
        seen = bytes.fromhex("".join(map(marks.get, rels, repeat(_NO_HASH))))
        index = cls(key or "", code_hash(), folders, listing, stats.tobytes(), hashes, records, seen, db, written)
        index.key = key if key is not None else index.records_key()
        return index

    def relisted(self, listing: dict[str, str]) -> Index:
        """This index over other entries (each folder's names, as `listing`): an entry in both
        keeps its stat and hashes, a new one has none (never fresh), a gone one is dropped."""
        parts: list[tuple[int, int]] = []  # (entry number here, or -1 for none; how many)
        at = 0
        for folder in RECORD_FOLDERS:
            before, after = self._names_of(folder) if folder in self.listing else [], _names(listing.get(folder, ""))
            if before == after:
                parts.append((at, len(before)))
            else:
                parts += _runs(before, after, at)
            at += len(before)
        parts.append((at, len(SINGLE_FILES)))

        def laid(array_bytes: bytes, width: int, blank: bytes) -> bytes:
            return b"".join(array_bytes[width * i:width * (i + n)] if i >= 0 else blank for i, n in parts)

        no_stat = array("q", _NO_STAT).tobytes()
        return Index(self.key, self.code, self.folders,
                     {folder: listing[folder] for folder in RECORD_FOLDERS if folder in listing},
                     laid(self.stats, 32, no_stat), laid(self.hashes, 16, _ZERO), laid(self.made, 16, _ZERO),
                     laid(self.marks, 16, _ZERO), self.db, self.written)

    def records_key(self) -> str:
        """The database key: the code, and each record file's name and record as validated
        (`made`), in the index's order (an entry with no record, such as a README, has no part in
        it). Hashed from the arrays as they are: this runs after every edit, over every file."""
        listing, made = self.listing, self.made
        empty = set(_empty_at(made))
        if empty:  # (entries with no record are rare: they are left out one by one)
            made = b"".join(made[16 * i:16 * i + 16] for i in range(len(made) // 16) if i not in empty)
            listing, at = {}, 0
            for folder, joined in self.listing.items():
                names = _names(joined)
                listing[folder] = "\n".join(name for i, name in enumerate(names, at) if i not in empty)
                at += len(names)
        text = "".join(f"{folder}\0{listing.get(folder, '')}\0" for folder in RECORD_FOLDERS)
        key = hashlib.blake2b(f"{code_hash()}\n{text}".encode("utf-8", "surrogateescape"), digest_size=16)
        key.update(made)
        return key.hexdigest()

    def records_changed_since(self, old: Index) -> set[tuple[str, str]] | None:
        """(folder, id) of each record added, removed or changed (its record, not only its file's
        bytes: `made`) since `old`; None when a single file changed. Compared in the arrays, once
        `old` is laid over these entries (`relisted`): a few memcmp for an edit or two."""
        singles = 16 * len(SINGLE_FILES)
        if self.made[-singles:] != old.made[-singles:]:
            return None
        aligned = old.relisted(self.listing) if old.listing != self.listing else old  # (an added file: no record)
        moved = [self.entry(i) for i in differing(self.made, aligned.made, 16)]
        return {(rel.partition("/")[0], rel.partition("/")[2].removesuffix(".yaml"))
                for rel in moved + old.gone_from(self.listing) if rel.endswith(".yaml")}

    def gone_from(self, listing: dict[str, str]) -> list[str]:
        """The record files this index lists that `listing` (another index's, or Seen.listing)
        does not."""
        return [f"{folder}/{name}" for folder, joined in self.listing.items() if joined != listing.get(folder)
                for name in set(self._names_of(folder)).difference(_names(listing.get(folder, "")))
                if name.endswith(".yaml")]

    def counted(self) -> dict[str, int]:
        """The record files of each folder, counted."""
        return {folder: (self.listing.get(folder, "") + "\n").count(".yaml\n") for folder in RECORD_FOLDERS}

    def record_hashes(self) -> dict[str, str]:
        """rel -> the hash of the bytes indexed, for each record file."""
        out, at, hashes = {}, 0, self.hashes
        for folder, joined in self.listing.items():
            for name in _names(joined):
                if name.endswith(".yaml"):
                    out[f"{folder}/{name}"] = hashes[16 * at:16 * at + 16].hex()
                at += 1
        return out

    def lists(self, rel: str) -> bool:
        """Whether `rel` is one of the data files indexed."""
        return rel in SINGLE_FILES.values() or self._position(rel) is not None

    def _position(self, rel: str) -> int | None:
        """The number of a record folder's entry, or None if it is not listed."""
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
        return at

    def hash_at(self, rel: str) -> bytes | None:
        """The hash of the bytes indexed for a record folder's entry, or None if it is not listed."""
        at = self._position(rel)
        return self.hashes[16 * at:16 * at + 16] if at is not None else None

    def made_at(self, rel: str) -> str | None:
        """The hash of the record indexed for a record file (facts.made_of), or None if none is."""
        at = self._position(rel)
        digest = self.made[16 * at:16 * at + 16] if at is not None else b""
        return digest.hex() if any(digest) else None

    def _names_of(self, folder: str) -> list[str]:
        if folder not in self._split:
            self._split[folder] = _names(self.listing[folder])
        return self._split[folder]

    def entry(self, number: int) -> str:
        """The relative path of one entry (as `entries()[number]`, without making them all)."""
        for folder in self.listing:
            names = self._names_of(folder)
            if number < len(names):
                return f"{folder}/{names[number]}"
            number -= len(names)
        return list(SINGLE_FILES.values())[number]

    def entries(self) -> list[str]:
        """The relative path of each entry, in the order of `stats` and `hashes`."""
        names = [f"{folder}/{name}" for folder, joined in self.listing.items() for name in _names(joined)]
        return names + list(SINGLE_FILES.values())

    @property
    def files(self) -> dict[str, Entry]:
        """{rel: Entry} of each data file."""
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
            return cls.parse(path.read_bytes())
        except OSError:
            return None

    @classmethod
    def parse(cls, raw: bytes) -> Index | None:
        """The index written as `raw`, or None when malformed in any way."""
        try:
            data = marshal.loads(raw)
            folders, listing = data["folders"], data["listing"]
            ok = (isinstance(data["key"], str) and isinstance(data["code"], str)
                  and isinstance(folders, dict) and isinstance(listing, dict)
                  and all(isinstance(v, list) and len(v) == 3 for v in folders.values())
                  and all(isinstance(k, str) and isinstance(v, str) for k, v in listing.items())
                  and isinstance(data["stats"], bytes) and isinstance(data["hashes"], bytes)
                  and isinstance(data["made"], bytes) and isinstance(data["marks"], bytes)
                  and isinstance(data["db"], list) and len(data["db"]) in (0, 2)  # (none: the validation's)
                  and isinstance(data["written"], int))
            if not ok:
                return None
            index = cls(data["key"], data["code"], folders, listing, data["stats"], data["hashes"],
                        data["made"], data["marks"], data["db"], data["written"])
            entries = sum(v.count("\n") + 1 for v in listing.values() if v) + len(SINGLE_FILES)
            if len(index.stats) != 32 * entries or not (
                    len(index.hashes) == len(index.made) == len(index.marks) == 16 * entries):
                return None
            return index
        except (ValueError, KeyError, TypeError, EOFError):
            return None

    def write(self, path: Path) -> None:
        write_atomic_bytes(path, marshal.dumps({
            "key": self.key, "code": self.code, "folders": self.folders, "listing": self.listing,
            "stats": self.stats, "hashes": self.hashes, "made": self.made, "marks": self.marks, "db": self.db,
            "written": self.written}))


def _runs(before: list[str], after: list[str], at: int) -> list[tuple[int, int]]:
    """The entries of sorted `after` as runs of sorted `before`'s (entry number from `at`, how
    many), or (-1, 1) for each name `before` lacks: a few runs for a few names added or removed,
    found by bisection rather than name by name."""
    gone, added = set(before).difference(after), set(after).difference(before)
    # (position in `before`, 0: a name added before it, 1: its own name gone), in order
    events = sorted([(bisect_left(before, name), 0) for name in added]
                    + [(bisect_left(before, name), 1) for name in gone])
    runs, cursor = [], 0
    for position, kind in events:
        if position > cursor:
            runs.append((at + cursor, position - cursor))
            cursor = position
        if kind == 0:
            runs.append((-1, 1))
        else:
            cursor = position + 1
    if len(before) > cursor:
        runs.append((at + cursor, len(before) - cursor))
    return runs


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


def _empty_at(made: bytes) -> list[int]:
    """The entries (by number) whose 16 bytes are all zeros: no record."""
    found, at = [], made.find(_ZERO)
    while at != -1:
        if at % 16 == 0:
            found.append(at // 16)
        at = made.find(_ZERO, at + 1)
    return found


def _names(joined: str) -> list[str]:
    return joined.split("\n") if joined else []


class Seen(NamedTuple):
    """What a look at the disk saw: every entry's stat and each folder's (stats_now)."""

    stats: array
    folders: dict[str, list[int]]
    taken: int  # time.time_ns() before the first stat: an index of these vouches as of then
    listing: dict[str, str] | None = None  # the folders' entries, when not the index's (relist)


def seen_now(root: Path, index: Index, relist: bool = False) -> Seen | None:
    """The stat of every entry the index lists, and of each folder (stats_now); None when the
    entries are not the same, unless `relist`: then the stats follow the entries listed now
    (Seen.listing). OSError when one is gone."""
    taken, folders = time.time_ns(), {}
    listed: dict[str, str] | None = {} if relist else None
    current = stats_now(root, index, folders, listed)
    if current is None:
        return None
    return Seen(current, folders, taken, listed if listed is not None and listed != index.listing else None)


def seen_since(root: Path, index: Index, names: Iterable[str]) -> Seen:
    """What seen_now(relist=True) sees, from the index and the entries a watcher saw change since
    the disk was last found to be the index (watcher.changed_since): each other entry, and the
    folder it is in, is as indexed. Only the changed entries, and their folders (listed again),
    are looked at. OSError when one is gone, or when an entry listed has no stat."""
    taken = time.time_ns()
    folders = {folder: list(st) for folder, st in index.folders.items()}
    listed = dict(index.listing)
    singles = list(SINGLE_FILES.values())
    now: dict[str, Stat] = {}  # the changed entries still there -> their stat
    changed: dict[str, list[str]] = {}
    for rel in names:
        folder, _, name = rel.partition("/")
        if folder in RECORD_FOLDERS and name and "/" not in name and not name.startswith("."):
            changed.setdefault(folder, []).append(name)
        elif rel in singles:
            now[rel] = stat_of(os.lstat(root / rel))
    for folder, in_folder in changed.items():
        fd = _open_folder(root, folder)
        try:
            folders[folder] = _folder_stat(os.fstat(fd))
            there = _listing(fd)
            listed[folder] = "\n".join(there)
            for name in in_folder:
                at = bisect_left(there, name)
                if at < len(there) and there[at] == name:  # (else gone)
                    now[f"{folder}/{name}"] = stat_of(os.stat(name, dir_fd=fd, follow_symlinks=False))
        finally:
            os.close(fd)
    base = index.relisted(listed) if listed != index.listing else index
    current = array("q", base.stats)
    first_single = len(current) // 4 - len(singles)
    for rel, st in now.items():
        at = first_single + singles.index(rel) if rel in singles else base._position(rel)
        current[4 * at:4 * at + 4] = array("q", st)
    if -1 in current[0::4]:
        raise FileNotFoundError("an entry listed was never seen to change")  # (a full look instead)
    return Seen(current, folders, taken, listed if listed != index.listing else None)


def _open_folder(root: Path, folder: str) -> int:
    return os.open(root / folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)


def _folder_stat(st: os.stat_result) -> list[int]:
    """What an index keeps of a folder's stat: an entry added, removed or renamed changes it."""
    return [st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _listing(fd: int) -> list[str]:
    """A folder's entries, sorted, but those scan() never reads (dot files)."""
    return sorted(n for n in os.listdir(fd) if not n.startswith("."))


def racy(index: Index, current: array) -> bool:
    """Whether any entry changed so close to the index's writing that its stat cannot vouch."""
    limit = index.written - RACY_NS
    return max(current[1::4], default=0) >= limit or max(current[2::4], default=0) >= limit


def unvouched(index: Index, current: array) -> list[int]:
    """The entries (by number) changed so close to the index's writing that a same-timestamp edit
    could hide behind their stat: their bytes must be compared (`same_bytes`)."""
    if not racy(index, current):
        return []
    limit = index.written - RACY_NS
    return [i for i, (mtime, ctime) in enumerate(zip(current[1::4], current[2::4])) if mtime >= limit or ctime >= limit]


def same_bytes(root: Path, index: Index, numbers: Iterable[int]) -> bool:
    """Whether these entries (of the data files among them) hold the bytes indexed. OSError when
    one cannot be read."""
    for i in numbers:
        digest = index.hashes[16 * i:16 * i + 16]
        if any(digest) and file_hash(read_regular(root / index.entry(i))[0]) != digest.hex():
            return False
    return True


def stats_now(root: Path, index: Index, folders: dict[str, list[int]] | None = None,
              listed: dict[str, str] | None = None) -> array | None:
    """The stat of every entry the index lists, in its order (as `Index.stats`); None when an
    entry was added, removed or renamed since (a folder whose own stat is unchanged, and not racy,
    has the same entries: adding, removing or renaming one changes it), unless `listed` is given:
    then each folder's entries as listed now go into it, and the stats follow them. OSError when
    one is gone. Each folder's stat, taken before its entries were compared, goes into `folders`."""
    folders = {} if folders is None else folders
    limit = index.written - RACY_NS
    opened: list[int] = []
    try:
        entries: list[tuple[int | None, str]] = []
        for folder in RECORD_FOLDERS:
            joined = index.listing.get(folder)
            try:
                fd = _open_folder(root, folder)
            except FileNotFoundError:
                if joined is None:
                    continue
                if listed is None:
                    return None
                listed[folder] = ""
                continue
            opened.append(fd)
            folders[folder] = _folder_stat(os.fstat(fd))
            if (joined is None or folders[folder] != index.folders.get(folder)
                    or max(folders[folder][:2]) >= limit):
                now = "\n".join(_listing(fd))
                if now != joined:
                    if listed is None:
                        return None
                    joined = now
            if listed is not None:
                listed[folder] = joined
            entries += [(fd, name) for name in _names(joined)]
        entries += [(None, str(root / relative)) for relative in SINGLE_FILES.values()]
        return _on_two_cores(entries)
    finally:
        for fd in opened:
            os.close(fd)


SPLIT_FROM = 8_000  # entries: below this, a second process costs more than it saves


def _stats(entries: list[tuple[int | None, str]]) -> array:
    """The lstat of each (folder's descriptor, name) as an array; OSError when one is gone."""
    current, lstat = array("q"), os.stat
    for fd, name in entries:
        current.extend(stat_of(lstat(name, dir_fd=fd, follow_symlinks=False)))
    return current


def _on_two_cores(entries: list[tuple[int | None, str]]) -> array:
    """_stats(entries), the second half in a forked child that sends its array back through a
    pipe: the `stat` of every file is what every warm command pays (0.49 s at 200,000 files, 0.27 s
    on two cores). In one process when it is small, or has threads of its own (a fork copies
    none of them, and their locks could be held)."""
    if len(entries) < SPLIT_FROM or not hasattr(os, "fork") or threading.active_count() > 1:
        return _stats(entries)
    half = len(entries) // 2
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its half down the pipe, and nothing else (no handler, no flush)
        code = 1
        try:
            os.close(read_end)
            view = memoryview(_stats(entries[half:]).tobytes())
            while view:
                view = view[os.write(write_end, view):]
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    status = None
    try:
        with open(read_end, "rb") as pipe:
            first = _stats(entries[:half])
            second = pipe.read()
        _, status = os.waitpid(pid, 0)
    finally:
        if status is None:  # (an error here, or Ctrl-C: the child must not outlive it)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    if status != 0 or len(second) != 32 * (len(entries) - half):
        raise FileNotFoundError("an entry went while its stat was taken")  # (as _stats would)
    first.frombytes(second)
    return first
