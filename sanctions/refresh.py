"""The cache brought up to date by the command itself, without validating the rest, after edits
that the rules across records do not see.

A comment, a blank line, other quoting or wrapping changes a file's bytes and stat, but not its
record as validated (facts.made_of), which is all the database is built from: then only the
index changes. A title, a note or a quote changes the record but not its mark (facts.mark_of:
what the rules across records see of it): the rules would find what they found in the indexed
build, which was valid, so nothing; then the database is updated in place for those records
(cache.brought_up), their facts kept for the update to take them from. Each changed file is
checked alone against the vocabularies first. Anything else (an added or removed file, a
vocabulary, a mark that differs, a file invalid alone, other code) is left to the build, which
validates everything (cache._build).
"""

from __future__ import annotations

import datetime as dt
import time
from array import array
from pathlib import Path

from .cache import Index, Seen, Update, brought_up, differing, racy
from .dataset import Alone, valid_alone
from .facts import Facts
from .files import RECORD_FOLDERS, file_hash, read_regular, stat_of
from .store import RACY_NS, code_hash

#: More changed files than this: the build's own validation (on both cores) is the better path.
MOST = 64
RACY_MOST = 2_000  # files to read again, whose stat cannot vouch for them


def refreshed(root: Path, index: Index, index_path: Path, seen: Seen) -> Index | None:
    """The index of the data, once it (and, if a record changed, the database) is brought up to
    date; None when a build is needed. `seen`: what the freshness check found on disk
    (cache.fresh_key), the same entries as indexed."""
    if index.code != code_hash():  # (a database built by other code is never vouched for)
        return None
    current, folders = seen
    try:
        moved = differing(current.tobytes(), index.stats, 32, MOST + 1)
        if not moved or len(moved) > MOST:
            return None
        entries = index.entries()
        if racy(index, current) and not _same_bytes(root, index, current, entries, set(moved)):
            return None
        stats, hashes, made = array("q", index.stats), bytearray(index.hashes), bytearray(index.made)
        to_check: dict[str, int] = {}
        for i in moved:
            rel, old_hash = entries[i], index.hashes[16 * i:16 * i + 16]
            if not any(old_hash) or rel.partition("/")[0] not in RECORD_FOLDERS:
                return None  # not a record's file (an entry scan() passes over, a vocabulary)
            raw, st = read_regular(root / rel)
            if file_hash(raw) == old_hash.hex():  # the same bytes (touched): its stat alone moved
                stats[4 * i:4 * i + 4] = array("q", stat_of(st))
            else:
                to_check[rel] = i
        changed: dict[str, Alone] = {}
        checked = valid_alone(root, list(to_check), dt.date.today()) if to_check else {}
        if checked is None:
            return None
        for rel, alone in checked.items():
            i = to_check[rel]
            if alone.mark != index.marks[16 * i:16 * i + 16].hex():
                return None  # the rules across records see the change: the build validates it all
            stats[4 * i:4 * i + 4] = array("q", alone.read[:4])
            hashes[16 * i:16 * i + 16] = bytes.fromhex(alone.read[4])
            if alone.made != index.made[16 * i:16 * i + 16].hex():
                made[16 * i:16 * i + 16] = bytes.fromhex(alone.made)
                changed[rel] = alone
    except OSError:
        return None
    new = Index(index.key, index.code, folders, index.listing, stats.tobytes(), bytes(hashes), bytes(made),
                index.marks, index.db, time.time_ns())
    if not changed:
        new.write(index_path)
        return new
    return _updated(root, index, new, index_path, changed)


def _updated(root: Path, old: Index, new: Index, index_path: Path, changed: dict[str, Alone]) -> Index | None:
    """Records that changed, none in what the rules across records see of it (its mark is the
    one indexed): the rules would find what they found in the indexed build, nothing; so the
    database is updated in place (cache.brought_up) for them, their facts kept for the update to
    take them from."""
    facts, today = Facts(root).load(), dt.date.today()
    for rel, alone in changed.items():
        facts.put(rel, tuple(alone.read[:4]), alone.read[4], alone.id, alone.record, alone.digest, alone.context,
                  today)
    facts.save()
    new.key = new.records_key()
    counted = {folder: sum(name.endswith(".yaml") for name in new.listing[folder].split("\n"))
               for folder in RECORD_FOLDERS if new.listing.get(folder)}
    redo = {tuple(rel.removesuffix(".yaml").split("/", 1)) for rel in changed}
    directory, ident = index_path.parent, index_path.stem
    if not brought_up(root, directory, ident, index_path, new.key, new, Update(old.key, redo, counted, facts)):
        return None
    return new


def _same_bytes(root: Path, index: Index, current: array, entries: list[str], moved: set[int]) -> bool:
    """Whether the entries changed so close to the index's writing that their stat cannot vouch
    (and whose stat has not moved) hold the bytes indexed (as cache.fresh_key checks them)."""
    limit = index.written - RACY_NS
    close = [i for i in range(len(current) // 4)
             if i not in moved and max(current[4 * i + 1], current[4 * i + 2]) >= limit]
    if len(close) > RACY_MOST:
        return False
    for i in close:
        digest = index.hashes[16 * i:16 * i + 16]
        if any(digest) and file_hash(read_regular(root / entries[i])[0]) != digest.hex():
            return False
    return True
